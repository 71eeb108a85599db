"""Project pages: the project with its tabs (tasks, risks, issues, changes, decisions), and
the forms for projects, tasks and task dependencies.

Reads go through ``Access``; writes through ``pmo.core.services``. Schedule values (early
dates, float, critical) are shown as the scheduling service stored them: a view never
computes a schedule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from pmo.core import services
from pmo.core.access import Access
from pmo.core.views import (
    crumbs_for,
    delete_object,
    deny,
    edit_page,
    is_partial,
    pmo_view,
    working_in,
)
from pmo.errors import NotFound, PermissionDenied, PmoError
from pmo.orgs.models import Calendar, Organisation
from pmo.portfolio.models import Portfolio, Program
from pmo.projects.models import ActivityType, Dependency, LagUnit, LinkType, Project, Task
from pmo.web.forms import (
    DEFAULT_MINUTES_PER_DAY,
    DaysField,
    ServiceForm,
    TaskChoiceField,
    YesNoField,
    days_to_minutes,
    minutes_to_days,
)

PROJECT_RELATED = (
    "organisation",
    "organisation__default_calendar",
    "portfolio",
    "program",
    "manager",
    "calendar",
)


def get_project(access: Access, pk: Any) -> Project:
    return access.get(Project.objects.select_related(*PROJECT_RELATED), pk)


def minutes_per_day(project: Project) -> int:
    """The project's day in working minutes (its calendar, the organisation's, or 480)."""
    calendar = project.calendar or project.organisation.default_calendar
    return int(calendar.minutes_per_day) if calendar else DEFAULT_MINUTES_PER_DAY


def project_url(project_id: int, tab: str = "tasks", anchor: str = "") -> str:
    url = reverse("web:project", args=[project_id])
    url += f"?tab={tab}" if tab != "tasks" else ""
    return url + (f"#{anchor}" if anchor else "")


# --- the task table ----------------------------------------------------------------------


@dataclass
class Link:
    label: str  # "3FS+2d"
    title: str  # the predecessor's name


@dataclass
class TaskRow:
    task: Task
    number: int
    level: int
    duration_days: Decimal | None
    float_days: Decimal | None
    free_float_days: Decimal | None = None
    predecessors: list[Link] = field(default_factory=list)

    @property
    def indent(self) -> str:
        return f"{self.level * 1.25:.2f}rem"


def _days_label(minutes: int, per_day: int) -> str:
    return str(minutes_to_days(minutes, per_day))


def link_label(ref: str, link_type: str, lag: int, lag_unit: str, per_day: int) -> str:
    """MS Project notation: ``3`` (FS, no lag), ``3SS``, ``3FS+2d``, ``3FF-0.5d``, ``3FS+50%``."""
    if not lag:
        return ref if link_type == LinkType.FS else f"{ref}{link_type}"
    sign = "+" if lag > 0 else "-"
    if lag_unit == LagUnit.PERCENT:
        amount = f"{abs(lag)}%"
    elif lag_unit == LagUnit.ELAPSED:
        amount = f"{_days_label(abs(lag), 1440)}ed"
    else:
        amount = f"{_days_label(abs(lag), per_day)}d"
    return f"{ref}{link_type}{sign}{amount}"


def lag_text(link: Dependency, per_day: int) -> str:
    """A link's lag as people type it: ``2 d``, ``-0.5 d``, ``3 ed`` (elapsed), ``50 %``."""
    if link.lag_unit == LagUnit.PERCENT:
        return f"{link.lag} %"
    sign = "-" if link.lag < 0 else ""
    if link.lag_unit == LagUnit.ELAPSED:
        return f"{sign}{_days_label(abs(link.lag), 1440)} ed"
    return f"{sign}{_days_label(abs(link.lag), per_day)} d"


def outline(tasks: list[Task]) -> list[tuple[Task, int]]:
    """The tasks in WBS outline order (depth first, by position) with their level."""
    ids = {t.pk for t in tasks}
    children: dict[int | None, list[Task]] = defaultdict(list)
    for t in tasks:
        children[t.parent_id if t.parent_id in ids else None].append(t)
    for kids in children.values():
        kids.sort(key=lambda t: (t.position, t.pk))
    out: list[tuple[Task, int]] = []
    seen: set[int] = set()
    stack: list[tuple[Task, int]] = [(t, 0) for t in reversed(children[None])]
    while stack:
        task, level = stack.pop()
        if task.pk in seen:
            continue
        seen.add(task.pk)
        out.append((task, level))
        stack.extend((c, level + 1) for c in reversed(children.get(task.pk, [])))
    # a parent loop would hide tasks: show them at the top level rather than lose them
    out.extend((t, 0) for t in tasks if t.pk not in seen)
    return out


def row_numbers(project: Project) -> dict[int, int]:
    """Each task's row number (its ID column in MS Project): its place in the outline."""
    tasks = list(Task.objects.filter(project=project).only("id", "parent_id", "position"))
    return {task.pk: n for n, (task, _) in enumerate(outline(tasks), start=1)}


def task_rows(project: Project) -> list[TaskRow]:
    """Every task of the project as a table row, in two queries whatever the size."""
    per_day = minutes_per_day(project)
    tasks = list(Task.objects.filter(project=project).order_by("position", "id"))
    rows: list[TaskRow] = []
    number_of: dict[int, int] = {}
    for n, (task, level) in enumerate(outline(tasks), start=1):
        number_of[task.pk] = n
        rows.append(
            TaskRow(
                task=task,
                number=n,
                level=level,
                duration_days=minutes_to_days(task.duration_minutes, per_day),
                float_days=minutes_to_days(task.total_float_minutes, per_day),
                free_float_days=minutes_to_days(task.free_float_minutes, per_day),
            )
        )
    by_task = {row.task.pk: row for row in rows}
    links = Dependency.objects.filter(successor__project=project).values_list(
        "successor_id",
        "predecessor_id",
        "type",
        "lag",
        "lag_unit",
        "predecessor__project_id",
        "predecessor__project__code",
        "predecessor__name",
    )
    for succ, pred, link_type, lag, unit, pred_project, pred_code, pred_name in links.order_by(
        "id"
    ):
        row = by_task.get(succ)
        if row is None:
            continue
        if pred_project == project.pk and pred in number_of:
            ref = str(number_of[pred])
        else:
            ref = f"{pred_code}#{pred}"
        row.predecessors.append(Link(link_label(ref, link_type, lag, unit, per_day), pred_name))
    return rows


# --- the project page and its tabs -------------------------------------------------------


TabLoader = Callable[[Access, Project], tuple[str, dict[str, Any]]]


def _tasks_tab(access: Access, project: Project) -> tuple[str, dict[str, Any]]:
    rows = task_rows(project)
    probe = Task(organisation_id=project.organisation_id, project=project)
    return "projects/_tasks.html", {
        "rows": rows,
        "can_write": access.can_write(probe),
        "critical_count": sum(1 for r in rows if r.task.is_critical),
    }


def _tab_loaders() -> dict[str, tuple[str, TabLoader]]:
    from pmo.governance import views as governance
    from pmo.projects import views_schedule as schedule
    from pmo.risks import views as risks

    loaders: dict[str, tuple[str, TabLoader]] = {
        "tasks": ("Tasks", _tasks_tab),
        "gantt": ("Gantt", schedule.gantt_tab),
        "baselines": ("Baselines", schedule.baseline_tab),
    }
    loaders.update(_optional_tabs())
    loaders.update(
        {
            "risks": ("Risks", risks.risks_tab),
            "issues": ("Issues", risks.issues_tab),
            "changes": ("Changes", governance.changes_tab),
            "decisions": ("Decisions", governance.decisions_tab),
        }
    )
    return loaders


# Tabs other domains add to the project page: (key, label, module, function). The function
# is a ``TabLoader``; the tab shows when the module defines it.
OPTIONAL_TABS = [
    ("resources", "Resources", "pmo.resources.views", "project_resources_tab"),
    ("cost", "Cost", "pmo.finance.views", "project_cost_tab"),
]


def _optional_tabs() -> dict[str, tuple[str, TabLoader]]:
    import importlib

    out: dict[str, tuple[str, TabLoader]] = {}
    for key, label, module_name, function in OPTIONAL_TABS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        loader = getattr(module, function, None)
        if loader is not None:
            out[key] = (label, loader)
    return out


def _tab_counts(project: Project) -> dict[str, int]:
    n_tasks = project.tasks.count()  # type: ignore[attr-defined]
    return {
        "tasks": n_tasks,
        "gantt": n_tasks,
        "baselines": project.baselines.count(),  # type: ignore[attr-defined]
        "risks": project.risks.count(),  # type: ignore[attr-defined]
        "issues": project.issues.count(),  # type: ignore[attr-defined]
        "changes": project.change_requests.count(),  # type: ignore[attr-defined]
        "decisions": project.decisions.count(),  # type: ignore[attr-defined]
    }


@pmo_view
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    project = get_project(access, pk)
    working_in(request, project.organisation_id)
    loaders = _tab_loaders()
    tab = request.GET.get("tab", "tasks")
    if tab not in loaders:
        tab = "tasks"
    if tab == "baselines":
        from pmo.projects.views_schedule import baseline_tab

        number = request.GET.get("baseline", "")
        template, tab_context = baseline_tab(
            access, project, int(number) if number.isdigit() else None
        )
    else:
        template, tab_context = loaders[tab][1](access, project)
    counts = _tab_counts(project)
    context = {
        "project": project,
        "tab": tab,
        "tab_template": template,
        "tabs": [(key, label, counts.get(key)) for key, (label, _) in loaders.items()],
        "per_day": minutes_per_day(project),
        "can_edit_project": access.can_write(project),
        "crumbs": crumbs_for(project=project),
        **tab_context,
    }
    if is_partial(request):
        return render(request, "projects/_tabs.html", context)
    return render(request, "projects/project.html", context)


# --- project form ------------------------------------------------------------------------


# The project's scheduling options, as the form names them (``critical_float_days`` is the
# model's ``critical_float_minutes``)
SCHEDULING_OPTION_FIELDS = [
    "scheduling_convention",
    "lag_calendar",
    "progress_mode",
    "critical_float_days",
    "honor_constraint_dates",
    "schedule_from_status_date",
    "start_lag_from_early_start",
    "use_expected_finish",
    "must_finish_by",
]


class ProjectForm(ServiceForm):
    model = Project
    model_fields = [
        "portfolio",
        "program",
        "code",
        "name",
        "description",
        "sponsor",
        "manager",
        "phase",
        "status",
        "priority",
        "planned_start",
        "planned_finish",
        "status_date",
        "budget",
        "currency",
        "calendar",
        *SCHEDULING_OPTION_FIELDS,
    ]
    error_fields = {"critical_float_minutes": "critical_float_days"}

    # The scheduling options (``pmo.engine.plan.ScheduleOptions``; the API's project schema
    # has them too): the critical threshold in working days of the project calendar
    critical_float_days = DaysField(
        label="Critical when total float is at most (days)",
        initial=0,
        help_text="MS Project's *tasks are critical if slack is less than or equal to*",
    )
    honor_constraint_dates = YesNoField(
        label="Constraint dates beat the links",
        initial=True,
        help_text="MS Project's *tasks will always honor their constraint dates*; with No, "
        "late constraints only bound the late dates (P6)",
    )
    schedule_from_status_date = YesNoField(
        label="Remaining work after the status date",
        initial=True,
        help_text="remaining work is not scheduled before the status date",
    )
    start_lag_from_early_start = YesNoField(
        label="Start-to-start lags from the resume (P6)",
        initial=False,
        help_text="start-to-start lags of a started task count from its remaining work's start",
    )
    use_expected_finish = YesNoField(
        label="Use expected finish dates (P6)",
        initial=False,
        help_text="remaining work ends on the task's expected finish",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # a scheduling option the post does not carry is kept, as a PATCH through the
            # API keeps what it does not send (a client posting the older, shorter form)
            for name in SCHEDULING_OPTION_FIELDS:
                if self.add_prefix(name) not in self.data:
                    del self.fields[name]

    def _per_day(self, calendar: Calendar | None) -> int:
        """The working minutes of a day of ``calendar``, else the organisation's default."""
        if calendar is None and self.organisation_id is not None:
            org = Organisation.objects.select_related("default_calendar").get(
                pk=self.organisation_id
            )
            calendar = org.default_calendar
        return int(calendar.minutes_per_day) if calendar else DEFAULT_MINUTES_PER_DAY

    def initial_from(self, obj: Any) -> dict[str, Any]:
        initial = super().initial_from(obj)
        initial["critical_float_days"] = minutes_to_days(
            obj.critical_float_minutes, minutes_per_day(obj)
        )
        return initial

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        days = self.cleaned_data.get("critical_float_days")
        if "critical_float_days" in self.fields and days is not None:
            per_day = self._per_day(self.cleaned_data.get("calendar"))
            data["critical_float_minutes"] = days_to_minutes(days, per_day)
        return data


@pmo_view
def project_new(request: HttpRequest) -> HttpResponse:
    access = Access.for_request(request)
    portfolio = access.get(
        Portfolio.objects.select_related("organisation", "organisation__default_calendar"),
        request.GET.get("portfolio"),
    )
    program = None
    if request.GET.get("program"):
        program = access.get(
            Program.objects.filter(portfolio=portfolio).select_related("portfolio"),
            request.GET["program"],
        )
    org = portfolio.organisation  # type: ignore[attr-defined]
    initial = {
        "portfolio": portfolio.pk,
        "program": program.pk if program else None,
        "currency": portfolio.currency,
        "calendar": org.default_calendar_id,
    }
    back = (
        reverse("web:program", args=[program.pk])
        if program
        else reverse("web:portfolio", args=[portfolio.pk])
    )
    return edit_page(
        request,
        access=access,
        form_class=ProjectForm,
        probe=Project(
            organisation_id=portfolio.organisation_id, portfolio=portfolio, program=program
        ),
        form_kwargs={"initial": initial},
        success_url=lambda p: project_url(p.pk),
        cancel_url=back,
        crumbs=crumbs_for(portfolio=portfolio, program=program),
    )


@pmo_view
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    project = get_project(access, pk)
    return edit_page(
        request,
        access=access,
        form_class=ProjectForm,
        obj=project,
        success_url=lambda p: project_url(p.pk),
        cancel_url=project_url(project.pk),
        crumbs=crumbs_for(project=project),
        title=f"Edit project {project.code}",
    )


# --- task form ---------------------------------------------------------------------------


class TaskForm(ServiceForm):
    model = Task
    model_fields = [
        "name",
        "parent",
        "position",
        "is_milestone",
        "activity_type",
        "duration_days",
        "elapsed_duration",
        "constraint_type",
        "constraint_date",
        "secondary_constraint_type",
        "secondary_constraint_date",
        "deadline",
        "expected_finish",
        "percent_complete",
        "actual_start",
        "actual_finish",
        "tags",
        "notes",
    ]
    error_fields = {"duration_minutes": "duration_days"}

    parent = TaskChoiceField(queryset=Task.objects.all(), required=False, label="Parent (summary)")
    duration_days = DaysField(label="Duration (days)", min_value=0, initial=1)
    # how the task is scheduled (P6's activity types; an import sets it); a form that does not
    # send it keeps the task's
    activity_type = forms.ChoiceField(
        choices=ActivityType.choices, required=False, label="Activity type"
    )
    tags = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="one per line: name=value, or a name alone",
    )

    def __init__(
        self, *args: Any, project: Project, exclude: Collection[int] = (), **kwargs: Any
    ) -> None:
        self.project = project
        self.per_day = minutes_per_day(project)
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.ModelChoiceField)
        parent.queryset = (
            Task.objects.filter(project=project).exclude(pk__in=exclude).order_by("position", "id")
        )

    def initial_from(self, obj: Any) -> dict[str, Any]:
        initial = super().initial_from(obj)
        # an elapsed duration counts 24-hour days
        per_day = ELAPSED_DAY if obj.elapsed_duration else minutes_per_day(obj.project)
        initial["duration_days"] = minutes_to_days(obj.duration_minutes, per_day)
        initial["tags"] = tags_text(obj.tags)
        return initial

    def clean_activity_type(self) -> str:
        given = self.cleaned_data.get("activity_type")
        if given:
            return str(given)
        return str(getattr(self.instance, "activity_type", "") or ActivityType.TASK)

    def clean_tags(self) -> dict[str, str]:
        return parse_tags(self.cleaned_data.get("tags") or "")

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        days = self.cleaned_data.get("duration_days")
        per_day = ELAPSED_DAY if self.cleaned_data.get("elapsed_duration") else self.per_day
        data["duration_minutes"] = days_to_minutes(days, per_day)
        data["tags"] = self.cleaned_data.get("tags") or {}
        return data


ELAPSED_DAY = 1440


def tags_text(tags: Any) -> str:
    """Tags as the task form shows them: ``name=value`` (a name alone for no value), a line
    each, by name (PostgreSQL keeps JSON keys in its own order)."""
    if not isinstance(tags, dict):
        return ""
    ordered = sorted(tags.items(), key=lambda kv: str(kv[0]).casefold())
    return "\n".join(f"{k}={v}" if v else str(k) for k, v in ordered)


def parse_tags(text: str) -> dict[str, str]:
    """The task form's tags: a line each, ``name=value`` (the first ``=`` separates them) or a
    name alone; blank lines are skipped."""
    tags: dict[str, str] = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name.strip():
            tags[" ".join(name.split())] = " ".join(value.split())
    return tags


def _descendants(project: Project, task_id: int) -> set[int]:
    """The task and every task under it (not allowed as its new parent)."""
    kids: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Task.objects.filter(project=project).values_list("id", "parent_id"):
        kids[parent].append(pk)
    out, todo = set(), [task_id]
    while todo:
        current = todo.pop()
        if current in out:
            continue
        out.add(current)
        todo.extend(kids.get(current, []))
    return out


@pmo_view
def task_new(request: HttpRequest, project_pk: int) -> HttpResponse:
    access = Access.for_request(request)
    project = get_project(access, project_pk)
    last = (
        Task.objects.filter(project=project)
        .order_by("-position")
        .values_list("position", flat=True)
    )
    initial: dict[str, Any] = {"position": (last[0] + 1) if last else 1, "duration_days": 1}
    if request.GET.get("parent"):
        initial["parent"] = request.GET["parent"]
    return edit_page(
        request,
        access=access,
        form_class=TaskForm,
        probe=Task(organisation_id=project.organisation_id, project=project),
        create_data={"project_id": project.pk},
        form_kwargs={"project": project, "initial": initial},
        success_url=lambda t: project_url(project.pk, anchor=f"task-{t.pk}"),
        cancel_url=project_url(project.pk),
        crumbs=crumbs_for(project=project),
    )


class DependencyForm(forms.Form):
    predecessor = TaskChoiceField(queryset=Task.objects.none())
    type = forms.ChoiceField(choices=LinkType.choices, initial=LinkType.FS)
    lag_days = DaysField(label="Lag (days)", initial=0, required=False)


@pmo_view
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    task = access.get(Task.objects.select_related(*(f"project__{r}" for r in PROJECT_RELATED)), pk)
    project = task.project
    predecessors = list(
        Dependency.objects.filter(successor=task).select_related("predecessor__project")
    )
    successors = list(
        Dependency.objects.filter(predecessor=task).select_related("successor__project")
    )
    per_day = minutes_per_day(project)
    dep_form = DependencyForm()
    pred_field = dep_form.fields["predecessor"]
    assert isinstance(pred_field, forms.ModelChoiceField)
    pred_field.queryset = (
        Task.objects.filter(project=project)
        .exclude(pk=task.pk)
        .exclude(pk__in=[d.predecessor_id for d in predecessors])
        .order_by("position", "id")
    )
    numbers = row_numbers(project)

    def ref(other: Task) -> str:
        if other.project_id == project.pk and other.pk in numbers:
            return str(numbers[other.pk])
        return f"{other.project.code}#{other.pk}"

    links = [
        (
            d,
            link_label(ref(d.predecessor), d.type, d.lag, d.lag_unit, per_day),
            lag_text(d, per_day),
        )
        for d in predecessors
    ]
    successor_links = [
        (d, link_label(ref(d.successor), d.type, d.lag, d.lag_unit, per_day)) for d in successors
    ]
    return edit_page(
        request,
        access=access,
        form_class=TaskForm,
        obj=task,
        form_kwargs={"project": project, "exclude": _descendants(project, task.pk)},
        success_url=project_url(project.pk, anchor=f"task-{task.pk}"),
        cancel_url=project_url(project.pk),
        crumbs=crumbs_for(project=project),
        title=f"Edit task {task.name}",
        template="projects/task_edit.html",
        context={
            "task": task,
            "predecessor_links": links,
            "successor_links": successor_links,
            "row_number": numbers.get(task.pk),
            "dep_form": dep_form,
            "can_link": access.can_write(
                Dependency(organisation_id=task.organisation_id, successor=task, predecessor=task)
            ),
        },
    )


@pmo_view
@require_POST
def dependency_add(request: HttpRequest, task_pk: int) -> HttpResponse:
    access = Access.for_request(request)
    task = access.get(
        Task.objects.select_related(*(f"project__{r}" for r in PROJECT_RELATED)), task_pk
    )
    back = reverse("web:task-edit", args=[task.pk]) + "#dependencies"
    deny(access, Dependency(organisation_id=task.organisation_id, successor=task, predecessor=task))
    form = DependencyForm(request.POST)
    pred_field = form.fields["predecessor"]
    assert isinstance(pred_field, forms.ModelChoiceField)
    pred_field.queryset = Task.objects.filter(project=task.project).exclude(pk=task.pk)
    if not form.is_valid():
        problems = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        messages.error(request, f"The predecessor was not added — {problems}")
        return redirect(back)
    per_day = minutes_per_day(task.project)
    data = {
        "predecessor_id": form.cleaned_data["predecessor"].pk,
        "successor_id": task.pk,
        "type": form.cleaned_data["type"],
        "lag": days_to_minutes(form.cleaned_data.get("lag_days") or 0, per_day),
        "lag_unit": LagUnit.WORKING,
    }
    try:
        link = services.do_create(access, Dependency, data)
    except (PermissionDenied, NotFound):
        raise
    except PmoError as exc:  # invalid, a duplicate, a circular dependency...
        messages.error(request, f"The predecessor was not added — {exc.message}")
    else:
        label = link_label(
            link.predecessor.wbs or link.predecessor.name,
            link.type,
            link.lag,
            link.lag_unit,
            per_day,
        )
        messages.success(request, f"Added predecessor {label}.")
    return redirect(back)


@pmo_view
@require_POST
def dependency_delete(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    link = access.get(Dependency.objects.select_related("successor"), pk)
    back = reverse("web:task-edit", args=[link.successor_id]) + "#dependencies"
    return delete_object(request, access, link, back)


# --- entries of a project's registers (risks, issues, changes, decisions) -------------


def next_code(model: Any, project: Project, letter: str) -> str:
    """A suggested code for a new entry: ``<project code>-R07``."""
    n = model._default_manager.filter(project=project).count() + 1
    return f"{project.code}-{letter}{n:02d}"


def new_in_project(
    request: HttpRequest, project_pk: int, form_class: type[ServiceForm], letter: str, tab: str
) -> HttpResponse:
    """The page creating one ``form_class.model`` in the project (risk, issue, ...)."""
    access = Access.for_request(request)
    project = get_project(access, project_pk)
    model: Any = form_class.model
    return edit_page(
        request,
        access=access,
        form_class=form_class,
        probe=model(organisation_id=project.organisation_id, project=project),
        create_data={"project_id": project.pk},
        form_kwargs={"project": project, "initial": {"code": next_code(model, project, letter)}},
        success_url=project_url(project.pk, tab),
        cancel_url=project_url(project.pk, tab),
        crumbs=crumbs_for(project=project),
    )


def edit_in_project(
    request: HttpRequest, pk: int, form_class: type[ServiceForm], tab: str
) -> HttpResponse:
    """The page editing one entry of a project's register (risk, issue, ...)."""
    access = Access.for_request(request)
    model = form_class.model
    obj = access.get(
        model._default_manager.select_related(*(f"project__{r}" for r in PROJECT_RELATED)), pk
    )
    project = obj.project  # type: ignore[attr-defined]
    return edit_page(
        request,
        access=access,
        form_class=form_class,
        obj=obj,
        form_kwargs={"project": project},
        success_url=project_url(project.pk, tab),
        cancel_url=project_url(project.pk, tab),
        crumbs=crumbs_for(project=project),
        title=f"Edit {model._meta.verbose_name} {obj}",
    )


urlpatterns = [
    path("projects/new/", project_new, name="project-new"),
    path("projects/<int:pk>/", project_detail, name="project"),
    path("projects/<int:pk>/edit/", project_edit, name="project-edit"),
    path("projects/<int:project_pk>/tasks/new/", task_new, name="task-new"),
    path("tasks/<int:pk>/edit/", task_edit, name="task-edit"),
    path("tasks/<int:task_pk>/predecessors/", dependency_add, name="dependency-add"),
    path("dependencies/<int:pk>/delete/", dependency_delete, name="dependency-delete"),
]
