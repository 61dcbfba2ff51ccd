"""Shared model base: public UUIDs for URLs, timestamps for every row."""

import uuid

from django.db import models


class BaseModel(models.Model):
    """Every table gets a public id (used in URLs and payloads) and created/updated times."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def money_field(**kwargs: object) -> models.DecimalField:
    """Money columns: Decimal with cents, never float."""
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)  # type: ignore[arg-type]
