"""Developer tooling: the demo order generator, the local runner behind `make run`, the
held-day report, screenshots and test/bench helpers. Not part of the production image."""
