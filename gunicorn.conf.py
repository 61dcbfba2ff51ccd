"""gunicorn settings read from this directory by default (`make run`, the browser tests' server).

gunicorn bounds the request line and headers, never the body: request bodies are capped by
rxportal.core.middleware.RequestBodyLimitMiddleware (RXPORTAL_MAX_REQUEST_BODY_BYTES, a 413), and
in production by the reverse proxy in front as well (nginx: client_max_body_size).
"""

import os
import shutil
import tempfile

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
