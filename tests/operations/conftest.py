# The claims pages' family with its claims (a member to look for in the metrics and logs).
from tests.claims.conftest import plan_year, world  # noqa: F401
