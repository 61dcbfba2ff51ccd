from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The PBM staff console: service-center and account-team tools (no models of its own)."""

    name = "rxportal.staff"
    label = "staff"
