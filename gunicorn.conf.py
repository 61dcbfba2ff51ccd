"""gunicorn settings read from this directory by default (`make run`, the browser tests' server).

gunicorn bounds the request line and headers, never the body: request bodies are capped by
rxportal.core.middleware.RequestBodyLimitMiddleware (RXPORTAL_MAX_REQUEST_BODY_BYTES, a 413), and
in production by the reverse proxy in front as well (nginx: client_max_body_size).
"""

import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

from gunicorn.glogging import Logger

# The request line (method, URL, version): gunicorn's default; our URLs are short.
limit_request_line = 4094
# Header fields per request: a browser sends about 20, a proxy adds a few (default 100).
limit_request_fields = 50
# One header field, name and value (the Cookie header is the largest): gunicorn's default.
limit_request_field_size = 8190

# --- Prometheus metrics across workers (docs/operations.md, "Metrics"). Each worker is its own
# process with its own counters; in prometheus_client's multiprocess mode they write them to
# files in PROMETHEUS_MULTIPROC_DIR and /metrics merges every worker's. The variable must be set
# before a worker imports prometheus_client: here, in the master. systemd gives the directory
# (RuntimeDirectory); otherwise a temporary one is made for this server and removed at exit.
_own_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_metrics_dir = tempfile.mkdtemp(prefix="rxportal-prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir

# The access log (off unless --access-logfile is given; the portal writes its own JSON access
# line, rxportal.access): the path without its query string, which may carry what was typed.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

# --- gunicorn's own lines (start-up, workers booting and exiting, errors; the access log when
# on) in the portal's format: with RXPORTAL_LOG_FORMAT=json (production's default) each is one
# JSON object, the same formatter as Django's and Celery's lines (rxportal/operations/
# log_format.py), so the journal or the container runtime holds one format only.


class _AccessLineRequestId(logging.Filter):
    """An access line's ``request_id`` field: the X-Request-ID the portal answered with."""

    def filter(self, record):
        atoms = record.args if isinstance(record.args, dict) else {}
        request_id = atoms.get("{x-request-id}o", "-")
        record.request_id = None if request_id == "-" else request_id
        return True


def _log_format_module():
    """rxportal/operations/log_format.py (standard library only), loaded by its path: importing
    the rxportal package here, in the master, would leave its modules, and Django's, in every
    worker forked after a reload (HUP), which would then run old code beside new."""
    path = Path(__file__).resolve().parent / "rxportal" / "operations" / "log_format.py"
    spec = importlib.util.spec_from_file_location("_gunicorn_rxportal_log_format", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class PortalFormatLogger(Logger):
    """gunicorn's logger, with its handlers (wherever --error-logfile and --access-logfile
    send them) writing the portal's JSON lines."""

    def setup(self, cfg):
        super().setup(cfg)
        log_format = _log_format_module()
        chosen = log_format.chosen_log_format(
            rxportal_env=os.environ.get("RXPORTAL_ENV", "development"),
            configured=os.environ.get("RXPORTAL_LOG_FORMAT", ""),
        )
        if chosen != "json":
            return  # gunicorn's own plain lines
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(log_format.json_formatter())
                if log is self.access_log and not handler.filters:
                    handler.addFilter(_AccessLineRequestId())


logger_class = PortalFormatLogger


def on_starting(server):
    """A restarted server starts from zero: a previous run's files would be added in."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for entry in os.scandir(directory):
        if entry.name.endswith(".db"):
            os.unlink(entry.path)


def child_exit(server, worker):
    """A dead worker's live gauges are dropped (its counters stay in the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
