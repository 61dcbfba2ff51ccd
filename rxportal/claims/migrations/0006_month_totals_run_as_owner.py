"""PostgreSQL: the monthly-totals trigger functions of 0005 run as their owner, like 0004's key
functions. Run as the invoker, they made a role granted only rights on claims_claim fail every
claim it wrote (permission denied on claims_claimmonthtotal); such a role now needs no grant
on the totals table, and cannot write it but through these triggers."""

from django.db import migrations

FUNCTIONS = ("claims_claim_month_totals_add()", "claims_claim_month_totals_change()")


def run_as_owner(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for function in FUNCTIONS:
        schema_editor.execute(
            f"ALTER FUNCTION {function} SECURITY DEFINER SET search_path FROM CURRENT", None
        )


def run_as_invoker(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for function in FUNCTIONS:
        schema_editor.execute(f"ALTER FUNCTION {function} SECURITY INVOKER RESET search_path", None)


class Migration(migrations.Migration):
    dependencies = [("claims", "0005_claim_month_totals")]
    operations = [migrations.RunPython(run_as_owner, run_as_invoker, elidable=False)]
