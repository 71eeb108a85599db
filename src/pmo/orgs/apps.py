from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "pmo.orgs"
    label = "orgs"
    verbose_name = "Organisations"
