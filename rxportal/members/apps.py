from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "rxportal.members"
    label = "members"
