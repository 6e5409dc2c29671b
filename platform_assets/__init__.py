"""Order-to-cash data platform: Dagster assets from landing files to warehouse tables."""
