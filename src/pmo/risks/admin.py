"""Risk and issue registers in the admin (edited day to day in the application)."""

from __future__ import annotations

from django.contrib import admin

from pmo.core.admin import AuditedAdmin
from pmo.risks.models import Issue, Risk


@admin.register(Risk)
class RiskAdmin(AuditedAdmin):
    list_display = ("code", "title", "organisation", "project", "probability", "impact", "state")
    list_filter = ("organisation", "state", "response")
    search_fields = ("code", "title")
    raw_id_fields = ("portfolio", "program", "project", "task", "owner")


@admin.register(Issue)
class IssueAdmin(AuditedAdmin):
    list_display = ("code", "title", "organisation", "project", "priority", "state")
    list_filter = ("organisation", "state", "priority")
    search_fields = ("code", "title")
    raw_id_fields = ("project", "task", "owner")
