"""API: projects, tasks, dependencies, baselines."""

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, NinjaAPI, Router, Schema

from pmo.api.crud import CrudSpec, InSchema, PatchSchema, add_crud
from pmo.projects.models import Baseline, Dependency, Project, Task, tag_condition


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
    scheduling_convention: str
    lag_calendar: str
    progress_mode: str
    critical_float_minutes: int
    honor_constraint_dates: bool
    schedule_from_status_date: bool
    start_lag_from_early_start: bool
    use_expected_finish: bool
    must_finish_by: dt.datetime | None
    tag_definitions: list[dict[str, Any]]
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
    scheduling_convention: str = "msproject"
    lag_calendar: str = "successor"
    progress_mode: str = "retained_logic"
    critical_float_minutes: int = 0
    honor_constraint_dates: bool = True
    schedule_from_status_date: bool = True
    start_lag_from_early_start: bool = False
    use_expected_finish: bool = False
    must_finish_by: dt.datetime | None = None


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
    scheduling_convention: str | None = None
    lag_calendar: str | None = None
    progress_mode: str | None = None
    critical_float_minutes: int | None = None
    honor_constraint_dates: bool | None = None
    schedule_from_status_date: bool | None = None
    start_lag_from_early_start: bool | None = None
    use_expected_finish: bool | None = None
    must_finish_by: dt.datetime | None = None


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
    activity_type: str
    duration_minutes: int
    elapsed_duration: bool
    constraint_type: str
    constraint_date: dt.datetime | None
    secondary_constraint_type: str
    secondary_constraint_date: dt.datetime | None
    deadline: dt.datetime | None
    expected_finish: dt.datetime | None
    percent_complete: int
    actual_start: dt.datetime | None
    actual_finish: dt.datetime | None
    remaining_minutes: int | None
    calendar_id: int | None
    notes: str
    tags: dict[str, str]
    ev_method: str
    levelled_start: dt.datetime | None
    levelling_delay_minutes: int
    levelling_delay_format: str
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
    activity_type: str = "task"
    duration_minutes: int = 480
    elapsed_duration: bool = False
    constraint_type: str = "ASAP"
    constraint_date: dt.datetime | None = None
    secondary_constraint_type: str = ""
    secondary_constraint_date: dt.datetime | None = None
    deadline: dt.datetime | None = None
    expected_finish: dt.datetime | None = None
    percent_complete: int = 0
    actual_start: dt.datetime | None = None
    actual_finish: dt.datetime | None = None
    remaining_minutes: int | None = None
    calendar_id: int | None = None
    notes: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    ev_method: str = "percent_complete"


class TaskPatch(PatchSchema):
    parent_id: int | None = None
    position: int | None = None
    wbs: str | None = None
    name: str | None = None
    is_milestone: bool | None = None
    activity_type: str | None = None
    duration_minutes: int | None = None
    elapsed_duration: bool | None = None
    constraint_type: str | None = None
    constraint_date: dt.datetime | None = None
    secondary_constraint_type: str | None = None
    secondary_constraint_date: dt.datetime | None = None
    deadline: dt.datetime | None = None
    expected_finish: dt.datetime | None = None
    percent_complete: int | None = None
    actual_start: dt.datetime | None = None
    actual_finish: dt.datetime | None = None
    remaining_minutes: int | None = None
    calendar_id: int | None = None
    notes: str | None = None
    tags: dict[str, str] | None = None
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
                "activity_type": (str, "activity_type"),
                # ?tag=name (carries the tag) or ?tag=name=value
                "tag": (str, tag_condition),
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
