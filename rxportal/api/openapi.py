"""The committed OpenAPI document (docs/api/openapi.json) and how it is generated.

``make openapi`` rewrites it; a test fails when the committed copy differs from what the code
generates, so a change to the API is reviewed with its contract.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from rxportal.api.api import api

DOCUMENT_PATH = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.json"


def render_openapi() -> str:
    """The document as committed: keys sorted and indented, so diffs are stable and readable."""
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
