"""Demo-data errors with stable codes."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class DemoRefusedInProduction(DomainError):
    code = "demo.refused_in_production"


class DemoAlreadySeeded(DomainError):
    """The database already holds demo data from another seed, member count or an unfinished
    run. Claims can never be deleted, so seed into a fresh database instead."""

    code = "demo.already_seeded"


class DemoReferenceDataMissing(DomainError):
    code = "demo.reference_data_missing"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"Reference data is missing ({what}): run `python manage.py import_reference_data` "
            "first."
        )
