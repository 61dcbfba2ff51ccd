"""Order reasons and timeline notes were stored as English sentences and translated on display
only when the sentence happened to be a catalogue entry (the demo's never were). They become
codes (``CancelReason`` or ``PharmacyReason``), said at the edge in the reader's language.

Known sentences map to their code; a timeline note that only repeated its step ("Order
received", "Shipped by UPS, tracking ...", a status name) becomes no reason. Any other text
of an order's hold or cancel reason, or of a hold or cancellation step, cannot be said in
Spanish but is not dropped: it becomes ``other`` ("Another reason", CancelReason.OTHER), so
the order still says it had a reason (the member can call to hear it). Other text on a step
without a reason (received, verifying, processing, shipped, delivered) becomes no reason.
Undone, ``other`` reads "Another reason": the original words are not kept.
"""

import re

from django.db import migrations, models

REASONS = [
    ("no_longer_needed", "I no longer need this medication"),
    ("ordered_by_mistake", "I ordered it by mistake"),
    ("pick_up_at_pharmacy", "I will pick it up at a pharmacy instead"),
    ("delivery_too_slow", "It would arrive too late"),
    ("wrong_address", "It would go to the wrong address"),
    ("other", "Another reason"),
    ("prescriber_confirmation", "Waiting for the prescriber to confirm the prescription"),
    ("payment_declined", "Payment method on file was declined"),
    ("prior_authorization", "Prior authorization pending"),
    ("address_unverified", "Address could not be verified"),
    ("member_request", "Cancelled at the member's request"),
    ("prescription_expired", "Prescription expired before it could be filled"),
    ("duplicate_order", "Duplicate order"),
    ("prescriber_discontinued", "Prescriber discontinued the medication"),
]
CODE_OF_TEXT = {text: code for code, text in REASONS}
CODES = {code for code, _text in REASONS}
OTHER = "other"
# Notes that only repeated their step: the order service's, the status names, the demo's.
STEP_NOTES = frozenset(
    {
        "Order received",
        "Pharmacist verifying the prescription",
        "Filling the order",
        *("Received", "Verifying", "Processing", "Shipped", "Delivered", "On hold", "Cancelled"),
    }
)
SHIPPED_NOTE = re.compile(r"^Shipped by .+, tracking \S+$")
# The steps that have a reason to say (orders.OrderStatus values).
STEPS_WITH_A_REASON = ("on_hold", "cancelled")


def code_of(text: str, *, has_reason: bool = True) -> str:
    """The code of a stored reason or note; unknown words of a hold or cancellation become
    ``other`` rather than nothing."""
    text = text.strip()
    if text in CODES:
        return text
    if text in CODE_OF_TEXT:
        return CODE_OF_TEXT[text]
    if not text or text in STEP_NOTES or SHIPPED_NOTE.match(text):
        return ""
    return OTHER if has_reason else ""


def store_codes(apps, schema_editor):  # type: ignore[no-untyped-def]
    MailOrder = apps.get_model("orders", "MailOrder")
    MailOrderEvent = apps.get_model("orders", "MailOrderEvent")
    for text in (
        MailOrder.objects.exclude(status_reason="")
        .values_list("status_reason", flat=True)
        .distinct()
    ):
        MailOrder.objects.filter(status_reason=text).update(status_reason=code_of(text))
    notes = MailOrderEvent.objects.exclude(note="").values_list("note", "status").distinct()
    for text, status in notes:
        MailOrderEvent.objects.filter(note=text, status=status).update(
            reason=code_of(text, has_reason=status in STEPS_WITH_A_REASON)
        )


def store_sentences(apps, schema_editor):  # type: ignore[no-untyped-def]
    MailOrder = apps.get_model("orders", "MailOrder")
    MailOrderEvent = apps.get_model("orders", "MailOrderEvent")
    for code, text in REASONS:
        MailOrder.objects.filter(status_reason=code).update(status_reason=text)
        MailOrderEvent.objects.filter(reason=code).update(note=text)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_reattribute_orders_to_their_patient"),
    ]

    operations = [
        migrations.AddField(
            model_name="mailorderevent",
            name="reason",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(store_codes, store_sentences),
        migrations.RemoveField(model_name="mailorderevent", name="note"),
        migrations.AlterField(
            model_name="mailorderevent",
            name="reason",
            field=models.CharField(blank=True, choices=REASONS, max_length=40),
        ),
        migrations.AlterField(
            model_name="mailorder",
            name="status_reason",
            field=models.CharField(blank=True, choices=REASONS, max_length=40),
        ),
    ]
