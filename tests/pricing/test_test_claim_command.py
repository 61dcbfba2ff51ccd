"""`manage.py test_claim`: one JSON answer, or a clear message and exit status 2."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rxportal.plans.services import create_standard_plans
from rxportal.pricing.management.commands.test_claim import Command
from tests.plans.support import create_plan_prerequisites


@pytest.fixture
def standard_plans(db: None) -> None:
    create_plan_prerequisites()
    create_standard_plans(plan_year=2026)


def _run(*args: str) -> dict:
    out = StringIO()
    call_command("test_claim", *args, stdout=out)
    return json.loads(out.getvalue())


PART_D_GENERIC = ("--plan", "PARTD-STD-2025", "--tier", "generic", "--days-supply", "30")


@pytest.mark.usefixtures("standard_plans")
def test_part_d_2025_generic_1000_dollars_at_retail() -> None:
    result = _run(*PART_D_GENERIC, "--drug-cost", "1000", "--channel", "retail")

    assert result["member_pays"] == "692.50"  # $590 deductible + 25% of $410
    assert result["plan_pays"] == "307.50"
    assert result["deductible_applied"] == "590.00"
    assert result["oop_applied"] == "692.50"
    assert result["total_cost"] == "1000.00"
    assert (result["plan"], result["tier"], result["channel"]) == (
        "PARTD-STD-2025",
        "generic",
        "retail_30",
    )
    assert [line["code"] for line in result["explanation"]] == [
        "total",
        "deductible",
        "coinsurance",
        "summary",
    ]
    assert all(set(line) == {"code", "text", "amount"} for line in result["explanation"])


@pytest.mark.usefixtures("standard_plans")
def test_part_d_member_past_the_out_of_pocket_threshold_pays_nothing() -> None:
    result = _run(
        *PART_D_GENERIC, "--drug-cost", "1000", "--channel", "retail", "--oop-met", "2000"
    )

    assert result["member_pays"] == "0.00"
    assert result["plan_pays"] == "1000.00"


@pytest.mark.usefixtures("standard_plans")
def test_part_d_insulin_is_capped_at_35_dollars_a_month_before_the_deductible() -> None:
    result = _run(
        "--plan", "PARTD-STD-2026", "--tier", "preferred-brand", "--drug-cost", "450",
        "--days-supply", "90", "--channel", "mail", "--insulin",
    )  # fmt: skip

    assert result["channel"] == "mail_90"
    assert result["member_pays"] == "105.00"
    assert result["deductible_applied"] == "0.00"


@pytest.mark.usefixtures("standard_plans")
def test_commercial_plan_uses_its_real_copay_after_the_deductible_is_met() -> None:
    result = _run(
        "--plan", "QHP-10207VA0380001", "--tier", "generic", "--drug-cost", "80",
        "--days-supply", "84", "--channel", "retail", "--deductible-met", "3000",
    )  # fmt: skip

    assert result["channel"] == "retail_90"
    assert result["member_pays"] == "20.00"


@pytest.mark.usefixtures("standard_plans")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--plan", "NOPE", "--tier", "generic", "--drug-cost", "1"), "No plan"),
        (("--plan", "PARTD-STD-2025", "--tier", "bogus", "--drug-cost", "1"), "Unknown tier"),
        (("--plan", "PARTD-STD-2025", "--tier", "generic", "--drug-cost", "-5"), "non-negative"),
        (("--plan", "PARTD-STD-2025", "--tier", "generic", "--drug-cost", "abc"), "amount"),
        (
            ("--plan", "PARTD-STD-2025", "--tier", "generic", "--drug-cost", "1", "--oop-met", "x"),
            "--oop-met",
        ),
    ],
)
def test_bad_input_is_a_command_error_with_status_2(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message) as caught:
        call_command("test_claim", *args, "--days-supply", "30", "--channel", "retail")

    assert caught.value.returncode == 2


@pytest.mark.usefixtures("standard_plans")
@pytest.mark.parametrize("days", ["0", "-3", "ten"])
def test_days_supply_below_one_exits_2_with_a_message_not_a_traceback(
    days: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "manage.py", "test_claim", *PART_D_GENERIC[:4], "--days-supply", days,
        "--drug-cost", "10", "--channel", "retail",
    ]  # fmt: skip

    with pytest.raises(SystemExit) as caught:
        Command().run_from_argv(argv)

    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--days-supply" in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("standard_plans")
def test_unknown_plan_exits_2_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "manage.py", "test_claim", "--plan", "NOPE", "--tier", "generic", "--drug-cost", "1",
        "--days-supply", "30", "--channel", "retail",
    ]  # fmt: skip

    with pytest.raises(SystemExit) as caught:
        Command().run_from_argv(argv)

    assert caught.value.code == 2
    assert "No plan with code 'NOPE'" in capsys.readouterr().err
