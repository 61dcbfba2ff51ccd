from django.apps import AppConfig


class ConnectedAppsConfig(AppConfig):
    name = "rxportal.connected_apps"
    label = "connected_apps"
