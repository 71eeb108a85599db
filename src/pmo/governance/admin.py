"""Governance records in the admin; lessons learned are the organisation's reference."""

from __future__ import annotations

from django.contrib import admin

from pmo.core.admin import AuditedAdmin
from pmo.governance.models import ChangeRequest, Decision, LessonLearned, StageGate


@admin.register(LessonLearned)
class LessonLearnedAdmin(AuditedAdmin):
    list_display = ("title", "category", "project", "organisation", "created_at")
    list_filter = ("organisation", "category")
    search_fields = ("title", "tags", "what_happened", "recommendation")
    raw_id_fields = ("project",)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(AuditedAdmin):
    list_display = ("code", "title", "project", "state", "cost_impact", "schedule_impact_days")
    list_filter = ("organisation", "state")
    search_fields = ("code", "title")
    raw_id_fields = ("project",)


@admin.register(Decision)
class DecisionAdmin(AuditedAdmin):
    list_display = ("code", "title", "project", "state", "decided_on", "decided_by")
    list_filter = ("organisation", "state")
    search_fields = ("code", "title")
    raw_id_fields = ("portfolio", "program", "project")


@admin.register(StageGate)
class StageGateAdmin(AuditedAdmin):
    list_display = ("name", "project", "phase", "planned_date", "actual_date", "state")
    list_filter = ("organisation", "state")
    raw_id_fields = ("project",)
