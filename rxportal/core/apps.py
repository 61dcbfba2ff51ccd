from typing import Any

from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_tables(*, using: str = "default", **kwargs: Any) -> None:
    """The embedded default caches in the database (settings/base.py): every `migrate` (make run,
    the browser tests' server, the benchmarks) also makes the table. Idempotent; nothing to do
    when the cache is Redis or local memory."""
    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "rxportal.core"
    label = "core"

    def ready(self) -> None:
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="rx_cache_tables")
