"""API: rescheduling, the Gantt chart's data, baselines and their variances."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Query, Router, Schema, Status

from pmo.api.auth import access_of
from pmo.api.crud import InSchema
from pmo.projects import scheduling
from pmo.projects.models import Project


class ScheduleOut(Schema):
    project_ids: list[int]
    tasks: int
    links: int
    project_start: dt.datetime
    project_finish: dt.datetime
    duration_days: float
    critical_tasks: int
    negative_float_tasks: int
    changed_tasks: int


class BaselineIn(InSchema):
    number: int = 0
    name: str = ""


class BaselineSaved(Schema):
    id: int
    version: int
    project_id: int
    number: int
    name: str
    saved_at: dt.datetime


class VarianceOut(Schema):
    task_id: int
    name: str
    start: dt.datetime | None
    finish: dt.datetime | None
    baseline_start: dt.datetime | None
    baseline_finish: dt.datetime | None
    start_variance_days: float | None
    finish_variance_days: float | None
    duration_variance_days: float | None


class GanttTask(Schema):
    id: int
    name: str
    level: int
    start: str | None
    finish: str | None
    bl_start: str | None
    bl_finish: str | None
    summary: bool
    milestone: bool
    critical: bool
    pct: int
    tf: float | None


class GanttOut(Schema):
    project: dict[str, Any]
    today: str
    status_date: str | None
    tasks: list[GanttTask]
    links: list[tuple[int, int, str]]


def _project(request: HttpRequest, id: int) -> Project:
    access = access_of(request)
    return access.get(Project.objects.select_related("organisation"), id)


def register(api: NinjaAPI) -> None:
    router = Router(tags=["scheduling"])

    @router.post("/{id}/schedule", response=ScheduleOut, operation_id="schedule_project")
    def schedule_project(request: HttpRequest, id: int) -> Any:
        """Reschedule the project (and projects linked to it): critical path on calendars."""
        return scheduling.do_schedule_project(access_of(request), _project(request, id))

    @router.get(
        "/{id}/gantt", response=GanttOut, operation_id="project_gantt", url_name="project_gantt"
    )
    def gantt(
        request: HttpRequest,
        id: int,
        baseline: int | None = Query(0),
        run: int | None = Query(None),
    ) -> Any:
        """Tasks in outline order with scheduled and baseline dates, and the links. With
        ``run`` (a levelling run covering the project) the bars show its proposed dates and
        the grey bars the current ones."""
        project = _project(request, id)
        if run is None:
            return scheduling.gantt_data(project, baseline)
        from pmo.resources.levelling import gantt_proposal

        proposal = gantt_proposal(access_of(request), project, run)
        return scheduling.gantt_data(project, None, proposal)

    @router.post("/{id}/baselines", response={201: BaselineSaved}, operation_id="save_baseline")
    def save_baseline(request: HttpRequest, id: int, payload: BaselineIn) -> Any:
        """Save the current schedule as baseline 0-10 (replacing that number's old one)."""
        project = _project(request, id)
        return Status(
            201,
            scheduling.do_save_baseline(access_of(request), project, payload.number, payload.name),
        )

    @router.get(
        "/{id}/baselines/{number}/variance",
        response=list[VarianceOut],
        operation_id="baseline_variance",
    )
    def variance(request: HttpRequest, id: int, number: int) -> Any:
        """Start, finish and duration variance (working days) of each task."""
        return scheduling.baseline_variances(_project(request, id), number)

    api.add_router("/projects", router)
