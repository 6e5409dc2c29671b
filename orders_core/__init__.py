"""The pure core of the orders platform: contract, parsing, cleaning, SQL, CLV and anomaly
scoring, with no Dagster in it. Everything above (resources, assets, checks, sensors) imports
from here; nothing here imports from them."""
