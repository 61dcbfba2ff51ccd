"""Architecture: every ``phi.`` audit event is written by the records door
(``rxportal.records.reads.record_phi_read``), never by an app calling ``record_event`` itself.

Two checks that catch different slips:

* the source: outside ``rxportal/records``, no ``record_event`` call passes a ``phi.`` action
  (a literal, a module's own ``phi.`` constant or one imported from another module), and in a
  module that names a ``phi.`` action (a string constant, not a docstring) no ``record_event``
  call takes an action passed through a helper (the old views' ``_audit_view(request,
  "phi....")``);
* the behaviour: every member page of the family-access sweep, plus a drug page with coverage,
  asked by a subscriber whose family granted access, while the door's own ``record_event`` is
  watched; each ``phi.`` event in the trail afterwards must be one the door wrote.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

import rxportal
from rxportal.audit.models import AuditEvent
from rxportal.records import reads
from tests.members.test_family_access_sweep import (  # noqa: F401  (sweep_family: a fixture)
    PROBES,
    Records,
    Sweep,
    _set_consent,
    sweep_family,
)

PACKAGE = Path(rxportal.__file__).parent
DOOR = PACKAGE / "records"


def _modules() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if DOOR not in path.parents and "migrations" not in path.parts
    )


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _phi_constants(tree: ast.AST) -> list[str]:
    skip = _docstrings(tree)
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("phi.")
        and id(node) not in skip
    ]


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(
        ".__init__"
    )


def _phi_assignments(tree: ast.Module) -> set[str]:
    """Module-level names bound to a ``phi.`` string (``ACTION_... = "phi...."``)."""
    names = set()
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and node.value.value.startswith("phi.")
        ):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


PHI_NAMES_BY_MODULE = {
    _module_name(path): _phi_assignments(ast.parse(path.read_text()))
    for path in sorted(PACKAGE.rglob("*.py"))
}


def _phi_names_seen_in(tree: ast.Module) -> tuple[set[str], dict[str, set[str]]]:
    """The ``phi.`` constants a module can name: its own and those it imports by name, and the
    modules it imports whole (alias -> their ``phi.`` constants)."""
    names = set(_phi_assignments(tree))
    modules: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                bound = alias.asname or alias.name
                if alias.name in PHI_NAMES_BY_MODULE.get(node.module, set()):
                    names.add(bound)
                submodule = f"{node.module}.{alias.name}"
                if submodule in PHI_NAMES_BY_MODULE:
                    modules[bound] = PHI_NAMES_BY_MODULE[submodule]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in PHI_NAMES_BY_MODULE:
                    modules[alias.asname] = PHI_NAMES_BY_MODULE[alias.name]
    return names, modules


def _string_constants(tree: ast.Module) -> set[str]:
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _imported_names(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def _record_event_calls(tree: ast.AST) -> list[ast.Call]:
    def is_record_event(func: ast.expr) -> bool:
        return (isinstance(func, ast.Name) and func.id == "record_event") or (
            isinstance(func, ast.Attribute) and func.attr == "record_event"
        )

    return [
        node for node in ast.walk(tree) if isinstance(node, ast.Call) and is_record_event(node.func)
    ]


def _action(call: ast.Call) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == "action"), None)


def test_no_module_outside_records_writes_a_phi_action_itself() -> None:
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        calls = _record_event_calls(tree)
        phi_names, phi_modules = _phi_names_seen_in(tree)
        where = str(path.relative_to(PACKAGE.parent))
        names_phi = bool(_phi_constants(tree))
        fixed = _string_constants(tree) | _imported_names(tree)
        for call in calls:
            action = _action(call)
            direct = isinstance(action, ast.Constant) and str(action.value).startswith("phi.")
            named = (isinstance(action, ast.Name) and action.id in phi_names) or (
                isinstance(action, ast.Attribute)
                and isinstance(action.value, ast.Name)
                and action.attr in phi_modules.get(action.value.id, set())
            )
            # An action passed through (a helper's parameter) in a module that names phi.
            # actions: the old views' ``_audit_view(request, "phi....", ...)``.
            passed_through = not (
                isinstance(action, ast.Constant)
                or (isinstance(action, ast.Name) and action.id in fixed)
                or isinstance(action, ast.Attribute)
            )
            if direct or named or (names_phi and passed_through):
                offenders.append(f"{where}:{call.lineno}: record_event with a phi. action")
    assert offenders == [], "PHI reads go through rxportal.records.reads.record_phi_read"


def test_the_source_check_sees_a_direct_write() -> None:
    """The check itself: a module like the old views is caught."""
    old_style = ast.parse(
        'ACTION = "phi.thing.viewed"\n'
        "def view(request):\n"
        "    record_event(action=ACTION, outcome='success', actor=request.user)\n"
    )

    assert _phi_constants(old_style) == ["phi.thing.viewed"]
    assert _phi_assignments(old_style) == {"ACTION"}
    assert len(_record_event_calls(old_style)) == 1


# --- The behaviour: a sweep of the member pages -------------------------------------------------


@pytest.mark.django_db
def test_every_phi_event_of_the_member_pages_came_through_the_door(
    sweep_family: dict[str, Records],  # noqa: F811
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    through_door: set[int] = set()
    real_record_event = reads.record_event

    def watched(**kwargs: Any) -> AuditEvent:
        event = real_record_event(**kwargs)
        through_door.add(event.pk)
        return event

    monkeypatch.setattr(reads, "record_event", watched)
    _set_consent(sweep_family, "granted", today)
    before = set(AuditEvent.objects.filter(action__startswith="phi.").values_list("pk", flat=True))
    client = Client()
    client.force_login(sweep_family["subscriber"].member.user)
    sweep = Sweep(people=sweep_family, viewer="subscriber", client=client)

    for probe in PROBES.values():
        probe.seen(sweep)
    drug = sweep_family["subscriber"].drug
    assert client.get(reverse("formulary:drug", args=[drug.public_id])).status_code == 200

    phi_events = AuditEvent.objects.filter(action__startswith="phi.").exclude(pk__in=before)
    written = dict(phi_events.values_list("pk", "action"))
    assert {pk: action for pk, action in written.items() if pk not in through_door} == {}
    assert set(written.values()) >= {
        "phi.dashboard.viewed",
        "phi.benefits.viewed",
        "phi.id_card.viewed",
        "phi.id_card.downloaded",
        "phi.family_access.viewed",
        "phi.prescriptions.viewed",
        "phi.refill_request.viewed",
        "phi.refill_selection.viewed",
        "phi.refill_estimate.viewed",
        "phi.claims.viewed",
        "phi.claim.viewed",
        "phi.claims.exported",
        "phi.claims.statement_downloaded",
        "phi.mail_orders.viewed",
        "phi.mail_order.viewed",
        "phi.shipping_addresses.viewed",
        "phi.cost_estimate.viewed",
        "phi.price_quotes.viewed",
        "phi.price_quote.viewed",
        "phi.drug_coverage.viewed",
    }
    assert all(event.details["edge"] == "web" for event in phi_events.only("details").iterator())
