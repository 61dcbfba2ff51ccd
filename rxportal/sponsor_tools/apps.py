from django.apps import AppConfig


class SponsorToolsConfig(AppConfig):
    name = "rxportal.sponsor_tools"
    label = "sponsor_tools"
    verbose_name = "Plan sponsors' PHI tools"
