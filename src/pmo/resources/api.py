"""API: skills, resources (with their skills), cost rates, assignments."""

import datetime as dt
from decimal import Decimal

from ninja import NinjaAPI, Router, Schema

from pmo.api.crud import CrudSpec, InSchema, PatchSchema, add_crud
from pmo.resources.models import Assignment, CostRate, Resource, Skill


class SkillOut(Schema):
    id: int
    version: int
    organisation_id: int
    name: str
    description: str


class SkillIn(InSchema):
    organisation_id: int
    name: str
    description: str = ""


class SkillPatch(PatchSchema):
    name: str | None = None
    description: str | None = None


class SkillLevel(Schema):
    skill_id: int
    proficiency: int


class SkillLevelIn(InSchema):
    skill_id: int
    proficiency: int = 3


class ResourceOut(Schema):
    id: int
    version: int
    organisation_id: int
    code: str
    name: str
    kind: str
    user_id: int | None
    email: str
    calendar_id: int | None
    max_units: Decimal
    standard_rate: Decimal
    currency: str
    skills: list[SkillLevel]

    @staticmethod
    def resolve_skills(obj: Resource) -> list[dict[str, int]]:
        levels = sorted(obj.skill_levels.all(), key=lambda s: s.skill_id)
        return [{"skill_id": s.skill_id, "proficiency": s.proficiency} for s in levels]


class ResourceIn(InSchema):
    organisation_id: int
    code: str
    name: str
    kind: str = "person"
    user_id: int | None = None
    email: str = ""
    calendar_id: int | None = None
    max_units: Decimal = Decimal(1)
    standard_rate: Decimal = Decimal(0)
    currency: str
    skills: list[SkillLevelIn] = []


class ResourcePatch(PatchSchema):
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    user_id: int | None = None
    email: str | None = None
    calendar_id: int | None = None
    max_units: Decimal | None = None
    standard_rate: Decimal | None = None
    currency: str | None = None
    skills: list[SkillLevelIn] | None = None


class CostRateOut(Schema):
    id: int
    version: int
    organisation_id: int
    resource_id: int
    effective_from: dt.date
    standard_rate: Decimal
    overtime_rate: Decimal
    cost_per_use: Decimal


class CostRateIn(InSchema):
    resource_id: int
    effective_from: dt.date
    standard_rate: Decimal
    overtime_rate: Decimal = Decimal(0)
    cost_per_use: Decimal = Decimal(0)


class CostRatePatch(PatchSchema):
    effective_from: dt.date | None = None
    standard_rate: Decimal | None = None
    overtime_rate: Decimal | None = None
    cost_per_use: Decimal | None = None


class AssignmentOut(Schema):
    id: int
    version: int
    organisation_id: int
    task_id: int
    resource_id: int
    units: Decimal
    work_minutes: int
    actual_work_minutes: int


class AssignmentIn(InSchema):
    task_id: int
    resource_id: int
    units: Decimal = Decimal(1)
    work_minutes: int = 0
    actual_work_minutes: int = 0


class AssignmentPatch(PatchSchema):
    resource_id: int | None = None
    units: Decimal | None = None
    work_minutes: int | None = None
    actual_work_minutes: int | None = None


def register(api: NinjaAPI) -> None:
    specs = [
        CrudSpec(
            Skill,
            "skills",
            SkillOut,
            SkillIn,
            SkillPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "q": (str, "name__icontains"),
            },
        ),
        CrudSpec(
            Resource,
            "resources",
            ResourceOut,
            ResourceIn,
            ResourcePatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "kind": (str, "kind"),
                "user_id": (int, "user_id"),
                "calendar_id": (int, "calendar_id"),
                "skill_id": (int, "skill_levels__skill_id"),
                "q": (str, ("name__icontains", "code__icontains", "email__icontains")),
            },
            prefetch_related=("skill_levels",),
        ),
        CrudSpec(
            CostRate,
            "cost-rates",
            CostRateOut,
            CostRateIn,
            CostRatePatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "resource_id": (int, "resource_id"),
                "date_from": (dt.date, "effective_from__gte"),
                "date_to": (dt.date, "effective_from__lte"),
            },
        ),
        CrudSpec(
            Assignment,
            "assignments",
            AssignmentOut,
            AssignmentIn,
            AssignmentPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "task__project_id"),
                "task_id": (int, "task_id"),
                "resource_id": (int, "resource_id"),
            },
        ),
    ]
    for spec in specs:
        router = Router()
        add_crud(router, spec)
        api.add_router(f"/{spec.path}", router)
