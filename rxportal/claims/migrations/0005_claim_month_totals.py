"""Per-member monthly claim totals (``ClaimMonthTotal``), kept in step with ``claims_claim`` by
database triggers so that no write path can forget them, and filled from the existing claims.

PostgreSQL: statement-level AFTER INSERT / AFTER UPDATE triggers with transition tables, so a
COPY of 100,000 claims costs one grouped upsert rather than 100,000 row triggers. They are
created on ``claims_claim`` by name: on a partitioned ``claims_claim`` they sit on the parent,
which fires them (with every partition's rows) for statements on the parent. SQLite: row
triggers (it has no statement triggers). "Paid" is ``domain.is_counted_in_totals``: status
paid and not a reversal.
"""

import django.db.models.deletion
from django.db import migrations, models

_PG_COUNTED = "(c.status = 'paid' AND c.reverses_id IS NULL)"


def _pg_changes(rows: str, sign: str) -> str:
    """One signed change per claim row of a transition table."""
    return f"""
        SELECT c.member_id, date_trunc('month', c.service_date)::date AS month,
               {sign}1 AS claims,
               {sign}(CASE WHEN {_PG_COUNTED} THEN 1 ELSE 0 END) AS paid,
               {sign}(CASE WHEN {_PG_COUNTED} THEN c.member_paid ELSE 0 END) AS member_paid,
               {sign}(CASE WHEN {_PG_COUNTED} THEN c.plan_paid ELSE 0 END) AS plan_paid
        FROM {rows} AS c"""


def _pg_apply(changes: str) -> str:
    """Add the changes, summed per member and month, to the totals. Ordered so that two
    transactions touching the same rows lock them in the same order (no deadlock)."""
    return f"""
        INSERT INTO claims_claimmonthtotal AS total
            (member_id, month, claim_count, paid_count, member_paid, plan_paid)
        SELECT member_id, month, sum(claims), sum(paid), sum(member_paid), sum(plan_paid)
        FROM ({changes}) AS change
        GROUP BY member_id, month
        HAVING sum(claims) <> 0 OR sum(paid) <> 0 OR sum(member_paid) <> 0
            OR sum(plan_paid) <> 0
        ORDER BY member_id, month
        ON CONFLICT (member_id, month) DO UPDATE SET
            claim_count = total.claim_count + EXCLUDED.claim_count,
            paid_count = total.paid_count + EXCLUDED.paid_count,
            member_paid = total.member_paid + EXCLUDED.member_paid,
            plan_paid = total.plan_paid + EXCLUDED.plan_paid;"""


PG_CREATE = f"""
CREATE OR REPLACE FUNCTION claims_claim_month_totals_add() RETURNS trigger AS $$
BEGIN
    {_pg_apply(_pg_changes("inserted_claims", "+"))}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION claims_claim_month_totals_change() RETURNS trigger AS $$
BEGIN
    {_pg_apply(_pg_changes("new_claims", "+") + " UNION ALL " + _pg_changes("old_claims", "-"))}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER claims_claim_month_totals_insert AFTER INSERT ON claims_claim
    REFERENCING NEW TABLE AS inserted_claims
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claim_month_totals_add();
CREATE TRIGGER claims_claim_month_totals_update AFTER UPDATE ON claims_claim
    REFERENCING OLD TABLE AS old_claims NEW TABLE AS new_claims
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claim_month_totals_change();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS claims_claim_month_totals_insert ON claims_claim;
DROP TRIGGER IF EXISTS claims_claim_month_totals_update ON claims_claim;
DROP FUNCTION IF EXISTS claims_claim_month_totals_add();
DROP FUNCTION IF EXISTS claims_claim_month_totals_change();
"""


def _sqlite_add(row: str, sign: str) -> str:
    """Add (sign +) or take away (sign -) one claim row (NEW or OLD) from its month's totals."""
    counted = f"({row}.status = 'paid' AND {row}.reverses_id IS NULL)"
    month = f"strftime('%Y-%m-01', {row}.service_date)"
    return f"""
        INSERT OR IGNORE INTO claims_claimmonthtotal
            (member_id, month, claim_count, paid_count, member_paid, plan_paid)
            VALUES ({row}.member_id, {month}, 0, 0, 0, 0);
        UPDATE claims_claimmonthtotal SET
            claim_count = claim_count {sign} 1,
            paid_count = paid_count {sign} (CASE WHEN {counted} THEN 1 ELSE 0 END),
            member_paid = ROUND(member_paid {sign}
                (CASE WHEN {counted} THEN {row}.member_paid ELSE 0 END), 2),
            plan_paid = ROUND(plan_paid {sign}
                (CASE WHEN {counted} THEN {row}.plan_paid ELSE 0 END), 2)
            WHERE member_id = {row}.member_id AND month = {month};"""


SQLITE_CREATE = [
    f"""CREATE TRIGGER claims_claim_month_totals_insert AFTER INSERT ON claims_claim
    BEGIN {_sqlite_add("NEW", "+")}
    END;""",
    f"""CREATE TRIGGER claims_claim_month_totals_update
    AFTER UPDATE OF member_id, service_date, status, reverses_id, member_paid, plan_paid
    ON claims_claim
    BEGIN {_sqlite_add("OLD", "-")} {_sqlite_add("NEW", "+")}
    END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS claims_claim_month_totals_insert;",
    "DROP TRIGGER IF EXISTS claims_claim_month_totals_update;",
]

_BACKFILL = """
INSERT INTO claims_claimmonthtotal
    (member_id, month, claim_count, paid_count, member_paid, plan_paid)
SELECT member_id, {month}, count(*),
       sum(CASE WHEN {counted} THEN 1 ELSE 0 END),
       sum(CASE WHEN {counted} THEN member_paid ELSE 0 END),
       sum(CASE WHEN {counted} THEN plan_paid ELSE 0 END)
FROM claims_claim
GROUP BY member_id, {month};
"""


def create_triggers_and_backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    counted = "(status = 'paid' AND reverses_id IS NULL)"
    if vendor == "postgresql":
        # In the migration's transaction: a claim written meanwhile waits for the triggers.
        schema_editor.execute("LOCK TABLE claims_claim IN SHARE ROW EXCLUSIVE MODE;", None)
        schema_editor.execute(PG_CREATE, None)
        month = "date_trunc('month', service_date)::date"
        schema_editor.execute(_BACKFILL.format(month=month, counted=counted), None)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement, None)
        month = "strftime('%Y-%m-01', service_date)"
        schema_editor.execute(_BACKFILL.format(month=month, counted=counted), None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP, None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, None)


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0004_partition_claims_by_plan_year'),
        ('members', '0002_family_access_grant'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClaimMonthTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(help_text='First day of the month of service')),
                ('claim_count', models.IntegerField(default=0, help_text='Claims of every status')),
                ('paid_count', models.IntegerField(default=0, help_text='Claims counted in the totals')),
                ('member_paid', models.DecimalField(decimal_places=2, default=0, max_digits=12)),
                ('plan_paid', models.DecimalField(decimal_places=2, default=0, max_digits=12)),
                ('member', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='members.member')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('member', 'month'), name='claim_month_total_unique')],
            },
        ),
        migrations.RunPython(create_triggers_and_backfill, drop_triggers),
    ]
