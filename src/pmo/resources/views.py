"""Resource pages: the pool (list, resource with skills, rates, leave, assignments), the
capacity heat map with its drill-down, the project's Resources tab (team, staffing, levelling),
a task's staffing suggestions and a levelling run's proposal.

Views are thin: reads through ``Access``, computations through ``pmo.resources.capacity``,
``staffing`` and ``levelling``, writes through the services.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pmo.core import services
from pmo.core.access import Access
from pmo.core.views import (
    audit_for,
    crumbs_for,
    delete_object,
    deny,
    edit_page,
    is_partial,
    pmo_view,
    working_in,
)
from pmo.errors import NotFound, PermissionDenied, PmoError, StaleVersion, ValidationFailed
from pmo.orgs.models import CalendarException, Organisation
from pmo.portfolio.models import Portfolio
from pmo.projects.models import Project, Task
from pmo.projects.views import PROJECT_RELATED, get_project, project_url
from pmo.resources import capacity, levelling, staffing
from pmo.resources.models import (
    Assignment,
    CostRate,
    LevellingRun,
    Resource,
    ResourceSkill,
    Skill,
    TaskSkillRequirement,
)
from pmo.resources.services import do_add_leave, do_set_skills, leave_of
from pmo.web.forms import ServiceForm


def _current_org(request: HttpRequest, access: Access) -> Organisation:
    """The organisation the user works in (the switcher's), or their first."""
    orgs = list(access.visible_organisations())
    if not orgs:
        raise NotFound("no organisation")
    wanted = request.GET.get("organisation") or getattr(request, "current_org_id", None)
    org = next((o for o in orgs if str(o.pk) == str(wanted)), orgs[0])
    working_in(request, org.pk)
    return org


def _hours(minutes: float) -> str:
    hours = minutes / 60
    return f"{hours:,.0f}" if hours >= 100 else f"{hours:,.1f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------------------------
# the pool
# ---------------------------------------------------------------------------------------------


@pmo_view
def resource_list(request: HttpRequest) -> HttpResponse:
    access = Access.for_request(request)
    org = _current_org(request, access)
    kind = request.GET.get("kind", "")
    skill = request.GET.get("skill", "")
    q = request.GET.get("q", "").strip()
    qs = Resource.objects.filter(organisation=org).select_related("calendar").order_by("name")
    if kind in Resource.Kind.values:
        qs = qs.filter(kind=kind)
    if skill.isdigit():
        qs = qs.filter(skill_levels__skill_id=int(skill))
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(code__icontains=q)
    resources = list(qs.distinct().prefetch_related("skill_levels__skill"))
    probe = Resource(organisation_id=org.pk)
    return render(
        request,
        "resources/resources.html",
        {
            "organisation": org,
            "resources": resources,
            "kinds": Resource.Kind.choices,
            "skills": list(Skill.objects.filter(organisation=org).order_by("name")),
            "kind": kind,
            "skill": int(skill) if skill.isdigit() else None,
            "q": q,
            "can_write": access.can_write(probe),
            "crumbs": crumbs_for(organisation=org, extra=[("Resources", None)]),
        },
    )


class ResourceForm(ServiceForm):
    model = Resource
    model_fields = [
        "code",
        "name",
        "kind",
        "user",
        "email",
        "calendar",
        "max_units",
        "standard_rate",
        "currency",
    ]


@pmo_view
def resource_new(request: HttpRequest) -> HttpResponse:
    access = Access.for_request(request)
    org = _current_org(request, access)
    return edit_page(
        request,
        access=access,
        form_class=ResourceForm,
        probe=Resource(organisation_id=org.pk),
        create_data={"organisation_id": org.pk},
        form_kwargs={"initial": {"currency": org.currency, "calendar": org.default_calendar_id}},
        success_url=lambda r: reverse("web:resource", args=[r.pk]),
        cancel_url=reverse("web:resources"),
        crumbs=crumbs_for(organisation=org, extra=[("Resources", reverse("web:resources"))]),
    )


def _get_resource(access: Access, pk: Any) -> Resource:
    return access.get(
        Resource.objects.select_related(
            "organisation", "calendar", "organisation__default_calendar"
        ),
        pk,
    )


class LeaveForm(forms.Form):
    name = forms.CharField(max_length=200, initial="Leave")
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


@pmo_view
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    resource = _get_resource(access, pk)
    org = resource.organisation
    levels = list(
        ResourceSkill.objects.filter(resource=resource)
        .select_related("skill")
        .order_by("skill__name")
    )
    rates = list(CostRate.objects.filter(resource=resource).order_by("-effective_from"))
    assignments = list(
        Assignment.objects.filter(resource=resource)
        .select_related("task__project")
        .order_by("-task__early_start", "pk")[:200]
    )
    report = capacity.capacity_report(
        access, organisation_id=org.pk, by="week", resource_ids=[resource.pk]
    )
    load = _heat_rows(report)[0] if report.rows else None
    calendar = resource.calendar or org.default_calendar
    return edit_page(
        request,
        access=access,
        form_class=ResourceForm,
        obj=resource,
        success_url=reverse("web:resource", args=[resource.pk]),
        cancel_url=reverse("web:resources"),
        crumbs=crumbs_for(organisation=org, extra=[("Resources", reverse("web:resources"))]),
        title=f"{resource.name} ({resource.get_kind_display()})",
        template="resources/resource.html",
        context={
            "resource": resource,
            "levels": levels,
            "other_skills": list(
                Skill.objects.filter(organisation=org)
                .exclude(pk__in=[lv.skill_id for lv in levels])
                .order_by("name")
            ),
            "rates": rates,
            "can_rate": access.can_write(CostRate(organisation_id=org.pk, resource=resource)),
            "assignments": assignments,
            "calendar": calendar,
            "leave": leave_of(resource),
            "leave_form": LeaveForm(),
            "can_leave": access.can_write(
                CalendarException(organisation_id=org.pk, calendar=calendar)
            )
            if calendar
            else access.can_write(org),
            "load": load,
            "periods": report.periods,
        },
    )


@pmo_view
@require_POST
def resource_skills(request: HttpRequest, pk: int) -> HttpResponse:
    """Add, change or remove one skill of a resource (the whole list is written at once)."""
    access = Access.for_request(request)
    resource = _get_resource(access, pk)
    back = reverse("web:resource", args=[resource.pk]) + "#skills"
    deny(access, resource)
    current = {s.skill_id: s.proficiency for s in ResourceSkill.objects.filter(resource=resource)}
    try:
        skill_id = int(request.POST.get("skill", ""))
        version = int(request.POST.get("version", ""))
    except ValueError:
        messages.error(request, "Choose a skill.")
        return redirect(back)
    if request.POST.get("remove"):
        current.pop(skill_id, None)
    else:
        try:
            current[skill_id] = int(request.POST.get("proficiency", "3"))
        except ValueError:
            current[skill_id] = 0
    try:
        do_set_skills(
            access,
            resource,
            [{"skill_id": s, "proficiency": p} for s, p in sorted(current.items())],
            version,
        )
    except StaleVersion:
        messages.error(
            request, "This resource was changed by someone else meanwhile — reload and try again."
        )
    except ValidationFailed as exc:
        messages.error(request, f"Skills not saved — {exc.message}")
    else:
        messages.success(request, "Saved the skills.")
    return redirect(back)


class CostRateForm(ServiceForm):
    model = CostRate
    model_fields = ["effective_from", "standard_rate", "overtime_rate", "cost_per_use"]


@pmo_view
def cost_rate_new(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    resource = _get_resource(access, pk)
    back = reverse("web:resource", args=[resource.pk]) + "#rates"
    return edit_page(
        request,
        access=access,
        form_class=CostRateForm,
        probe=CostRate(organisation_id=resource.organisation_id, resource=resource),
        create_data={"resource_id": resource.pk},
        form_kwargs={"initial": {"standard_rate": resource.standard_rate}},
        success_url=back,
        cancel_url=back,
        crumbs=crumbs_for(
            organisation=resource.organisation,
            extra=[
                ("Resources", reverse("web:resources")),
                (resource.name, reverse("web:resource", args=[resource.pk])),
            ],
        ),
        title=f"New cost rate of {resource.name}",
    )


@pmo_view
def cost_rate_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    rate = access.get(CostRate.objects.select_related("resource__organisation"), pk)
    resource = rate.resource
    back = reverse("web:resource", args=[resource.pk]) + "#rates"
    return edit_page(
        request,
        access=access,
        form_class=CostRateForm,
        obj=rate,
        success_url=back,
        cancel_url=back,
        crumbs=crumbs_for(
            organisation=resource.organisation,
            extra=[
                ("Resources", reverse("web:resources")),
                (resource.name, reverse("web:resource", args=[resource.pk])),
            ],
        ),
        title=f"Cost rate of {resource.name} from {rate.effective_from:%Y-%m-%d}",
    )


@pmo_view
@require_POST
def cost_rate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    rate = access.get(CostRate.objects.all(), pk)
    return delete_object(
        request, access, rate, reverse("web:resource", args=[rate.resource_id]) + "#rates"
    )


@pmo_view
@require_POST
def leave_add(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    resource = _get_resource(access, pk)
    back = reverse("web:resource", args=[resource.pk]) + "#leave"
    form = LeaveForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())
        messages.error(request, f"Leave not recorded — {problems}")
        return redirect(back)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        leave = do_add_leave(
            access,
            resource,
            form.cleaned_data["start_date"],
            form.cleaned_data["end_date"],
            form.cleaned_data["name"],
            version=version,
        )
    except PermissionDenied as exc:
        exc.obj = resource  # type: ignore[attr-defined]
        raise
    except StaleVersion:
        messages.error(
            request, "This resource was changed by someone else meanwhile — reload and try again."
        )
    except PmoError as exc:
        messages.error(request, f"Leave not recorded — {exc.message}")
    else:
        messages.success(
            request,
            f"Recorded {leave.name}: {leave.start_date:%Y-%m-%d} → {leave.end_date:%Y-%m-%d}.",
        )
    return redirect(back)


@pmo_view
@require_POST
def leave_delete(request: HttpRequest, pk: int, leave_pk: int) -> HttpResponse:
    access = Access.for_request(request)
    resource = _get_resource(access, pk)
    leave = next((x for x in leave_of(resource) if x.pk == leave_pk), None)
    if leave is None:
        raise NotFound(f"leave {leave_pk} not found")
    return delete_object(
        request, access, leave, reverse("web:resource", args=[resource.pk]) + "#leave"
    )


class SkillForm(ServiceForm):
    model = Skill
    model_fields = ["name", "description"]


@pmo_view
def skill_new(request: HttpRequest) -> HttpResponse:
    access = Access.for_request(request)
    org = _current_org(request, access)
    back = reverse("web:resources")
    return edit_page(
        request,
        access=access,
        form_class=SkillForm,
        probe=Skill(organisation_id=org.pk),
        create_data={"organisation_id": org.pk},
        success_url=back,
        cancel_url=back,
        crumbs=crumbs_for(organisation=org, extra=[("Resources", back)]),
    )


# ---------------------------------------------------------------------------------------------
# the capacity heat map
# ---------------------------------------------------------------------------------------------


def heat_class(demand: float, cap: float) -> str:
    """The colour band of a cell: free, light, busy, full, over, far over."""
    if cap <= 0:
        return "heat-inf" if demand > 0.5 else "heat-none"
    ratio = demand / cap
    if ratio <= 0.005:
        return "heat-0"
    if ratio < 0.5:
        return "heat-1"
    if ratio < 0.8:
        return "heat-2"
    if ratio <= 1.0 + 1e-6:
        return "heat-3"
    if ratio <= 1.2:
        return "heat-4"
    return "heat-5"


def _heat_rows(report: capacity.CapacityReport) -> list[dict[str, Any]]:
    out = []
    for row in report.rows:
        cells = []
        for (start, end), d, c, ratio in zip(
            report.periods, row.demand, row.capacity, row.load, strict=True
        ):
            if ratio is None:
                label = ""
            elif math.isinf(ratio):
                label = "∞"
            else:
                label = f"{100 * ratio:.0f}%"
            cells.append(
                {
                    "start": start,
                    "end": end,
                    "demand": _hours(d),
                    "capacity": _hours(c),
                    "label": label,
                    "css": heat_class(d, c),
                    "over": d > c + 0.5,
                }
            )
        out.append(
            {
                "key": row.key,
                "label": row.label,
                "kind": row.kind,
                "members": row.members,
                "cells": cells,
                "over": row.over_periods,
                "demand": _hours(sum(row.demand)),
                "capacity": _hours(sum(row.capacity)),
            }
        )
    return out


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.field("from", f"not a date: {value!r}") from None


@pmo_view
def capacity_page(request: HttpRequest) -> HttpResponse:
    access = Access.for_request(request)
    org = _current_org(request, access)
    by = request.GET.get("by", "week")
    group = request.GET.get("group", "resource")
    kind = request.GET.get("kind") or None
    skill = request.GET.get("skill", "")
    error = None
    try:
        report = capacity.capacity_report(
            access,
            organisation_id=org.pk,
            by=by,
            group=group,
            date_from=_date(request.GET.get("from")),
            date_to=_date(request.GET.get("to")),
            kind=kind,
            skill_id=int(skill) if skill.isdigit() else None,
        )
    except ValidationFailed as exc:
        error = exc.message
        by, group = "week", "resource"
        report = capacity.capacity_report(access, organisation_id=org.pk)
    rows = _heat_rows(report)
    portfolios = list(Portfolio.objects.filter(organisation=org).order_by("code"))
    context = {
        "organisation": org,
        "report": report,
        "rows": rows,
        "by": by,
        "group": group,
        "kind": kind or "",
        "skill": int(skill) if skill.isdigit() else None,
        "kinds": Resource.Kind.choices,
        "skills": list(Skill.objects.filter(organisation=org).order_by("name")),
        "date_from": report.periods[0][0] if report.periods else None,
        "date_to": report.periods[-1][1] - dt.timedelta(days=1) if report.periods else None,
        "over_rows": sum(1 for r in rows if r["over"]),
        "error": error,
        "cell_url": reverse("web:capacity-cell"),
        "portfolios": [
            p
            for p in portfolios
            if access.can_write(LevellingRun(organisation_id=org.pk, portfolio=p))
        ],
        "crumbs": crumbs_for(organisation=org, extra=[("Capacity", None)]),
    }
    return render(request, "resources/capacity.html", context)


@pmo_view
def capacity_cell(request: HttpRequest) -> HttpResponse:
    """The tasks behind one heat-map cell (an htmx fragment, or a page)."""
    access = Access.for_request(request)
    group = request.GET.get("group", "resource")
    try:
        key = int(request.GET.get("key", ""))
        start = dt.date.fromisoformat(request.GET.get("start", ""))
        end = dt.date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        raise NotFound("no such cell") from None
    cell = capacity.cell_tasks(access, group=group, key=key, start=start, end=end)
    context = {
        "cell": cell,
        "tasks": [{"t": t, "hours": _hours(t.minutes)} for t in cell.tasks],
        "demand": _hours(cell.demand),
        "capacity": _hours(cell.capacity),
        "css": heat_class(cell.demand, cell.capacity),
        "last_day": cell.end - dt.timedelta(days=1),
    }
    if is_partial(request):
        return render(request, "resources/_cell.html", context)
    org = Organisation.objects.get(pk=cell.organisation_id)
    context["crumbs"] = crumbs_for(
        organisation=org, extra=[("Capacity", reverse("web:capacity")), (cell.label, None)]
    )
    return render(request, "resources/cell.html", context)


# ---------------------------------------------------------------------------------------------
# the project's Resources tab
# ---------------------------------------------------------------------------------------------


def project_resources_tab(access: Access, project: Project) -> tuple[str, dict[str, Any]]:
    team: dict[int, dict[str, Any]] = {}
    rows = Assignment.objects.filter(task__project=project).values_list(
        "resource_id", "resource__name", "resource__kind", "units", "work_minutes", "task_id"
    )
    for r_id, name, kind, units, work, _task in rows:
        entry = team.setdefault(
            r_id,
            {"id": r_id, "name": name, "kind": kind, "tasks": 0, "work": 0, "peak": Decimal(0)},
        )
        entry["tasks"] += 1
        entry["work"] += work
        entry["peak"] = max(entry["peak"], units)
    members = sorted(team.values(), key=lambda e: (e["kind"] != "person", e["name"]))
    for m in members:
        m["hours"] = _hours(m["work"])
    slots = staffing.open_slots(project)
    runs = levelling.runs_of(access, project)
    probe_run = LevellingRun(
        organisation_id=project.organisation_id, project=project, portfolio_id=project.portfolio_id
    )
    probe_assignment = Assignment(
        organisation_id=project.organisation_id,
        task=Task(organisation_id=project.organisation_id, project=project),
    )
    return "resources/_project_resources.html", {
        "team": members,
        "slots": slots,
        "role_slots": sum(1 for s in slots if s.kind == "role"),
        "skill_slots": sum(1 for s in slots if s.kind == "skill"),
        "runs": runs,
        "proposed": next((r for r in runs if r.status == LevellingRun.Status.PROPOSED), None),
        "can_level": access.can_write(probe_run),
        "can_staff": access.can_write(probe_assignment),
        "engines": levelling.ENGINES,
    }


@pmo_view
def project_staffing(request: HttpRequest, pk: int) -> HttpResponse:
    """Staffing suggestions of the whole project (fragment for the Resources tab)."""
    access = Access.for_request(request)
    project = get_project(access, pk)
    plan = staffing.staffing_plan(access, project)
    context = _plan_context(access, project, plan)
    if is_partial(request):
        return render(request, "resources/_staffing.html", context)
    context["crumbs"] = crumbs_for(project=project, extra=[("Staffing", None)])
    return render(request, "resources/staffing.html", context)


def _plan_context(access: Access, project: Project, plan: staffing.StaffingPlan) -> dict[str, Any]:
    probe = Assignment(
        organisation_id=project.organisation_id,
        task=Task(organisation_id=project.organisation_id, project=project),
    )
    suggestions = []
    for s in plan.slots:
        chosen = next((c for c in s.candidates if c.resource_id == s.choice), None)
        suggestions.append(
            {
                "slot": s.slot,
                "work": _hours(s.slot.work_minutes),
                "required": ", ".join(
                    f"{plan.skills.get(k, k)} ≥ {v}" for k, v in s.slot.required.items()
                ),
                "candidates": [
                    {"c": c, "free": _hours(c.free_minutes), "match": round(100 * c.match)}
                    for c in s.candidates
                ],
                "chosen": chosen,
            }
        )
    return {
        "project": project,
        "plan": plan,
        "suggestions": suggestions,
        "filled": sum(1 for s in plan.slots if s.choice is not None),
        "saving": round(plan.greedy_objective - plan.objective, 3),
        "can_staff": access.can_write(probe),
    }


@pmo_view
@require_POST
def project_staffing_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply the optimal fill (no ``slot`` posted) or one chosen candidate for one slot."""
    access = Access.for_request(request)
    project = get_project(access, pk)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = project_url(project.pk, "resources")
    choices = None
    if request.POST.get("slot"):
        try:
            version = int(request.POST.get("version", "")) if request.POST.get("version") else None
            choices = [
                staffing.Choice(
                    request.POST["slot"], int(request.POST.get("resource", "")), version
                )
            ]
        except ValueError:
            messages.error(request, "Choose a person.")
            return redirect(back)
    try:
        made = staffing.do_apply_staffing(access, project, choices)
    except StaleVersion as exc:
        messages.error(request, f"Not staffed — {exc.message}")
    except (PermissionDenied, NotFound):
        raise
    except PmoError as exc:
        messages.error(request, f"Not staffed — {exc.message}")
    else:
        names = sorted({a.resource.name for a in made})
        messages.success(
            request,
            f"Staffed {len(made)} assignment{'s' if len(made) != 1 else ''}"
            + (f": {', '.join(names)}." if names else "."),
        )
    return redirect(back)


@pmo_view
def task_staffing(request: HttpRequest, pk: int) -> HttpResponse:
    """Suggestions for one task: its open slots (or one more person), ranked candidates, and
    its skill requirements."""
    access = Access.for_request(request)
    task = access.get(Task.objects.select_related(*(f"project__{r}" for r in PROJECT_RELATED)), pk)
    project = task.project
    working_in(request, project.organisation_id)
    plan = staffing.staffing_plan(access, project, task)
    context = _plan_context(access, project, plan)
    requirement_probe = TaskSkillRequirement(organisation_id=task.organisation_id, task=task)
    context.update(
        {
            "task": task,
            "requirements": list(
                TaskSkillRequirement.objects.filter(task=task).select_related("skill")
            ),
            "skills": list(Skill.objects.filter(organisation_id=task.organisation_id)),
            "can_require": access.can_write(requirement_probe),
            "assigned": list(Assignment.objects.filter(task=task).select_related("resource")),
            "crumbs": crumbs_for(
                project=project,
                extra=[(task.name, reverse("web:task-edit", args=[task.pk])), ("Staffing", None)],
            ),
        }
    )
    return render(request, "resources/task_staffing.html", context)


@pmo_view
@require_POST
def requirement_add(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    task = access.get(Task.objects.all(), pk)
    back = reverse("web:task-staffing", args=[task.pk])
    deny(access, TaskSkillRequirement(organisation_id=task.organisation_id, task=task))
    try:
        data = {
            "task_id": task.pk,
            "skill_id": int(request.POST.get("skill", "")),
            "min_proficiency": int(request.POST.get("min_proficiency", "3")),
            "units": Decimal(request.POST.get("units", "1") or "1"),
        }
    except (ValueError, ArithmeticError):
        messages.error(request, "Requirement not added — choose a skill, a level and units.")
        return redirect(back)
    try:
        req = services.do_create(access, TaskSkillRequirement, data)
    except (PermissionDenied, NotFound):
        raise
    except PmoError as exc:
        messages.error(request, f"Requirement not added — {exc.message}")
    else:
        messages.success(
            request, f"Added the requirement {req.skill.name} ≥ {req.min_proficiency}."
        )
    return redirect(back)


@pmo_view
@require_POST
def requirement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    req = access.get(TaskSkillRequirement.objects.all(), pk)
    return delete_object(request, access, req, reverse("web:task-staffing", args=[req.task_id]))


# ---------------------------------------------------------------------------------------------
# levelling
# ---------------------------------------------------------------------------------------------


def _level_options(request: HttpRequest) -> dict[str, Any]:
    try:
        time_limit = float(request.POST.get("time_limit", "5") or 5)
    except ValueError:
        time_limit = -1.0
    return {
        "engine": request.POST.get("engine", "auto"),
        "time_limit": time_limit,
        "hold_other_projects": bool(request.POST.get("hold_other_projects")),
    }


@pmo_view
@require_POST
def project_level(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    project = get_project(access, pk)
    try:
        run = levelling.do_propose_levelling(access, project=project, **_level_options(request))
    except (PermissionDenied, NotFound):
        raise
    except PmoError as exc:
        messages.error(request, f"Not levelled — {exc.message}")
        return redirect(project_url(project.pk, "resources"))
    return redirect(reverse("web:levelling-run", args=[run.pk]))


@pmo_view
@require_POST
def portfolio_level(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    access = Access.for_request(request)
    portfolio = access.get(Portfolio.objects.all(), pk or request.POST.get("portfolio"))
    try:
        run = levelling.do_propose_levelling(access, portfolio=portfolio, **_level_options(request))
    except (PermissionDenied, NotFound):
        raise
    except PmoError as exc:
        messages.error(request, f"Not levelled — {exc.message}")
        return redirect(reverse("web:capacity"))
    return redirect(reverse("web:levelling-run", args=[run.pk]))


def _get_run(access: Access, pk: Any) -> LevellingRun:
    return access.get(
        LevellingRun.objects.select_related(
            "project", "portfolio", "organisation", "created_by", "accepted_by", "undone_by"
        ),
        pk,
    )


@pmo_view
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    run = _get_run(access, pk)
    working_in(request, run.organisation_id)
    projects = {
        p.pk: p for p in Project.objects.filter(pk__in=run.project_ids).select_related("portfolio")
    }
    moves = []
    by_project: dict[int, int] = defaultdict(int)
    for m in run.proposal.get("moves", []):
        by_project[m["project_id"]] += 1
        moves.append(
            {
                **m,
                "project": projects.get(m["project_id"]),
                "old_start_dt": _dt(m.get("old_start")),
                "new_start_dt": _dt(m.get("new_start")),
                "new_finish_dt": _dt(m.get("new_finish")),
            }
        )
    gantt = None
    if run.project_id:
        gantt = (
            reverse("api:project_gantt", args=[run.project_id]) + "?" + urlencode({"run": run.pk})
        )
    crumbs = (
        crumbs_for(project=run.project, extra=[(f"Levelling #{run.pk}", None)])
        if run.project
        else crumbs_for(portfolio=run.portfolio, extra=[(f"Levelling #{run.pk}", None)])
    )
    return render(
        request,
        "resources/run.html",
        {
            "run": run,
            "moves": moves,
            "projects": [
                (projects[pid], by_project.get(pid, 0))
                for pid in run.project_ids
                if pid in projects
            ],
            "gantt_src": gantt,
            # working days, with the parts of days a plan levelled in parts of days has
            "makespan": f"{run.makespan:g}",
            "lower_bound": f"{run.lower_bound:g}",
            "can_level": access.can_write(run),
            "warnings": run.proposal.get("warnings", []),
            "late": run.proposal.get("late", []),
            "released": len(run.proposal.get("released", [])),
            "audit": audit_for(access, run),
            "crumbs": crumbs,
        },
    )


def _dt(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _run_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    access = Access.for_request(request)
    run = _get_run(access, pk)
    back = reverse("web:levelling-run", args=[run.pk])
    deny(access, run)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    func = {
        "accept": levelling.do_accept_levelling,
        "discard": levelling.do_discard_levelling,
        "undo": levelling.do_undo_levelling,
    }[action]
    try:
        run = func(access, run, version)
    except StaleVersion as exc:
        messages.error(request, f"Nothing changed — {exc.message}")
    except (PermissionDenied, NotFound):
        raise
    except PmoError as exc:
        messages.error(request, f"Nothing changed — {exc.message}")
    else:
        text = {
            "accept": f"Accepted levelling #{run.pk}: {run.moved} task(s) moved, schedule updated.",
            "discard": f"Discarded levelling #{run.pk}; the plan is unchanged.",
            "undo": f"Undid levelling #{run.pk}: the previous levelled starts are back.",
        }[action]
        messages.success(request, text)
    return redirect(back)


@pmo_view
@require_POST
def run_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(request, pk, "accept")


@pmo_view
@require_POST
def run_discard(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(request, pk, "discard")


@pmo_view
@require_POST
def run_undo(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(request, pk, "undo")


urlpatterns = [
    path("resources/", resource_list, name="resources"),
    path("resources/new/", resource_new, name="resource-new"),
    path("resources/<int:pk>/", resource_detail, name="resource"),
    path("resources/<int:pk>/skills/", resource_skills, name="resource-skills"),
    path("resources/<int:pk>/rates/new/", cost_rate_new, name="cost-rate-new"),
    path("resources/<int:pk>/leave/", leave_add, name="leave-add"),
    path("resources/<int:pk>/leave/<int:leave_pk>/delete/", leave_delete, name="leave-delete"),
    path("cost-rates/<int:pk>/edit/", cost_rate_edit, name="cost-rate-edit"),
    path("cost-rates/<int:pk>/delete/", cost_rate_delete, name="cost-rate-delete"),
    path("skills/new/", skill_new, name="skill-new"),
    path("capacity/", capacity_page, name="capacity"),
    path("capacity/cell/", capacity_cell, name="capacity-cell"),
    path("projects/<int:pk>/staffing/", project_staffing, name="project-staffing"),
    path(
        "projects/<int:pk>/staffing/apply/", project_staffing_apply, name="project-staffing-apply"
    ),
    path("projects/<int:pk>/level/", project_level, name="project-level"),
    path("portfolios/<int:pk>/level/", portfolio_level, name="portfolio-level"),
    path("portfolios/level/", portfolio_level, name="portfolio-level-chosen"),
    path("tasks/<int:pk>/staffing/", task_staffing, name="task-staffing"),
    path("tasks/<int:pk>/requirements/", requirement_add, name="requirement-add"),
    path("requirements/<int:pk>/delete/", requirement_delete, name="requirement-delete"),
    path("levelling-runs/<int:pk>/", run_detail, name="levelling-run"),
    path("levelling-runs/<int:pk>/accept/", run_accept, name="levelling-run-accept"),
    path("levelling-runs/<int:pk>/discard/", run_discard, name="levelling-run-discard"),
    path("levelling-runs/<int:pk>/undo/", run_undo, name="levelling-run-undo"),
]
