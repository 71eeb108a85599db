"""API: skills, resources (with their skills), cost rates, assignments, task skill
requirements; capacity against demand, staffing suggestions and resource levelling.

No ``from __future__ import annotations``: django-ninja reads the route annotations at run time.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Router, Schema, Status

from pmo.api.auth import access_of
from pmo.api.crud import CrudSpec, InSchema, PatchSchema, add_crud, etag, required_version
from pmo.portfolio.models import Portfolio
from pmo.projects.models import Project, Task
from pmo.resources import capacity, levelling, staffing
from pmo.resources.models import (
    Assignment,
    CostRate,
    LevellingRun,
    Resource,
    Skill,
    TaskSkillRequirement,
)


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


class SkillRequirementOut(Schema):
    id: int
    version: int
    organisation_id: int
    task_id: int
    skill_id: int
    min_proficiency: int
    units: Decimal


class SkillRequirementIn(InSchema):
    task_id: int
    skill_id: int
    min_proficiency: int = 3
    units: Decimal = Decimal(1)


class SkillRequirementPatch(PatchSchema):
    skill_id: int | None = None
    min_proficiency: int | None = None
    units: Decimal | None = None


# --- capacity ----------------------------------------------------------------------------


class Period(Schema):
    start: dt.date
    end: dt.date


class CapacityRowOut(Schema):
    key: int
    label: str
    kind: str
    organisation_id: int
    members: int
    capacity_hours: list[float]
    demand_hours: list[float]
    load_percent: list[float | None]
    over: list[bool]


class CapacityOut(Schema):
    by: str
    group: str
    periods: list[Period]
    items: list[CapacityRowOut]
    count: int
    resources: int
    assignments: int
    seconds: float


_hours = capacity.hours
_row_out = capacity.row_as_dict
_report_out = capacity.report_as_dict


class CellTaskOut(Schema):
    assignment_id: int
    task_id: int
    task: str
    project_id: int
    project: str
    resource_id: int
    resource: str
    units: float
    start: dt.datetime
    finish: dt.datetime
    hours: float


class ResourceLoadOut(Schema):
    resource_id: int
    name: str
    periods: list[Period]
    capacity_hours: list[float]
    demand_hours: list[float]
    load_percent: list[float | None]
    over: list[bool]
    assignments: list[CellTaskOut]


def _cell_tasks_out(cell: capacity.Cell) -> list[dict[str, Any]]:
    return [
        {
            **{k: getattr(t, k) for k in CellTaskOut.model_fields if k != "hours"},
            "hours": _hours(t.minutes),
        }
        for t in cell.tasks
    ]


# --- staffing ----------------------------------------------------------------------------


class SlotOut(Schema):
    id: str
    kind: str
    label: str
    task_id: int
    task: str
    units: float
    work_hours: float
    start: dt.datetime
    finish: dt.datetime
    required: dict[str, int]
    version: int


class CandidateOut(Schema):
    resource_id: int
    name: str
    qualified: bool
    match: float
    free_hours: float
    need_hours: float
    availability: float
    hourly_rate: float
    cost: float
    currency: str
    score: float


class SlotSuggestionOut(Schema):
    slot: SlotOut
    candidates: list[CandidateOut]
    choice: int | None


class StaffingOut(Schema):
    project_id: int
    slots: list[SlotSuggestionOut]
    objective: float
    greedy_objective: float
    optimal: bool
    unfilled: int
    overload_hours: float
    seconds: float


class ChoiceIn(InSchema):
    slot: str
    resource_id: int
    version: int | None = None


class StaffingApplyIn(InSchema):
    choices: list[ChoiceIn] | None = None


class StaffingApplied(Schema):
    assignments: list[AssignmentOut]


def _plan_out(plan: staffing.StaffingPlan) -> dict[str, Any]:
    slots = []
    for s in plan.slots:
        slot = s.slot
        slots.append(
            {
                "slot": {
                    "id": slot.id,
                    "kind": slot.kind,
                    "label": slot.label,
                    "task_id": slot.task_id,
                    "task": slot.task,
                    "units": slot.units,
                    "work_hours": _hours(slot.work_minutes),
                    "start": slot.start.replace(tzinfo=dt.UTC),
                    "finish": slot.finish.replace(tzinfo=dt.UTC),
                    "required": {plan.skills.get(k, str(k)): v for k, v in slot.required.items()},
                    "version": slot.source_version,
                },
                "candidates": [
                    {
                        "resource_id": c.resource_id,
                        "name": c.name,
                        "qualified": c.qualified,
                        "match": c.match,
                        "free_hours": _hours(c.free_minutes),
                        "need_hours": _hours(c.need_minutes),
                        "availability": c.availability,
                        "hourly_rate": c.hourly_rate,
                        "cost": c.cost,
                        "currency": c.currency,
                        "score": c.score,
                    }
                    for c in s.candidates
                ],
                "choice": s.choice,
            }
        )
    return {
        "project_id": plan.project_id,
        "slots": slots,
        "objective": plan.objective,
        "greedy_objective": plan.greedy_objective,
        "optimal": plan.optimal,
        "unfilled": plan.unfilled,
        "overload_hours": plan.overload_hours,
        "seconds": round(plan.seconds, 4),
    }


# --- levelling ---------------------------------------------------------------------------


class TaskRef(Schema):
    task_id: int
    name: str


class MoveOut(Schema):
    task_id: int
    project_id: int
    name: str
    old_start: str | None
    old_finish: str | None
    unlevelled_start: str | None
    new_start: str | None
    new_finish: str | None
    levelled_start: str | None
    # working days; fractions when the plan was levelled in parts of days
    delay_days: float
    precedence_delay_days: float
    resource_delay_days: float
    resource_id: int | None
    resource: str | None
    blocked_on: dt.date | None
    competing: list[TaskRef]
    predecessors: list[TaskRef]
    reason: str


class LevellingRunOut(Schema):
    id: int
    version: int
    organisation_id: int
    project_id: int | None
    portfolio_id: int
    status: str
    engine_requested: str
    engine: str
    time_limit: float
    hold_other_projects: bool
    project_ids: list[int]
    tasks: int
    moved: int
    makespan: float  # working days from ``origin`` (fractions: see MoveOut)
    lower_bound: float
    optimal: bool
    seconds: float
    origin: dt.date | None
    finish_before: dt.datetime | None
    finish_after: dt.datetime | None
    created_at: dt.datetime
    accepted_at: dt.datetime | None
    undone_at: dt.datetime | None
    superseded_by: int | None
    warnings: list[str]
    moves: list[MoveOut]

    @staticmethod
    def resolve_superseded_by(obj: LevellingRun) -> int | None:
        return obj.superseded_by_id

    @staticmethod
    def resolve_warnings(obj: LevellingRun) -> list[str]:
        return list(obj.proposal.get("warnings", []))

    @staticmethod
    def resolve_moves(obj: LevellingRun) -> list[dict[str, Any]]:
        return list(obj.proposal.get("moves", []))


class LevelIn(InSchema):
    engine: str = "auto"
    time_limit: float = 5.0
    hold_other_projects: bool = False


def _run_response(response: HttpResponse, run: LevellingRun) -> LevellingRun:
    response["ETag"] = etag(run.version)
    return run


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
            TaskSkillRequirement,
            "skill-requirements",
            SkillRequirementOut,
            SkillRequirementIn,
            SkillRequirementPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "task__project_id"),
                "task_id": (int, "task_id"),
                "skill_id": (int, "skill_id"),
            },
        ),
        CrudSpec(
            LevellingRun,
            "levelling-runs",
            LevellingRunOut,
            None,
            None,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "project_id"),
                "portfolio_id": (int, "portfolio_id"),
                "status": (str, "status"),
            },
            deletable=False,
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
    routers: dict[str, Router] = {}
    for spec in specs:
        router = Router()
        add_crud(router, spec)
        routers[spec.path] = router
    _resource_routes(routers["resources"])
    _run_routes(routers["levelling-runs"])
    for path, router in routers.items():
        api.add_router(f"/{path}", router)
    api.add_router("/capacity", _capacity_router())
    api.add_router("/projects", _project_router())
    api.add_router("/portfolios", _portfolio_router())
    api.add_router("/tasks", _task_router())


def _capacity_router() -> Router:
    router = Router(tags=["capacity"])

    @router.get("", response=CapacityOut, operation_id="capacity")
    def capacity_of(
        request: HttpRequest,
        organisation_id: int | None = None,
        by: str = "week",
        group: str = "resource",
        date_from: dt.date | None = Query(None, alias="from"),  # noqa: B008
        date_to: dt.date | None = Query(None, alias="to"),  # noqa: B008
        kind: str | None = None,
        skill_id: int | None = None,
    ) -> Any:
        """Capacity, demand (hours) and load (% of capacity) per resource, generic role or
        skill, and per week or month, across every project of the organisation (default:
        this week and the next 12, or this month and the next 5)."""
        report = capacity.capacity_report(
            access_of(request),
            organisation_id=organisation_id,
            by=by,
            group=group,
            date_from=date_from,
            date_to=date_to,
            kind=kind,
            skill_id=skill_id,
        )
        return _report_out(report)

    return router


def _resource_routes(router: Router) -> None:
    @router.get("/{id}/demand", response=ResourceLoadOut, operation_id="resource_demand")
    def resource_demand(
        request: HttpRequest,
        id: int,
        by: str = "week",
        date_from: dt.date | None = Query(None, alias="from"),  # noqa: B008
        date_to: dt.date | None = Query(None, alias="to"),  # noqa: B008
    ) -> Any:
        """One resource's capacity and demand per period, and the assignments behind the
        demand in the whole window."""
        access = access_of(request)
        resource = access.get(Resource.objects.all(), id)
        report = capacity.capacity_report(
            access,
            organisation_id=resource.organisation_id,
            by=by,
            date_from=date_from,
            date_to=date_to,
            resource_ids=[resource.pk],
        )
        row = _row_out(report.rows[0])
        start, end = report.periods[0][0], report.periods[-1][1]
        cell = capacity.cell_tasks(access, group="resource", key=resource.pk, start=start, end=end)
        return {
            "resource_id": resource.pk,
            "name": resource.name,
            "periods": [{"start": a, "end": b} for a, b in report.periods],
            "capacity_hours": row["capacity_hours"],
            "demand_hours": row["demand_hours"],
            "load_percent": row["load_percent"],
            "over": row["over"],
            "assignments": _cell_tasks_out(cell),
        }


def _run_routes(router: Router) -> None:
    def action(name: str, func: Any, summary: str) -> None:
        def run_action(request: HttpRequest, response: HttpResponse, id: int) -> Any:
            access = access_of(request)
            run = access.get(LevellingRun.objects.all(), id)
            run = func(access, run, required_version(request))
            return _run_response(response, run)

        router.add_api_operation(
            f"/{{id}}/{name}",
            ["POST"],
            run_action,
            response=LevellingRunOut,
            tags=["levelling-runs"],
            operation_id=f"{name}_levelling_run",
            summary=summary,
        )

    action(
        "accept",
        levelling.do_accept_levelling,
        "Accept a proposal: write the levelled starts and reschedule (needs If-Match)",
    )
    action("discard", levelling.do_discard_levelling, "Discard a proposal (needs If-Match)")
    action(
        "undo",
        levelling.do_undo_levelling,
        "Undo an accepted levelling: restore the previous levelled starts (needs If-Match)",
    )


def _project_router() -> Router:
    router = Router(tags=["levelling", "staffing"])

    @router.post("/{id}/level", response={201: LevellingRunOut}, operation_id="level_project")
    def level_project(
        request: HttpRequest, response: HttpResponse, id: int, payload: LevelIn
    ) -> Any:
        """Level the project's resources: a proposal with every move and its reason."""
        access = access_of(request)
        project = access.get(Project.objects.select_related("organisation"), id)
        run = levelling.do_propose_levelling(
            access,
            project=project,
            engine=payload.engine,
            time_limit=payload.time_limit,
            hold_other_projects=payload.hold_other_projects,
        )
        return Status(201, _run_response(response, run))

    @router.get("/{id}/staffing", response=StaffingOut, operation_id="project_staffing")
    def project_staffing(request: HttpRequest, id: int) -> Any:
        """Open roles and skill requirements of the project, ranked candidates for each,
        and the optimal fill of them all (``choice``)."""
        access = access_of(request)
        project = access.get(Project.objects.select_related("organisation"), id)
        return _plan_out(staffing.staffing_plan(access, project))

    @router.post("/{id}/staffing", response=StaffingApplied, operation_id="apply_staffing")
    def apply_staffing(request: HttpRequest, id: int, payload: StaffingApplyIn) -> Any:
        """Fill open slots with the given people, or (no ``choices``) with the optimal fill."""
        access = access_of(request)
        project = access.get(Project.objects.select_related("organisation"), id)
        choices = (
            None
            if payload.choices is None
            else [staffing.Choice(c.slot, c.resource_id, c.version) for c in payload.choices]
        )
        return {"assignments": staffing.do_apply_staffing(access, project, choices)}

    return router


def _portfolio_router() -> Router:
    router = Router(tags=["levelling"])

    @router.post("/{id}/level", response={201: LevellingRunOut}, operation_id="level_portfolio")
    def level_portfolio(
        request: HttpRequest, response: HttpResponse, id: int, payload: LevelIn
    ) -> Any:
        """Level every running project of the portfolio together, by project priority."""
        access = access_of(request)
        portfolio = access.get(Portfolio.objects.all(), id)
        run = levelling.do_propose_levelling(
            access,
            portfolio=portfolio,
            engine=payload.engine,
            time_limit=payload.time_limit,
            hold_other_projects=payload.hold_other_projects,
        )
        return Status(201, _run_response(response, run))

    return router


def _task_router() -> Router:
    router = Router(tags=["staffing"])

    @router.get("/{id}/candidates", response=StaffingOut, operation_id="task_candidates")
    def task_candidates(request: HttpRequest, id: int) -> Any:
        """The task's open slots (or one extra person) with ranked candidates."""
        access = access_of(request)
        task = access.get(Task.objects.select_related("project__organisation"), id)
        return _plan_out(staffing.staffing_plan(access, task.project, task))

    return router
