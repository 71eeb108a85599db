from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "pmo.finance"
    label = "finance"
