"""API: risks (with their score) and issues."""

import datetime as dt
from decimal import Decimal

from ninja import NinjaAPI, Router, Schema

from pmo.api.crud import CrudSpec, InSchema, PatchSchema, add_crud
from pmo.risks.models import Issue, Risk


class RiskOut(Schema):
    id: int
    version: int
    organisation_id: int
    portfolio_id: int | None
    program_id: int | None
    project_id: int | None
    task_id: int | None
    code: str
    title: str
    description: str
    category: str
    probability: int
    impact: int
    score: int
    state: str
    response: str
    response_plan: str
    owner_id: int | None
    due_date: dt.date | None
    cost_impact_min: Decimal
    cost_impact_likely: Decimal
    cost_impact_max: Decimal
    schedule_impact_days_min: int
    schedule_impact_days_likely: int
    schedule_impact_days_max: int


class RiskIn(InSchema):
    organisation_id: int | None = None
    portfolio_id: int | None = None
    program_id: int | None = None
    project_id: int | None = None
    task_id: int | None = None
    code: str
    title: str
    description: str = ""
    category: str = ""
    probability: int = 3
    impact: int = 3
    state: str = "open"
    response: str = "mitigate"
    response_plan: str = ""
    owner_id: int | None = None
    due_date: dt.date | None = None
    cost_impact_min: Decimal = Decimal(0)
    cost_impact_likely: Decimal = Decimal(0)
    cost_impact_max: Decimal = Decimal(0)
    schedule_impact_days_min: int = 0
    schedule_impact_days_likely: int = 0
    schedule_impact_days_max: int = 0


class RiskPatch(PatchSchema):
    portfolio_id: int | None = None
    program_id: int | None = None
    project_id: int | None = None
    task_id: int | None = None
    code: str | None = None
    title: str | None = None
    description: str | None = None
    category: str | None = None
    probability: int | None = None
    impact: int | None = None
    state: str | None = None
    response: str | None = None
    response_plan: str | None = None
    owner_id: int | None = None
    due_date: dt.date | None = None
    cost_impact_min: Decimal | None = None
    cost_impact_likely: Decimal | None = None
    cost_impact_max: Decimal | None = None
    schedule_impact_days_min: int | None = None
    schedule_impact_days_likely: int | None = None
    schedule_impact_days_max: int | None = None


class IssueOut(Schema):
    id: int
    version: int
    organisation_id: int
    project_id: int
    task_id: int | None
    code: str
    title: str
    description: str
    priority: str
    state: str
    owner_id: int | None
    raised_on: dt.date | None
    due_date: dt.date | None
    resolution: str


class IssueIn(InSchema):
    project_id: int
    task_id: int | None = None
    code: str
    title: str
    description: str = ""
    priority: str = "medium"
    state: str = "open"
    owner_id: int | None = None
    raised_on: dt.date | None = None
    due_date: dt.date | None = None
    resolution: str = ""


class IssuePatch(PatchSchema):
    task_id: int | None = None
    code: str | None = None
    title: str | None = None
    description: str | None = None
    priority: str | None = None
    state: str | None = None
    owner_id: int | None = None
    raised_on: dt.date | None = None
    due_date: dt.date | None = None
    resolution: str | None = None


def register(api: NinjaAPI) -> None:
    specs = [
        CrudSpec(
            Risk,
            "risks",
            RiskOut,
            RiskIn,
            RiskPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "portfolio_id": (int, "portfolio_id"),
                "program_id": (int, "program_id"),
                "project_id": (int, "project_id"),
                "task_id": (int, "task_id"),
                "owner_id": (int, "owner_id"),
                "state": (str, "state"),
                "response": (str, "response"),
                "category": (str, "category"),
                "q": (str, ("title__icontains", "code__icontains")),
            },
        ),
        CrudSpec(
            Issue,
            "issues",
            IssueOut,
            IssueIn,
            IssuePatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "project_id"),
                "task_id": (int, "task_id"),
                "owner_id": (int, "owner_id"),
                "state": (str, "state"),
                "priority": (str, "priority"),
                "q": (str, ("title__icontains", "code__icontains")),
            },
        ),
    ]
    for spec in specs:
        router = Router()
        add_crud(router, spec)
        api.add_router(f"/{spec.path}", router)
