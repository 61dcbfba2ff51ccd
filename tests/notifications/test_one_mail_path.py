"""Only the notifications app sends: no other module imports Django's mail senders or calls an
SMS gateway. Everything else writes to the outbox (``notifications.services``)."""

from __future__ import annotations

import ast
from pathlib import Path

import rxportal

PACKAGE = Path(rxportal.__file__).parent
ALLOWED = {PACKAGE / "notifications" / "gateways.py"}
MAIL_SENDERS = {
    "send_mail",
    "send_mass_mail",
    "mail_admins",
    "mail_managers",
    "EmailMessage",
    "EmailMultiAlternatives",
    "get_connection",
}


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django.core.mail"):
            names = {alias.name for alias in node.names}
            if names & MAIL_SENDERS or "*" in names:
                found.append(f"{path}:{node.lineno} imports {sorted(names)}")
        elif isinstance(node, ast.Import):
            found.extend(
                f"{path}:{node.lineno} imports {alias.name}"
                for alias in node.names
                if alias.name.startswith("django.core.mail")
            )
        elif isinstance(node, ast.Attribute) and node.attr in {"send_sms", "send_messages"}:
            found.append(f"{path}:{node.lineno} calls .{node.attr}")
    return found


def _sources() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in ALLOWED and "migrations" not in path.parts
    ]


def test_nothing_outside_the_notifications_app_sends_mail_or_texts() -> None:
    offences = [offence for path in _sources() for offence in _offences(path)]
    assert offences == []


def test_the_check_catches_a_direct_send(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from django.core.mail import send_mail\n"
        "import django.core.mail\n"
        "def f(gateway):\n    gateway.send_sms(to='x', body='y')\n",
        encoding="utf-8",
    )
    assert len(_offences(sneaky)) == 3
