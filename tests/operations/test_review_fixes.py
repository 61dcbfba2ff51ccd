"""From the hostile review of operations: what logs, probes and scrapes may and may not do."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.core.test_settings import GOOD_FIELD_KEY, GOOD_OIDC_KEY, GOOD_SECRET

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_json_log_line_never_carries_the_request_and_its_query_string() -> None:
    from django.conf import settings
    from pythonjsonlogger.json import JsonFormatter

    from rxportal.operations.request_ids import RequestIdLogFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    json_format = settings.LOGGING["formatters"]["json"]
    handler.setFormatter(
        JsonFormatter(json_format["fmt"], rename_fields=json_format["rename_fields"])
    )
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        Client().get("/no-such-page/", {"q": "Jane Doe 1961-04-02"})
    finally:
        logger.removeHandler(handler)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "Django logs a 404"
    assert all("request" not in line for line in lines)
    assert "Jane" not in stream.getvalue()
    assert "1961" not in stream.getvalue()


# "__all__": with a replica configured, /metrics also asks it for its lag.
@pytest.mark.django_db(databases="__all__")
@override_settings(RXPORTAL_METRICS_REQUIRE_TOKEN=True, RXPORTAL_METRICS_BEARER_TOKEN="")
def test_where_a_token_is_required_and_none_is_set_metrics_answer_no_one() -> None:
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@pytest.mark.django_db(databases="__all__")
@override_settings(
    RXPORTAL_METRICS_REQUIRE_TOKEN=True, RXPORTAL_METRICS_BEARER_TOKEN="s3cret-scrape"
)
def test_where_a_token_is_required_the_scraper_brings_it() -> None:
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    answered = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer s3cret-scrape"
    )
    assert answered.status_code == 200


def test_production_requires_the_metrics_token_and_exempts_the_probes_from_https() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "RXPORTAL_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "rxportal.settings.prod",
        "DJANGO_SECRET_KEY": GOOD_SECRET,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RXPORTAL_FIELD_ENCRYPTION_KEYS": GOOD_FIELD_KEY,
        "RXPORTAL_OIDC_RSA_PRIVATE_KEY": GOOD_OIDC_KEY,
        "RXPORTAL_BASE_URL": "https://portal.example.org",
    }
    script = (
        "import django, json, re; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.RXPORTAL_METRICS_REQUIRE_TOKEN, "
        "[p for p in ('healthz', 'readyz', 'metrics', 'claims/') "
        "if any(re.search(x, p) for x in s.SECURE_REDIRECT_EXEMPT)]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    require_token, exempt = json.loads(result.stdout.strip().splitlines()[-1])
    assert require_token is True
    assert exempt == ["healthz", "readyz", "metrics"]


def test_the_image_leaves_the_metrics_directory_to_gunicorn() -> None:
    containerfile = (ROOT / "deploy" / "Containerfile").read_text()
    env_lines = [line for line in containerfile.splitlines() if "PROMETHEUS_MULTIPROC_DIR=" in line]
    assert env_lines == []


def test_the_proxy_sets_its_own_request_id_and_scheme() -> None:
    template = (ROOT / "deploy" / "haproxy.cfg.template").read_text()
    lines = [line.strip() for line in template.splitlines() if not line.strip().startswith("#")]

    assert "http-request set-header X-Request-ID %[unique-id]" in lines
    assert any(line.startswith("http-request set-header X-Forwarded-Proto") for line in lines)


def test_the_rendered_proxy_configuration_is_one_haproxy_accepts(tmp_path: Path) -> None:
    from bench import webnodes

    config = tmp_path / "haproxy.cfg"
    config.write_text(
        webnodes.render_haproxy_config(
            bind_port=18999,
            nodes=[("n1", 18001), ("n2", 18002)],
            stats_socket=tmp_path / "stats.sock",
            node_maxconn=2,
        )
    )

    result = subprocess.run(
        [webnodes.require_haproxy(), "-c", "-f", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
