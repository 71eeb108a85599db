from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "pmo.reports"
    label = "reports"
