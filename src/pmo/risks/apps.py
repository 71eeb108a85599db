from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "pmo.risks"
    label = "risks"
