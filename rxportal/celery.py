"""Celery application: eager in the embedded default, Redis broker when REDIS_URL is set."""

import os

from celery import Celery

from rxportal.operations.request_ids import connect_to_celery

os.environ.setdefault(
    "DJANGO_SETTINGS_MODULE",
    "rxportal.settings.prod"
    if os.environ.get("RXPORTAL_ENV") == "production"
    else "rxportal.settings.dev",
)

app = Celery("rxportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A task's log lines carry the id of the request that sent it (docs/operations.md, "Logs").
connect_to_celery()
