"""Set-based SQL of the platform: generated from the contract, rendered per engine."""
