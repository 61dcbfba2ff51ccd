"""Form helpers every app shares (this module imports no app)."""

from __future__ import annotations

from typing import Any

from django import forms


class DescribedFieldsMixin:
    """Ties each field to its hint and error (``aria-describedby``, ``aria-invalid``).

    The IDs are the field's ``auto_id`` plus ``_hint`` (when it has help text) and ``_error``
    (when it has an error): the templates give the hint and the error those IDs. A hidden
    field is never described (nothing on the page shows it) but is still marked invalid.
    Views that add an error after validation call ``describe_fields()`` again.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe_fields()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self.describe_fields()

    def describe_fields(self) -> None:
        form: forms.BaseForm = self  # type: ignore[assignment]
        errors = getattr(form, "_errors", None) or {}
        for name, field in form.fields.items():
            auto_id = form[name].auto_id
            ids = [f"{auto_id}_hint"] if field.help_text else []
            if name in errors:
                ids.append(f"{auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if ids and not field.widget.is_hidden:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                field.widget.attrs.pop("aria-describedby", None)
