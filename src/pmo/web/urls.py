from __future__ import annotations

import importlib

from django.urls import URLPattern, URLResolver, path

from pmo.web import views

app_name = "web"

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("switch-organisation/", views.switch_organisation, name="switch-org"),
]

# Each domain's ``views`` module may expose ``urlpatterns``; they share the ``web`` namespace.
for _name in (
    "pmo.portfolio.views",
    "pmo.projects.views",
    "pmo.projects.views_schedule",
    "pmo.projects.views_interop",
    "pmo.resources.views",
    "pmo.risks.views",
    "pmo.governance.views",
    "pmo.finance.views",
    "pmo.reports.views",
    "pmo.orgs.views",
    "pmo.core.views",
    "pmo.core.views_tokens",
):
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
        continue
    urlpatterns += getattr(_module, "urlpatterns", [])
