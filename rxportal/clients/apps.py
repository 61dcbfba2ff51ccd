from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "rxportal.clients"
    label = "clients"
