"""Page links of the API's numbered pages: the same query with another ``page``."""

from __future__ import annotations

from django.http import HttpRequest


def page_link(request: HttpRequest, page: int) -> str:
    """The request's own path and query, with ``page`` set (a relative URL)."""
    query = request.GET.copy()
    query["page"] = str(page)
    return f"{request.path}?{query.urlencode()}"
