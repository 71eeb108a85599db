"""Strategic objectives, portfolios and programs (usually edited in the application)."""

from __future__ import annotations

from django.contrib import admin

from pmo.core.admin import AuditedAdmin
from pmo.portfolio.models import Portfolio, Program, StrategicObjective


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(AuditedAdmin):
    list_display = ("code", "name", "organisation", "weight", "target_date")
    list_filter = ("organisation",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(Portfolio)
class PortfolioAdmin(AuditedAdmin):
    list_display = ("code", "name", "organisation", "currency", "manager")
    list_filter = ("organisation",)
    search_fields = ("code", "name")
    raw_id_fields = ("manager",)


@admin.register(Program)
class ProgramAdmin(AuditedAdmin):
    list_display = ("code", "name", "portfolio", "organisation", "manager")
    list_filter = ("organisation",)
    search_fields = ("code", "name")
    raw_id_fields = ("portfolio", "manager")
    list_select_related = ("portfolio", "organisation", "manager")
