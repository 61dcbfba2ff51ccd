"""Write the JSON API's OpenAPI document to docs/api/openapi.json (``make openapi``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rxportal.api.openapi import DOCUMENT_PATH, render_openapi


class Command(BaseCommand):
    help = "Regenerate docs/api/openapi.json from the API's code."

    def handle(self, *args: Any, **options: Any) -> None:
        DOCUMENT_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOCUMENT_PATH.write_text(render_openapi(), encoding="utf-8")
        self.stdout.write(f"Wrote {DOCUMENT_PATH}")
