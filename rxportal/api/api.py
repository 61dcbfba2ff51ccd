"""The NinjaAPI instance: version 1, its routers, its authentication and its errors."""

from __future__ import annotations

from ninja import NinjaAPI

from rxportal.api import problems
from rxportal.api.auth import AccessToken
from rxportal.api.routers import claims, notifications, orders, prescriptions, refills

api = NinjaAPI(
    title="rxportal API",
    version="1",
    urls_namespace="api_v1",
    auth=AccessToken(),
    docs_url=None,
)

problems.install(api)

# The member-record routers (prescriptions, refills, orders, claims, notifications).
api.add_router("/prescriptions", prescriptions.router)
api.add_router("/", refills.router)
api.add_router("/orders", orders.router)
api.add_router("/claims", claims.router)
api.add_router("/notifications", notifications.router)
