"""Schedule pages: the Gantt tab, reschedule, baselines and their variance.

The Gantt chart is drawn in the browser (``static/pmo/gantt.js``, one canvas drawing only the
visible rows) from ``GET /api/v1/projects/{id}/gantt``; these views only read stored results
and call the scheduling service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from pmo.core.access import Access
from pmo.core.views import pmo_view
from pmo.errors import CircularDependency, NotFound, ValidationFailed
from pmo.projects import scheduling
from pmo.projects.models import Baseline, Project, Task
from pmo.projects.views import get_project, project_url


def gantt_tab(access: Access, project: Project) -> tuple[str, dict[str, Any]]:
    probe = Task(organisation_id=project.organisation_id, project=project)
    return "projects/_gantt.html", {
        "gantt_src": reverse("api:project_gantt", args=[project.pk]),
        "can_schedule": access.can_write(probe),
        "baselines": list(Baseline.objects.filter(project=project).order_by("number")),
    }


def baseline_tab(
    access: Access, project: Project, number: int | None = None
) -> tuple[str, dict[str, Any]]:
    baselines = list(Baseline.objects.filter(project=project).order_by("number"))
    chosen = number if number is not None else (baselines[0].number if baselines else None)
    rows: list[scheduling.TaskVariance] = []
    if chosen is not None:
        try:
            rows = scheduling.baseline_variances(project, chosen)
        except NotFound:
            rows = []
    probe = Task(organisation_id=project.organisation_id, project=project)
    return "projects/_baselines.html", {
        "baselines": baselines,
        "chosen": chosen,
        "variance_rows": rows,
        "late_tasks": sum(1 for r in rows if (r.finish_variance_days or 0) > 0),
        "can_schedule": access.can_write(probe),
        "free_numbers": list(range(scheduling.MAX_BASELINES)),
    }


@pmo_view
@require_POST
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    project = get_project(access, pk)
    try:
        summary = scheduling.do_schedule_project(access, project)
    except CircularDependency as exc:
        messages.error(request, f"Not rescheduled. {exc.message}. Remove one of these links.")
        return redirect(project_url(project.pk, "gantt"))
    text = (
        f"Rescheduled {summary.tasks} tasks: finish {summary.project_finish:%Y-%m-%d %H:%M}, "
        f"{summary.duration_days:g} working days, {summary.critical_tasks} critical"
    )
    if summary.negative_float_tasks:
        text += (
            f"; {summary.negative_float_tasks} tasks have negative float "
            "(a constraint or deadline cannot be met)"
        )
    messages.success(request, text + ".")
    return redirect(project_url(project.pk, request.POST.get("tab", "gantt")))


@pmo_view
@require_POST
def save_baseline(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    project = get_project(access, pk)
    try:
        number = int(request.POST.get("number", "0"))
    except ValueError:
        number = -1
    try:
        baseline = scheduling.do_save_baseline(
            access, project, number, request.POST.get("name", "").strip()
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect(project_url(project.pk, "baselines"))
    messages.success(request, f"Saved the current schedule as {baseline}.")
    return redirect(project_url(project.pk, "baselines") + f"&baseline={baseline.number}")


urlpatterns = [
    path("projects/<int:pk>/reschedule/", reschedule, name="project-reschedule"),
    path("projects/<int:pk>/baselines/save/", save_baseline, name="baseline-save"),
]
