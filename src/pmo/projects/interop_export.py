"""Export a project: MSPDI, XER, CSV/XLSX tables, iCalendar feeds.

``project_document`` turns the stored project (tasks in outline order, links, calendars,
resources, assignments, baselines, the last schedule) into a format-neutral
:class:`~pmo.interop.document.ProjectDocument`; the interop writers make the file. So an
exported file imports back into pmo as the same tasks, links, calendars, resources,
assignments and baselines (``tests/projects/test_interop_roundtrip.py``), and MS Project or P6
open it with pmo's dates as the stored schedule.

Reads only; the callers (API, web, CLI) resolve the project through ``Access`` first.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.http import content_disposition_header

from pmo.engine.calendar import STANDARD_WEEK
from pmo.engine.calendar import CalendarException as DocException
from pmo.engine.plan import LagCalendar, ProgressMode
from pmo.engine.plan import LagUnit as DocLagUnit
from pmo.engine.plan import LinkType as DocLinkType
from pmo.errors import ValidationFailed
from pmo.interop.document import (
    Baseline as DocBaseline,
)
from pmo.interop.document import (
    Constraint,
    DocAssignment,
    DocCalendar,
    DocLink,
    DocResource,
    DocTask,
    ProjectDocument,
    ProjectProperties,
    ResourceType,
    TagDefinition,
)
from pmo.interop.ical import Event, calendar_bytes
from pmo.interop.tabular import Table, csv_bytes, task_table, xlsx_bytes
from pmo.orgs.models import Calendar
from pmo.projects.interop_import import split_tags
from pmo.projects.models import ActivityType, BaselineTask, Dependency, Project, Task
from pmo.resources.models import Assignment, Resource
from pmo.risks.models import Issue, Risk

__all__ = [
    "EXPORT_FORMATS",
    "ExportFile",
    "assignments_ics",
    "export_project",
    "milestones_ics",
    "project_document",
]

UTC = dt.UTC
EXPORT_FORMATS = ("mspdi", "xer", "xlsx", "csv", "ics")
TABLES = ("tasks", "risks", "issues")
CONTENT_TYPES = {
    "mspdi": "application/xml",
    "xer": "application/x-primavera-xer",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
}
EXTENSIONS = {"mspdi": "xml", "xer": "xer", "xlsx": "xlsx", "csv": "csv", "ics": "ics"}


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str

    @property
    def disposition(self) -> str:
        """``Content-Disposition`` naming the file (RFC 6266, UTF-8 names included)."""
        return content_disposition_header(True, self.filename) or "attachment"


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _outline(tasks: Sequence[Task]) -> list[tuple[Task, int, str]]:
    """(task, level from 1, outline number "1.2.3") in outline order (depth first)."""
    ids = {t.pk for t in tasks}
    children: dict[int | None, list[Task]] = defaultdict(list)
    for t in tasks:
        children[t.parent_id if t.parent_id in ids else None].append(t)
    for kids in children.values():
        kids.sort(key=lambda t: (t.position, t.pk))
    out: list[tuple[Task, int, str]] = []
    seen: set[int] = set()
    stack: list[tuple[Task, int, str]] = [
        (t, 1, str(i)) for i, t in reversed(list(enumerate(children[None], start=1)))
    ]
    while stack:
        task, level, number = stack.pop()
        if task.pk in seen:
            continue
        seen.add(task.pk)
        out.append((task, level, number))
        kids = children.get(task.pk, [])
        stack.extend(
            (c, level + 1, f"{number}.{i}") for i, c in reversed(list(enumerate(kids, start=1)))
        )
    n = len(children[None])
    for t in tasks:  # a parent loop would hide tasks: keep them at the top level
        if t.pk not in seen:
            n += 1
            out.append((t, 1, str(n)))
    return out


def _doc_calendar(calendar: Calendar, kind: str = "base") -> DocCalendar:
    week = tuple(tuple((int(a), int(b)) for a, b in day) for day in calendar.working_week)
    exceptions = tuple(
        DocException(
            e.start_date,
            e.end_date,
            tuple((int(a), int(b)) for a, b in e.working_intervals),
            e.name,
        )
        for e in calendar.exceptions.all()  # type: ignore[attr-defined]
    )
    return DocCalendar(
        id=str(calendar.pk),
        name=calendar.name,
        week=week,
        exceptions=exceptions,
        kind=kind,
        minutes_per_day=calendar.minutes_per_day,
        minutes_per_week=calendar.minutes_per_week,
    )


def project_document(project: Project, *, for_format: str = "") -> ProjectDocument:
    """The stored project as a document (see the module docstring). ``for_format="xer"``
    puts baseline 0 into P6's planned dates (what the import reads back as baseline 0)."""
    org = project.organisation
    project_cal = project.calendar or org.default_calendar
    tasks = list(Task.objects.filter(project=project).order_by("position", "pk"))
    ordered = _outline(tasks)
    task_ids = {t.pk for t in tasks}
    calendar_ids = {t.calendar_id for t in tasks if t.calendar_id}
    assignments = list(
        Assignment.objects.filter(task__project=project).select_related("resource").order_by("pk")
    )
    resources: dict[int, Resource] = {}
    for a in assignments:
        resources.setdefault(a.resource_id, a.resource)
    calendar_ids |= {r.calendar_id for r in resources.values() if r.calendar_id}
    if project_cal is not None:
        calendar_ids.add(project_cal.pk)
    stored = {
        c.pk: c for c in Calendar.objects.filter(pk__in=calendar_ids).prefetch_related("exceptions")
    }
    calendars = [_doc_calendar(c) for _, c in sorted(stored.items())]
    default_id = str(project_cal.pk) if project_cal is not None else "standard"
    if project_cal is None:
        calendars.insert(
            0, DocCalendar(id="standard", name="Standard", week=STANDARD_WEEK, is_default=True)
        )
    mpd = project_cal.minutes_per_day if project_cal else 480
    mpw = project_cal.minutes_per_week if project_cal else 2400

    baselines: dict[int, list[DocBaseline]] = defaultdict(list)
    for b in (
        BaselineTask.objects.filter(baseline__project=project)
        .select_related("baseline")
        .order_by("baseline__number")
    ):
        baselines[b.task_id].append(
            DocBaseline(
                number=b.baseline.number,
                start=_naive(b.start),
                finish=_naive(b.finish),
                duration=b.duration_minutes,
                cost=b.cost,
                work=b.work_minutes,
            )
        )
    xer = for_format == "xer"
    # P6 lists the activities of a WBS element by Activity ID: the WBS codes serve as
    # Activity IDs only when that keeps pmo's order (else the writer numbers them)
    leaves = [t for t, _, _ in ordered if not t.is_summary]
    codes = [t.wbs for t in leaves]
    siblings: dict[int | None, list[str]] = defaultdict(list)
    for t in leaves:
        siblings[t.parent_id].append(t.wbs)
    activity_ids = (
        xer
        and all(codes)
        and len(set(codes)) == len(codes)
        and all(c == sorted(c) for c in siblings.values())
    )

    doc_tasks: list[DocTask] = []
    tag_names: dict[str, None] = {}
    for row, (t, level, number) in enumerate(ordered, start=1):
        # tags, and custom fields kept in notes by imports before pmo had tags
        notes, tags = split_tags(t.notes)
        tags.update(t.tags)
        for name in tags:
            tag_names.setdefault(name, None)
        saved = baselines.get(t.pk, [])
        b0 = next((b for b in saved if b.number == 0), None)
        doc_tasks.append(
            DocTask(
                id=str(t.pk),
                name=t.name,
                parent=str(t.parent_id) if t.parent_id in task_ids else None,
                outline_level=level,
                display_id=row,
                wbs=t.wbs or number,
                outline_number=number,
                code=t.wbs if activity_ids and not t.is_summary else "",
                summary=t.is_summary,
                wbs_node=t.activity_type == ActivityType.WBS_ELEMENT,
                milestone=t.is_milestone,
                duration=0 if t.is_milestone else t.duration_minutes,
                elapsed=t.elapsed_duration,
                remaining=t.remaining_minutes,
                levelling_delay=t.levelling_delay_minutes,
                levelling_delay_format=t.levelling_delay_format,
                constraint_type=Constraint(t.constraint_type),
                constraint_date=_naive(t.constraint_date),
                secondary_constraint_type=Constraint(t.secondary_constraint_type)
                if t.secondary_constraint_type
                else None,
                secondary_constraint_date=_naive(t.secondary_constraint_date),
                deadline=_naive(t.deadline),
                resource_calendars=t.activity_type == ActivityType.RESOURCE_DEPENDENT,
                percent_complete=float(t.percent_complete),
                actual_start=_naive(t.actual_start),
                actual_finish=_naive(t.actual_finish),
                start=_naive(t.early_start),
                finish=_naive(t.early_finish),
                early_start=_naive(t.early_start),
                early_finish=_naive(t.early_finish),
                late_start=_naive(t.late_start),
                late_finish=_naive(t.late_finish),
                total_slack=t.total_float_minutes,
                free_slack=t.free_float_minutes,
                critical=t.is_critical,
                notes=notes,
                calendar=str(t.calendar_id) if t.calendar_id else None,
                planned_start=(b0.start if b0 else _naive(t.early_start)) if xer else None,
                planned_finish=(b0.finish if b0 else _naive(t.early_finish)) if xer else None,
                planned_duration=(b0.duration if b0 else t.duration_minutes) if xer else None,
                baselines=tuple(saved) if not xer else (),
                tags=tags,
                extra=_task_extra(t),
            )
        )
    links = [
        DocLink(
            predecessor=str(d.predecessor_id),
            successor=str(d.successor_id),
            type=DocLinkType[d.type],
            lag=float(d.lag),
            lag_unit=DocLagUnit[d.lag_unit.upper()],
            id=str(d.pk),
        )
        for d in Dependency.objects.filter(
            organisation_id=project.organisation_id,
            successor_id__in=Task.objects.filter(project=project).values("pk"),
            predecessor_id__in=Task.objects.filter(project=project).values("pk"),
        ).order_by("pk")
    ]
    doc_resources = [
        DocResource(
            id=str(r.pk),
            name=r.name,
            code=r.code,
            type=ResourceType.WORK if r.kind != Resource.Kind.EQUIPMENT else ResourceType.EQUIPMENT,
            max_units=float(r.max_units),
            standard_rate=r.standard_rate,
            calendar=str(r.calendar_id) if r.calendar_id else None,
            email=r.email,
        )
        for r in sorted(resources.values(), key=lambda r: r.pk)
    ]
    doc_assignments = [
        DocAssignment(
            id=str(a.pk),
            task=str(a.task_id),
            resource=str(a.resource_id),
            units=float(a.units),
            work=a.work_minutes,
            actual_work=a.actual_work_minutes,
            remaining_work=max(0, a.work_minutes - a.actual_work_minutes),
        )
        for a in assignments
    ]
    start = dt.datetime.combine(project.planned_start, dt.time()) if project.planned_start else None
    if start is None:
        starts = [t.early_start for t in doc_tasks if t.early_start]
        start = min(starts) if starts else None
    finish = _naive(project.scheduled_finish) or (
        dt.datetime.combine(project.planned_finish, dt.time(17)) if project.planned_finish else None
    )
    status = dt.datetime.combine(project.status_date, dt.time()) if project.status_date else None
    props = ProjectProperties(
        id=str(project.pk),
        name=project.name,
        title=project.name,
        code=project.code,
        start=start,
        finish=finish,
        status_date=status,
        schedule_from_status_date=status is not None and project.schedule_from_status_date,
        must_finish_by=_naive(project.must_finish_by),
        currency=project.currency,
        default_calendar=default_id,
        minutes_per_day=mpd,
        minutes_per_week=mpw,
        honor_constraints=project.honor_constraint_dates,
        critical_slack=project.critical_float_minutes,
        lag_calendar=LagCalendar(project.lag_calendar),
        progress_mode=ProgressMode(project.progress_mode),
        company=org.name,
        extra={
            # P6 scheduling options the engine follows (SCHEDOPTIONS)
            "p6.sched.sched_lag_early_start_flag": _yn(project.start_lag_from_early_start),
            "p6.sched.sched_use_expect_end_flag": _yn(project.use_expected_finish),
        },
    )
    return ProjectDocument(
        project=props,
        calendars=tuple(calendars),
        tasks=tuple(doc_tasks),
        links=tuple(links),
        resources=tuple(doc_resources),
        assignments=tuple(doc_assignments),
        tag_definitions=_tag_definitions(project, tag_names),
        source_format="",
    )


# P6 task_type of each way pmo schedules a task (the XER writer reads ``p6.task_type``)
P6_TASK_TYPES = {
    ActivityType.TASK: "TT_Task",
    ActivityType.RESOURCE_DEPENDENT: "TT_Rsrc",
    ActivityType.LEVEL_OF_EFFORT: "TT_LOE",
    ActivityType.START_MILESTONE: "TT_Mile",
    ActivityType.FINISH_MILESTONE: "TT_FinMile",
}  # a WBS element is written as one (PROJWBS), not as an activity


def _task_extra(t: Task) -> dict[str, str]:
    """Format-specific values of a task: its P6 activity type (a milestone's kind only when
    it is a milestone) and expected finish."""
    kind = t.activity_type
    milestone_kind = kind in (ActivityType.START_MILESTONE, ActivityType.FINISH_MILESTONE)
    if t.is_milestone and not milestone_kind:
        kind = ActivityType.FINISH_MILESTONE
    elif not t.is_milestone and milestone_kind:
        kind = ActivityType.TASK
    extra = {"p6.task_type": P6_TASK_TYPES.get(ActivityType(kind), "TT_Task")}
    expected = _naive(t.expected_finish)
    if expected is not None:
        extra["p6.expect_end_date"] = expected.strftime("%Y-%m-%d %H:%M")
    return extra


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def _tag_definitions(project: Project, used: Iterable[str]) -> tuple[TagDefinition, ...]:
    """What the project's tags are (kept from the imported file: custom field, P6 activity
    code or user-defined field, with a code's values), then the other tags used, as text."""
    out: dict[str, TagDefinition] = {}
    for d in project.tag_definitions if isinstance(project.tag_definitions, list) else []:
        if not isinstance(d, dict) or not d.get("name"):
            continue
        values = d.get("values") or {}
        out.setdefault(
            str(d["name"]),
            TagDefinition(
                name=str(d["name"]),
                kind=str(d.get("kind") or "field"),
                data_type=str(d.get("data_type") or "text"),
                source_id=str(d.get("source_id") or ""),
                values={str(k): str(v) for k, v in values.items()}
                if isinstance(values, dict)
                else {},
            ),
        )
    for name in used:
        out.setdefault(name, TagDefinition(name=name))
    return tuple(out.values())


# ----------------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------------

RISK_COLUMNS = (
    "Code", "Title", "Category", "State", "Probability", "Impact", "Score", "Response",
    "Response plan", "Owner", "Due date", "Task", "Cost impact min", "Cost impact likely",
    "Cost impact max", "Schedule impact days min", "Schedule impact days likely",
    "Schedule impact days max", "Description",
)  # fmt: skip
ISSUE_COLUMNS = (
    "Code", "Title", "Priority", "State", "Owner", "Raised on", "Due date", "Task",
    "Resolution", "Description",
)  # fmt: skip


def _user(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def risk_table(project: Project) -> Table:
    rows = [
        (
            r.code,
            r.title,
            r.category,
            r.get_state_display(),
            r.probability,
            r.impact,
            r.probability * r.impact,
            r.get_response_display(),
            r.response_plan,
            _user(r.owner),
            r.due_date,
            r.task.name if r.task else "",
            r.cost_impact_min,
            r.cost_impact_likely,
            r.cost_impact_max,
            r.schedule_impact_days_min,
            r.schedule_impact_days_likely,
            r.schedule_impact_days_max,
            r.description,
        )
        for r in Risk.objects.filter(project=project)
        .select_related("owner", "task")
        .order_by("code", "pk")
    ]
    return Table("Risks", RISK_COLUMNS, rows)


def issue_table(project: Project) -> Table:
    rows = [
        (
            i.code,
            i.title,
            i.get_priority_display(),
            i.get_state_display(),
            _user(i.owner),
            i.raised_on,
            i.due_date,
            i.task.name if i.task else "",
            i.resolution,
            i.description,
        )
        for i in Issue.objects.filter(project=project)
        .select_related("owner", "task")
        .order_by("code", "pk")
    ]
    return Table("Issues", ISSUE_COLUMNS, rows)


# ----------------------------------------------------------------------------------------------
# iCalendar feeds
# ----------------------------------------------------------------------------------------------


def _uid(kind: str, pk: int, org_code: str) -> str:
    return f"{kind}-{pk}@{org_code}.pmo"


def milestones_ics(project: Project, base_url: str = "") -> bytes:
    """The project's milestones as all-day events on their scheduled date."""
    events = []
    for t in (
        Task.objects.filter(project=project, is_milestone=True)
        .exclude(early_start__isnull=True)
        .order_by("early_start", "pk")
    ):
        when = _naive(t.early_start)
        assert when is not None
        lines = [f"Milestone of {project.code} {project.name}", f"Scheduled {when:%Y-%m-%d %H:%M}"]
        if t.deadline:
            lines.append(f"Deadline {_naive(t.deadline):%Y-%m-%d %H:%M}")
        if t.actual_finish:
            lines.append(f"Reached {_naive(t.actual_finish):%Y-%m-%d %H:%M}")
        if t.is_critical:
            lines.append("On the critical path")
        events.append(
            Event(
                uid=_uid("milestone", t.pk, project.organisation.code),
                summary=f"{project.code}: {t.name}",
                start=when.date(),
                description="\n".join(lines),
                url=f"{base_url}/projects/{project.pk}/?tab=gantt" if base_url else "",
                categories=("Milestone", project.code),
                status="CONFIRMED" if t.actual_finish else "",
                last_modified=t.updated_at,
            )
        )
    return calendar_bytes(
        events,
        name=f"{project.code} milestones",
        description=f"Milestones of {project.name} (pmo)",
    )


def assignments_ics(resource: Resource, base_url: str = "") -> bytes:
    """The resource's assignments as all-day events from the task's scheduled start date to
    its finish date (units and work in the description)."""
    events = []
    for a in (
        Assignment.objects.filter(resource=resource)
        .exclude(task__early_start__isnull=True)
        .select_related("task", "task__project")
        .order_by("task__early_start", "pk")
    ):
        t = a.task
        start, finish = _naive(t.early_start), _naive(t.early_finish)
        assert start is not None
        finish = finish or start
        project = t.project
        lines = [
            f"{project.code} {project.name}",
            f"{start:%Y-%m-%d %H:%M} → {finish:%Y-%m-%d %H:%M}",
            f"Units {a.units * 100:.0f} %, work {a.work_minutes / 60:g} h",
        ]
        if t.percent_complete:
            lines.append(f"{t.percent_complete} % complete")
        events.append(
            Event(
                uid=_uid("assignment", a.pk, resource.organisation.code),
                summary=f"{project.code}: {t.name}",
                start=start.date(),
                end=finish.date() + dt.timedelta(days=1),
                description="\n".join(lines),
                url=f"{base_url}/projects/{project.pk}/" if base_url else "",
                categories=(project.code,),
                last_modified=max(a.updated_at, t.updated_at),
                transparent=False,
            )
        )
    return calendar_bytes(
        events,
        name=f"{resource.name} assignments",
        description=f"Assignments of {resource.name} (pmo)",
    )


# ----------------------------------------------------------------------------------------------
# one entry point
# ----------------------------------------------------------------------------------------------


def export_project(
    project: Project, fmt: str, *, table: str = "tasks", base_url: str = ""
) -> ExportFile:
    """The project as ``fmt`` (one of :data:`EXPORT_FORMATS`). ``table``: what a CSV holds
    (``tasks``, ``risks`` or ``issues``); an XLSX has a sheet of each."""
    from pmo.interop.mspdi import mspdi_bytes
    from pmo.interop.xer import xer_bytes

    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed.field("format", f"one of {', '.join(EXPORT_FORMATS)}")
    if table not in TABLES:
        raise ValidationFailed.field("table", f"one of {', '.join(TABLES)}")
    stem = project.code
    if fmt == "mspdi":
        content = mspdi_bytes(project_document(project))
    elif fmt == "xer":
        content = xer_bytes(project_document(project, for_format="xer"))
    elif fmt == "ics":
        content = milestones_ics(project, base_url)
        stem += "-milestones"
    elif fmt == "xlsx":
        content = xlsx_bytes(_tables(project, TABLES))
    else:
        content = csv_bytes(_tables(project, (table,))[0])
        stem += f"-{table}"
    return ExportFile(content, CONTENT_TYPES[fmt], f"{stem}.{EXTENSIONS[fmt]}")


def _tables(project: Project, names: Iterable[str]) -> list[Table]:
    out = []
    for name in names:
        if name == "tasks":
            out.append(task_table(project_document(project)))
        elif name == "risks":
            out.append(risk_table(project))
        else:
            out.append(issue_table(project))
    return out
