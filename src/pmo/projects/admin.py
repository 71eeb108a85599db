"""Projects in the admin (their tasks are edited in the application, where the schedule is)."""

from __future__ import annotations

from django.contrib import admin

from pmo.core.admin import AuditedAdmin
from pmo.projects.models import Project


@admin.register(Project)
class ProjectAdmin(AuditedAdmin):
    list_display = ("code", "name", "organisation", "portfolio", "phase", "status", "manager")
    list_filter = ("organisation", "phase", "status")
    search_fields = ("code", "name")
    raw_id_fields = ("portfolio", "program", "manager", "calendar")
    list_select_related = ("organisation", "portfolio", "manager")
