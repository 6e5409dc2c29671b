"""The composition root: merges assets, checks, sensors, resources and automation into the
code location. Nothing in the project imports it."""
