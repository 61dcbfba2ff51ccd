"""The log line formats, defined once for every process (docs/operations.md, "Logs").

Django's LOGGING (web workers and Celery workers) and gunicorn's own lines (gunicorn.conf.py:
start-up, worker and error lines, and the access log when it is on) use these, so a log
collector parses one format whatever process wrote the line. Standard library only at import:
gunicorn.conf.py loads this file by its path in the master, without importing rxportal.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
JSON_RENAMED_FIELDS = {"asctime": "time", "levelname": "level", "name": "logger"}

# logging.config's formatter entries, for LOGGING["formatters"] (copy before changing one).
FORMATTERS: dict[str, dict[str, Any]] = {
    "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": JSON_FIELDS,
        "rename_fields": JSON_RENAMED_FIELDS,
    },
}


def chosen_log_format(*, rxportal_env: str, configured: str) -> str:
    """RXPORTAL_LOG_FORMAT (``configured``), else JSON in production, plain in development."""
    chosen = configured or ("json" if rxportal_env == "production" else "plain")
    if chosen not in FORMATTERS:
        raise ValueError("RXPORTAL_LOG_FORMAT must be 'json' or 'plain'")
    return chosen


def configure_logging(config: dict[str, Any]) -> None:
    """LOGGING_CONFIG: ``config`` (settings.LOGGING), and Python's warnings (a deprecation, a
    missing static directory) as log records in the same format rather than raw text."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)


def json_formatter() -> logging.Formatter:
    """The formatter FORMATTERS["json"] describes, for code that builds its own handlers."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(JSON_FIELDS, rename_fields=JSON_RENAMED_FIELDS)
