"""API: change requests, decisions, stage gates, status reports, lessons learned."""

import datetime as dt
from decimal import Decimal

from ninja import NinjaAPI, Router, Schema

from pmo.api.crud import CrudSpec, InSchema, PatchSchema, add_crud
from pmo.governance.models import ChangeRequest, Decision, LessonLearned, StageGate, StatusReport


class ChangeRequestOut(Schema):
    id: int
    version: int
    organisation_id: int
    project_id: int
    code: str
    title: str
    description: str
    state: str
    cost_impact: Decimal
    schedule_impact_days: int
    scope_impact: str
    requested_by: str
    requested_on: dt.date | None
    decided_on: dt.date | None


class ChangeRequestIn(InSchema):
    project_id: int
    code: str
    title: str
    description: str = ""
    state: str = "draft"
    cost_impact: Decimal = Decimal(0)
    schedule_impact_days: int = 0
    scope_impact: str = ""
    requested_by: str = ""
    requested_on: dt.date | None = None
    decided_on: dt.date | None = None


class ChangeRequestPatch(PatchSchema):
    code: str | None = None
    title: str | None = None
    description: str | None = None
    state: str | None = None
    cost_impact: Decimal | None = None
    schedule_impact_days: int | None = None
    scope_impact: str | None = None
    requested_by: str | None = None
    requested_on: dt.date | None = None
    decided_on: dt.date | None = None


class DecisionOut(Schema):
    id: int
    version: int
    organisation_id: int
    portfolio_id: int | None
    program_id: int | None
    project_id: int | None
    code: str
    title: str
    description: str
    rationale: str
    state: str
    decided_on: dt.date | None
    decided_by: str


class DecisionIn(InSchema):
    organisation_id: int | None = None
    portfolio_id: int | None = None
    program_id: int | None = None
    project_id: int | None = None
    code: str
    title: str
    description: str = ""
    rationale: str = ""
    state: str = "proposed"
    decided_on: dt.date | None = None
    decided_by: str = ""


class DecisionPatch(PatchSchema):
    portfolio_id: int | None = None
    program_id: int | None = None
    project_id: int | None = None
    code: str | None = None
    title: str | None = None
    description: str | None = None
    rationale: str | None = None
    state: str | None = None
    decided_on: dt.date | None = None
    decided_by: str | None = None


class StageGateOut(Schema):
    id: int
    version: int
    organisation_id: int
    project_id: int
    name: str
    phase: str
    planned_date: dt.date | None
    actual_date: dt.date | None
    state: str
    criteria: str


class StageGateIn(InSchema):
    project_id: int
    name: str
    phase: str = ""
    planned_date: dt.date | None = None
    actual_date: dt.date | None = None
    state: str = "pending"
    criteria: str = ""


class StageGatePatch(PatchSchema):
    name: str | None = None
    phase: str | None = None
    planned_date: dt.date | None = None
    actual_date: dt.date | None = None
    state: str | None = None
    criteria: str | None = None


class StatusReportOut(Schema):
    id: int
    version: int
    organisation_id: int
    project_id: int
    period_end: dt.date
    overall: str
    schedule: str
    cost: str
    scope_rag: str
    risk: str
    summary: str
    achievements: str
    next_steps: str
    author_id: int | None


class StatusReportIn(InSchema):
    project_id: int
    period_end: dt.date
    overall: str = "green"
    schedule: str = "green"
    cost: str = "green"
    scope_rag: str = "green"
    risk: str = "green"
    summary: str = ""
    achievements: str = ""
    next_steps: str = ""
    author_id: int | None = None


class StatusReportPatch(PatchSchema):
    period_end: dt.date | None = None
    overall: str | None = None
    schedule: str | None = None
    cost: str | None = None
    scope_rag: str | None = None
    risk: str | None = None
    summary: str | None = None
    achievements: str | None = None
    next_steps: str | None = None
    author_id: int | None = None


class LessonOut(Schema):
    id: int
    version: int
    organisation_id: int
    project_id: int | None
    title: str
    category: str
    what_happened: str
    recommendation: str
    tags: str
    created_at: dt.datetime


class LessonIn(InSchema):
    organisation_id: int | None = None
    project_id: int | None = None
    title: str
    category: str = ""
    what_happened: str = ""
    recommendation: str = ""
    tags: str = ""


class LessonPatch(PatchSchema):
    project_id: int | None = None
    title: str | None = None
    category: str | None = None
    what_happened: str | None = None
    recommendation: str | None = None
    tags: str | None = None


def register(api: NinjaAPI) -> None:
    specs = [
        CrudSpec(
            ChangeRequest,
            "change-requests",
            ChangeRequestOut,
            ChangeRequestIn,
            ChangeRequestPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "project_id"),
                "state": (str, "state"),
                "q": (str, ("title__icontains", "code__icontains")),
            },
        ),
        CrudSpec(
            Decision,
            "decisions",
            DecisionOut,
            DecisionIn,
            DecisionPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "portfolio_id": (int, "portfolio_id"),
                "program_id": (int, "program_id"),
                "project_id": (int, "project_id"),
                "state": (str, "state"),
                "q": (str, ("title__icontains", "code__icontains")),
            },
        ),
        CrudSpec(
            StageGate,
            "stage-gates",
            StageGateOut,
            StageGateIn,
            StageGatePatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "project_id"),
                "phase": (str, "phase"),
                "state": (str, "state"),
                "q": (str, "name__icontains"),
            },
        ),
        CrudSpec(
            StatusReport,
            "status-reports",
            StatusReportOut,
            StatusReportIn,
            StatusReportPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "project_id"),
                "overall": (str, "overall"),
                "period_from": (dt.date, "period_end__gte"),
                "period_to": (dt.date, "period_end__lte"),
                "q": (str, "summary__icontains"),
            },
        ),
        CrudSpec(
            LessonLearned,
            "lessons",
            LessonOut,
            LessonIn,
            LessonPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "project_id"),
                "category": (str, "category"),
                "q": (str, ("title__icontains", "tags__icontains", "what_happened__icontains")),
            },
        ),
    ]
    for spec in specs:
        router = Router()
        add_crud(router, spec)
        api.add_router(f"/{spec.path}", router)
