"""Fixtures of the core tests."""

from tests.core.replica_support import replica  # noqa: F401 (a fixture, see replica_support.py)
