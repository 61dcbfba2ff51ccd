from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "rxportal.orders"
    label = "orders"
