"""Helpers shared by the tests: fixtures, fake services, drivers. Test files import from
here, never from each other."""
