"""API: projects, tasks, dependencies, baselines."""

import datetime as dt
from decimal import Decimal

from ninja import NinjaAPI, Router, Schema

from pmo.api.crud import CrudSpec, InSchema, PatchSchema, add_crud
from pmo.projects.models import Baseline, Dependency, Project, Task


class ProjectOut(Schema):
    id: int
    version: int
    organisation_id: int
    portfolio_id: int
    program_id: int | None
    code: str
    name: str
    description: str
    sponsor: str
    manager_id: int | None
    phase: str
    status: str
    priority: int
    planned_start: dt.date | None
    planned_finish: dt.date | None
    status_date: dt.date | None
    budget: Decimal
    currency: str
    calendar_id: int | None
    scheduled_start: dt.datetime | None
    scheduled_finish: dt.datetime | None


class ProjectIn(InSchema):
    portfolio_id: int
    program_id: int | None = None
    code: str
    name: str
    description: str = ""
    sponsor: str = ""
    manager_id: int | None = None
    phase: str = "proposal"
    status: str = "on_track"
    priority: int = 500
    planned_start: dt.date | None = None
    planned_finish: dt.date | None = None
    status_date: dt.date | None = None
    budget: Decimal = Decimal(0)
    currency: str
    calendar_id: int | None = None


class ProjectPatch(PatchSchema):
    portfolio_id: int | None = None
    program_id: int | None = None
    code: str | None = None
    name: str | None = None
    description: str | None = None
    sponsor: str | None = None
    manager_id: int | None = None
    phase: str | None = None
    status: str | None = None
    priority: int | None = None
    planned_start: dt.date | None = None
    planned_finish: dt.date | None = None
    status_date: dt.date | None = None
    budget: Decimal | None = None
    currency: str | None = None
    calendar_id: int | None = None


class TaskOut(Schema):
    id: int
    version: int
    organisation_id: int
    project_id: int
    parent_id: int | None
    position: int
    wbs: str
    name: str
    is_milestone: bool
    is_summary: bool
    duration_minutes: int
    constraint_type: str
    constraint_date: dt.datetime | None
    deadline: dt.datetime | None
    percent_complete: int
    actual_start: dt.datetime | None
    actual_finish: dt.datetime | None
    remaining_minutes: int | None
    calendar_id: int | None
    notes: str
    ev_method: str
    levelled_start: dt.datetime | None
    early_start: dt.datetime | None
    early_finish: dt.datetime | None
    late_start: dt.datetime | None
    late_finish: dt.datetime | None
    total_float_minutes: int | None
    free_float_minutes: int | None
    is_critical: bool


class TaskIn(InSchema):
    project_id: int
    parent_id: int | None = None
    position: int = 0
    wbs: str = ""
    name: str
    is_milestone: bool = False
    duration_minutes: int = 480
    constraint_type: str = "ASAP"
    constraint_date: dt.datetime | None = None
    deadline: dt.datetime | None = None
    percent_complete: int = 0
    actual_start: dt.datetime | None = None
    actual_finish: dt.datetime | None = None
    remaining_minutes: int | None = None
    calendar_id: int | None = None
    notes: str = ""
    ev_method: str = "percent_complete"


class TaskPatch(PatchSchema):
    parent_id: int | None = None
    position: int | None = None
    wbs: str | None = None
    name: str | None = None
    is_milestone: bool | None = None
    duration_minutes: int | None = None
    constraint_type: str | None = None
    constraint_date: dt.datetime | None = None
    deadline: dt.datetime | None = None
    percent_complete: int | None = None
    actual_start: dt.datetime | None = None
    actual_finish: dt.datetime | None = None
    remaining_minutes: int | None = None
    calendar_id: int | None = None
    notes: str | None = None
    ev_method: str | None = None


class DependencyOut(Schema):
    id: int
    version: int
    organisation_id: int
    predecessor_id: int
    successor_id: int
    type: str
    lag: int
    lag_unit: str


class DependencyIn(InSchema):
    predecessor_id: int
    successor_id: int
    type: str = "FS"
    lag: int = 0
    lag_unit: str = "working"


class DependencyPatch(PatchSchema):
    type: str | None = None
    lag: int | None = None
    lag_unit: str | None = None


class BaselineOut(Schema):
    id: int
    version: int
    organisation_id: int
    project_id: int
    number: int
    name: str
    saved_at: dt.datetime


def register(api: NinjaAPI) -> None:
    specs = [
        CrudSpec(
            Project,
            "projects",
            ProjectOut,
            ProjectIn,
            ProjectPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "portfolio_id": (int, "portfolio_id"),
                "program_id": (int, "program_id"),
                "phase": (str, "phase"),
                "status": (str, "status"),
                "manager_id": (int, "manager_id"),
                "q": (str, "name__icontains"),
            },
        ),
        CrudSpec(
            Task,
            "tasks",
            TaskOut,
            TaskIn,
            TaskPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "project_id"),
                "parent_id": (int, "parent_id"),
                "is_milestone": (bool, "is_milestone"),
                "is_critical": (bool, "is_critical"),
                "is_summary": (bool, "is_summary"),
                "q": (str, ("name__icontains", "wbs__istartswith")),
            },
        ),
        CrudSpec(
            Dependency,
            "dependencies",
            DependencyOut,
            DependencyIn,
            DependencyPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "predecessor_id": (int, "predecessor_id"),
                "successor_id": (int, "successor_id"),
                "project_id": (int, "successor__project_id"),
                "type": (str, "type"),
            },
        ),
        CrudSpec(
            Baseline,
            "baselines",
            BaselineOut,
            None,
            None,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "project_id"),
            },
        ),
    ]
    for spec in specs:
        router = Router()
        add_crud(router, spec)
        api.add_router(f"/{spec.path}", router)
