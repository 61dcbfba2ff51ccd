from django.apps import AppConfig


class WhatIfConfig(AppConfig):
    name = "rxportal.whatif"
    label = "whatif"
