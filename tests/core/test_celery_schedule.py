"""The periodic jobs in CELERY_BEAT_SCHEDULE name tasks the worker really has."""

from __future__ import annotations

from django.conf import settings

from rxportal.celery import app


def test_every_scheduled_job_names_a_registered_task() -> None:
    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "prescriptions.run_due_auto_refills" in scheduled
    assert scheduled <= set(app.tasks)
