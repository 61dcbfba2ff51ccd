"""Order reasons and timeline notes were stored as English sentences and translated on display
only when the sentence happened to be a catalogue entry (the demo's never were). They become
codes (``CancelReason`` or ``PharmacyReason``), said at the edge in the reader's language.

Known sentences map to their code; a timeline note that only repeated its step ("Order
received", "Shipped by UPS, tracking ...", a status name) becomes no reason; any other text
cannot be said in Spanish and is dropped (the step and the status still say what happened).
"""

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


def code_of(text: str) -> str:
    text = text.strip()
    if text in CODES:
        return text
    return CODE_OF_TEXT.get(text, "")


def store_codes(apps, schema_editor):  # type: ignore[no-untyped-def]
    MailOrder = apps.get_model("orders", "MailOrder")
    MailOrderEvent = apps.get_model("orders", "MailOrderEvent")
    for text in MailOrder.objects.exclude(status_reason="").values_list(
        "status_reason", flat=True
    ).distinct():
        MailOrder.objects.filter(status_reason=text).update(status_reason=code_of(text))
    for text in MailOrderEvent.objects.exclude(note="").values_list("note", flat=True).distinct():
        MailOrderEvent.objects.filter(note=text).update(reason=code_of(text))


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
