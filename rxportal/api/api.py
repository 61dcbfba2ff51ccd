"""The NinjaAPI instance: version 1, its routers, its authentication and its errors."""

from __future__ import annotations

from ninja import NinjaAPI

from rxportal.api import problems
from rxportal.api.auth import AccessToken

api = NinjaAPI(
    title="rxportal API",
    version="1",
    urls_namespace="api_v1",
    auth=AccessToken(),
    docs_url=None,
)

problems.install(api)
