"""Reference data of the resource pool: skills, resources with their skills, cost rates."""

from __future__ import annotations

from django.contrib import admin

from pmo.core.admin import AuditedAdmin
from pmo.resources.models import (
    CostRate,
    LevellingRun,
    Resource,
    ResourceSkill,
    Skill,
    TaskSkillRequirement,
)


@admin.register(Skill)
class SkillAdmin(AuditedAdmin):
    list_display = ("name", "organisation")
    list_filter = ("organisation",)
    search_fields = ("name",)


class ResourceSkillInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ResourceSkill
    extra = 1
    raw_id_fields = ("skill",)


class CostRateInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CostRate
    fields = ("effective_from", "standard_rate", "overtime_rate", "cost_per_use")
    extra = 0


@admin.register(Resource)
class ResourceAdmin(AuditedAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "organisation",
        "max_units",
        "standard_rate",
        "currency",
    )
    list_filter = ("organisation", "kind")
    search_fields = ("code", "name", "email")
    raw_id_fields = ("user", "calendar")
    inlines = [ResourceSkillInline, CostRateInline]


@admin.register(TaskSkillRequirement)
class TaskSkillRequirementAdmin(AuditedAdmin):
    list_display = ("task", "skill", "min_proficiency", "units", "organisation")
    list_filter = ("organisation",)
    raw_id_fields = ("task", "skill")


@admin.register(LevellingRun)
class LevellingRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: a levelling run changes only through accept, discard and undo."""

    list_display = ("pk", "organisation", "project", "portfolio", "status", "engine", "moved")
    list_filter = ("organisation", "status")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
