"""deploy/: the systemd units and the container recipe start real modules with real settings.

Neither systemd nor a container runtime runs here; what can be checked is checked: every
ExecStart/CMD names an executable the virtualenv has, an importable WSGI module or Celery app,
settings that exist, a non-root user, and `systemd-analyze verify` accepts the units.
"""

from __future__ import annotations

import importlib.util
import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
INSTALL_DIR = "/opt/rxportal"  # where the units expect the checkout and its .venv


def _unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections and their settings (a key may repeat, as Environment= does)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def _environment(service: dict[str, list[str]]) -> dict[str, str]:
    return dict(entry.split("=", 1) for entry in service.get("Environment", []))


def _local(path: str) -> Path:
    """A path under the install directory, in this checkout."""
    assert path.startswith(INSTALL_DIR + "/"), path
    return ROOT / path.removeprefix(INSTALL_DIR + "/")


def _module_exists(dotted: str) -> bool:
    return importlib.util.find_spec(dotted) is not None


SERVICES = ["rxportal-web.service", "rxportal-worker.service", "rxportal-beat.service"]


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_runs_as_its_own_user_with_production_settings(name: str) -> None:
    service = _unit(UNITS / name)["Service"]
    environment = _environment(service)

    assert service["User"] == ["rxportal"]
    assert service["WorkingDirectory"] == [INSTALL_DIR]
    assert environment["RXPORTAL_ENV"] == "production"
    assert _module_exists(environment["DJANGO_SETTINGS_MODULE"])
    assert environment["DJANGO_SETTINGS_MODULE"] == "rxportal.settings.prod"
    assert environment["RXPORTAL_LOG_FORMAT"] == "json"
    assert service["EnvironmentFile"] == ["/etc/rxportal/env"]
    assert service["Restart"] == ["on-failure"]


def test_web_runs_gunicorn_on_the_wsgi_module_with_this_config_and_metrics_dir() -> None:
    service = _unit(UNITS / "rxportal-web.service")["Service"]
    (exec_start,) = service["ExecStart"]
    command = shlex.split(exec_start)

    assert _local(command[0]).name == "gunicorn"
    assert (ROOT / ".venv" / "bin" / "gunicorn").exists()
    assert command[1] == "rxportal.wsgi" and _module_exists("rxportal.wsgi")
    assert _local(command[command.index("--config") + 1]) == ROOT / "gunicorn.conf.py"
    assert command[command.index("--bind") + 1].startswith("127.0.0.1:")  # behind the proxy
    metrics_dir = _environment(service)["PROMETHEUS_MULTIPROC_DIR"]
    assert metrics_dir.startswith(f"/run/{service['RuntimeDirectory'][0]}/")


@pytest.mark.parametrize(
    ("name", "role"), [("rxportal-worker.service", "worker"), ("rxportal-beat.service", "beat")]
)
def test_worker_and_beat_run_celery_on_the_portals_app(name: str, role: str) -> None:
    (exec_start,) = _unit(UNITS / name)["Service"]["ExecStart"]
    command = shlex.split(exec_start)

    assert _local(command[0]).name == "celery"
    assert (ROOT / ".venv" / "bin" / "celery").exists()
    app = command[command.index("--app") + 1]
    assert app == "rxportal" and _module_exists("rxportal.celery")
    assert command[command.index("--app") + 2] == role


def test_the_target_starts_all_three() -> None:
    target = _unit(UNITS / "rxportal.target")

    assert target["Unit"]["Wants"][0].split() == SERVICES
    for name in SERVICES:
        assert _unit(UNITS / name)["Install"]["WantedBy"] == ["rxportal.target"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    # Pointed at this checkout, so systemd can see that each executable exists.
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALL_DIR, str(ROOT)))

    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def _instructions() -> list[tuple[str, str]]:
    """The Containerfile's instructions, continuation lines joined."""
    joined = CONTAINERFILE.read_text().replace("\\\n", " ")
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_the_image_is_debian_python_slim_and_runs_gunicorn_as_a_non_root_user() -> None:
    instructions = _instructions()
    keywords = [keyword for keyword, _ in instructions]

    (base,) = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert base.split("/")[-1].startswith("python:3.11-slim-bookworm")
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert keywords.index("USER") < keywords.index("CMD")
    command = json.loads(dict(instructions)["CMD"])
    assert command[:2] == ["gunicorn", "rxportal.wsgi"]
    assert (ROOT / command[command.index("--config") + 1]).exists()
    healthcheck = dict(instructions)["HEALTHCHECK"]
    assert "/healthz" in healthcheck


def test_the_image_copies_files_that_exist_and_selects_production_settings() -> None:
    instructions = _instructions()

    for keyword, rest in instructions:
        if keyword == "COPY":
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists(), source
    environment = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert "DJANGO_SETTINGS_MODULE=rxportal.settings.prod" in environment
    assert "RXPORTAL_ENV=production" in environment
    assert _module_exists("rxportal.settings.prod")
