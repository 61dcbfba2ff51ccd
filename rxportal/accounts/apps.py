from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "rxportal.accounts"
    label = "accounts"
