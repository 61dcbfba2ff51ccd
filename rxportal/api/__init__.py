"""The JSON API under /api/v1 (django-ninja): the mobile app's reads and writes, over the same
selectors, access rule and PHI-read audit as the pages (``rxportal.records``). A token from
``rxportal.connected_apps`` authenticates every call; routers live in ``routers/``, one per area.
"""
