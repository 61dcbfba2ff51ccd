"""What the JSON API keeps of its own: the first answer to each ``Idempotency-Key``."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """One caller's ``Idempotency-Key`` and the first answer given for it (see ``idempotency``).

    ``status_code`` is None while the first request is still being answered: a retry then is
    told to wait (409) instead of placing a second order. Rows older than a day are stale: the
    key may be used again.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of the method, the path and the canonical JSON body: the same key with another
    # request is refused, never answered with the first request's result.
    request_fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_user_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="api_idempotency_created")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
