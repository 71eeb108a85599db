"""A format-neutral project document: what MS Project (MSPDI) and Primavera P6 (XER) files hold.

The readers (:mod:`pmo.interop.mspdi`, :mod:`pmo.interop.xer`) turn a file into a
:class:`ProjectDocument`; the writers turn one back into a file. The document is plain frozen
dataclasses, no database, so a service can store it, the fidelity check can reschedule it and
a test can compare two of them with ``==``.

Units and conventions (those of :mod:`pmo.engine.plan`):

* durations, lags, work and floats are integer **minutes** (working minutes of the task's
  calendar, elapsed minutes for elapsed durations and lags); a percent lag is a percentage;
* dates are naive ``datetime`` in the project's wall-clock time (MSPDI and XER both store
  local times without a zone); a date the file does not store is ``None``;
* ids are strings as in the file: the MSPDI ``UID``; the XER ``task_id`` for activities and
  ``"wbs:" + wbs_id`` for WBS elements (P6 numbers WBS elements and activities from separate
  sequences, so the prefix keeps them apart);
* money is ``Decimal``.

Calendars are stored **resolved**: the week and exceptions of a derived calendar already
include what it inherits from its base calendar (``base`` keeps the reference so a writer can
write the derived calendar as a difference again), and recurring exceptions are expanded into
plain date ranges. The dates a file stores for its last schedule (early/late start/finish,
total/free slack, critical) are kept as read, so :mod:`pmo.interop.fidelity` can compare them
with pmo's own schedule.

``extra`` mappings keep file-specific values the document does not model (``"msp.<Element>"``
or ``"p6.<field>"``, the raw text) so that exporting back to the same format loses as little
as possible; other writers ignore them.

:func:`to_plan` maps a document to the scheduling engine's :class:`~pmo.engine.plan.Plan` and
:func:`schedule_options` its scheduling options to :class:`~pmo.engine.plan.ScheduleOptions`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from pmo.engine.calendar import (
    DEFAULT_MINUTES_PER_DAY,
    MINUTES_PER_DAY,
    STANDARD_WEEK,
    Calendar,
    CalendarException,
    WorkingTimes,
)
from pmo.engine.plan import (
    ConstraintType,
    Convention,
    LagCalendar,
    LagUnit,
    Link,
    LinkType,
    Plan,
    ProgressMode,
    ScheduleOptions,
    Task,
)
from pmo.errors import FieldError, FileFormatError, FileLocation, PayloadTooLarge, ValidationFailed

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Baseline",
    "Constraint",
    "DocAssignment",
    "DocCalendar",
    "DocLink",
    "DocResource",
    "DocTask",
    "ProjectDocument",
    "ProjectProperties",
    "RateEntry",
    "ResourceType",
    "TagDefinition",
    "WorkWeek",
    "combine",
    "engine_calendar",
    "engine_constraint",
    "resource_calendar",
    "schedule_options",
    "to_plan",
]

DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # readers refuse larger input (PayloadTooLarge)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# ----------------------------------------------------------------------------------------------
# calendars
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkWeek:
    """A period with its own working week (MSPDI 2007+ ``WorkWeeks``).

    ``week`` is Monday first; ``None`` for a day the work week does not define (the
    calendar's default week applies that day).
    """

    start: date
    finish: date
    week: tuple[WorkingTimes | None, ...]
    name: str = ""


@dataclass(frozen=True)
class DocCalendar:
    """A calendar, resolved: ``week`` and ``exceptions`` include what the base calendar gives.

    ``kind``: ``"base"`` (a base/global calendar), ``"resource"``, ``"project"`` (P6 project
    calendar) or ``"task"``. ``minutes_per_day``/``minutes_per_week``: P6's hours per day and
    week of the calendar (MSPDI has them per project: ``None`` here).
    """

    id: str
    name: str = ""
    week: tuple[WorkingTimes, ...] = STANDARD_WEEK
    exceptions: tuple[CalendarException, ...] = ()
    base: str | None = None
    kind: str = "base"
    work_weeks: tuple[WorkWeek, ...] = ()
    minutes_per_day: int | None = None
    minutes_per_week: int | None = None
    is_default: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def has_work(self) -> bool:
        return any(self.week) or any(e.working_times for e in self.exceptions)


def resolve_calendars(
    raw: Sequence[tuple[DocCalendar, tuple[WorkingTimes | None, ...]]],
) -> tuple[DocCalendar, ...]:
    """Apply base-calendar inheritance (MSPDI ``BaseCalendarUID``, P6 ``base_clndr_id``).

    ``raw``: per calendar its record (``week`` ignored, ``exceptions`` = its own) and its own
    week (``None`` = the day is inherited from ``base``). A derived calendar's exceptions
    extend its base's. Cycles and unknown bases are treated as no base. Exceptions of the base
    come first so the calendar's own win on shared days (the engine lets a later exception
    override an earlier one).
    """
    by_id = {cal.id: (cal, week) for cal, week in raw}
    done: dict[str, DocCalendar] = {}

    def resolve(cid: str, seen: tuple[str, ...]) -> DocCalendar:
        if cid in done:
            return done[cid]
        cal, own = by_id[cid]
        base = None
        if cal.base and cal.base in by_id and cal.base not in seen and cal.base != cid:
            base = resolve(cal.base, (*seen, cid))
        base_week = base.week if base else STANDARD_WEEK
        week: tuple[WorkingTimes, ...] = tuple(
            own_day if (own_day := own[d]) is not None else base_week[d] for d in range(7)
        )
        exceptions = cal.exceptions
        if base is not None and base.exceptions:
            exceptions = (*base.exceptions, *exceptions)
        out = replace(cal, week=week, exceptions=exceptions)
        done[cid] = out
        return out

    return tuple(resolve(cal.id, ()) for cal, _ in raw)


def engine_calendar(cal: DocCalendar, minutes_per_day: int = DEFAULT_MINUTES_PER_DAY) -> Calendar:
    """The engine's :class:`~pmo.engine.calendar.Calendar` for a document calendar.

    Work weeks become exceptions (one per period and weekday pattern run) placed before the
    calendar's own exceptions, so exceptions still win. A calendar without any working
    weekday gets none (the engine refuses it): ``to_plan`` reports it when a task uses it.
    """
    exceptions: list[CalendarException] = []
    for ww in cal.work_weeks:
        d = ww.start
        while d <= ww.finish:
            times = ww.week[d.weekday()]
            if times is not None:
                exceptions.append(CalendarException(d, d, times, ww.name))
            d += timedelta(days=1)
    exceptions.extend(cal.exceptions)
    mpd = cal.minutes_per_day or minutes_per_day
    return Calendar(
        id=cal.id,
        name=cal.name,
        week=cal.week,
        minutes_per_day=mpd if mpd > 0 else DEFAULT_MINUTES_PER_DAY,
        exceptions=_merge_exceptions(exceptions),
    )


def _merge_exceptions(exceptions: Sequence[CalendarException]) -> tuple[CalendarException, ...]:
    """Merge runs of consecutive single days with the same hours (keeps the index small)."""
    out: list[CalendarException] = []
    for e in exceptions:
        if out:
            last = out[-1]
            if (
                last.working_times == e.working_times
                and last.name == e.name
                and last.finish + timedelta(days=1) == e.start
            ):
                out[-1] = replace(last, finish=e.finish)
                continue
        out.append(e)
    return tuple(out)


# ----------------------------------------------------------------------------------------------
# tasks, links, resources
# ----------------------------------------------------------------------------------------------


class Constraint(StrEnum):
    """Date constraints of both tools.

    MSO/MFO are *hard* (MS Project Must Start/Finish On, P6 Mandatory Start/Finish: they
    override the links); START_ON/FINISH_ON are P6's *Start On*/*Finish On*: links can still
    move the early date past them, and they bound the late date.
    """

    ASAP = "ASAP"
    ALAP = "ALAP"
    SNET = "SNET"
    SNLT = "SNLT"
    FNET = "FNET"
    FNLT = "FNLT"
    MSO = "MSO"
    MFO = "MFO"
    START_ON = "START_ON"
    FINISH_ON = "FINISH_ON"


@dataclass(frozen=True)
class Baseline:
    """A saved baseline (MS Project Baseline0..10; P6 has them as separate projects)."""

    number: int = 0
    start: datetime | None = None
    finish: datetime | None = None
    duration: int | None = None  # minutes
    cost: Decimal | None = None
    work: int | None = None  # minutes


@dataclass(frozen=True)
class DocTask:
    """A task, summary task or P6 WBS element, as stored in the file."""

    id: str
    name: str = ""
    parent: str | None = None
    outline_level: int = 1
    display_id: int | None = None  # MSPDI ID (row number)
    wbs: str = ""  # MSPDI WBS code; P6 WBS code path of the element
    outline_number: str = ""
    code: str = ""  # P6 Activity ID (task_code) or WBS code path
    project: str = ""  # P6 proj_id (multi-project documents)
    summary: bool = False
    wbs_node: bool = False  # a P6 WBS element (not an activity)
    milestone: bool = False
    manual: bool = False  # MS Project manually scheduled task
    active: bool = True
    # durations (minutes; None = not stored)
    duration: int | None = None  # at completion: actual + remaining
    elapsed: bool = False
    duration_format: str = ""  # display unit as stored: m, h, d, w, mo, ed, ... ('?' = estimated)
    remaining: int | None = None
    actual_duration: int | None = None
    planned_duration: int | None = None  # P6 original (planned) duration
    planned_start: datetime | None = None  # P6 planned dates
    planned_finish: datetime | None = None
    # constraints
    constraint_type: Constraint | None = None  # None = ASAP (no constraint)
    constraint_date: datetime | None = None
    secondary_constraint_type: Constraint | None = None  # P6 secondary constraint
    secondary_constraint_date: datetime | None = None
    deadline: datetime | None = None
    # progress
    percent_complete: float = 0.0  # duration % complete
    physical_percent_complete: float | None = None
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    # the schedule stored in the file
    start: datetime | None = None
    finish: datetime | None = None
    early_start: datetime | None = None
    early_finish: datetime | None = None
    late_start: datetime | None = None
    late_finish: datetime | None = None
    total_slack: int | None = None  # minutes
    free_slack: int | None = None
    critical: bool | None = None
    # other
    notes: str = ""
    calendar: str | None = None  # None: the project calendar
    # scheduled on the calendars of its assigned resources (MS Project unless "ignore
    # resource calendars"; P6 resource-dependent activities)
    resource_calendars: bool = False
    # MS Project's leveling delay: how long levelling holds the task back from its early
    # start, in minutes (working minutes of the task's calendar; elapsed minutes when
    # ``levelling_delay_format`` is an elapsed unit: "ed", "eh", ...); 0 = none
    levelling_delay: int = 0
    levelling_delay_format: str = ""  # display unit as stored (d, ed, h, ...)
    work: int | None = None  # minutes
    actual_work: int | None = None
    cost: Decimal | None = None
    actual_cost: Decimal | None = None
    baselines: tuple[Baseline, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_started(self) -> bool:
        return self.actual_start is not None

    @property
    def is_complete(self) -> bool:
        return self.actual_finish is not None


@dataclass(frozen=True)
class DocLink:
    """A dependency. ``lag``: minutes (WORKING/ELAPSED) or percent of the predecessor's
    duration (PERCENT); ``lag_format`` is the unit the file displays it in."""

    predecessor: str
    successor: str
    type: LinkType = LinkType.FS
    lag: float = 0.0
    lag_unit: LagUnit = LagUnit.WORKING
    lag_format: str = ""
    id: str = ""  # P6 task_pred_id
    external: bool = False  # the predecessor is in another project (not in this document)
    extra: Mapping[str, str] = field(default_factory=dict)


class ResourceType(StrEnum):
    WORK = "work"  # MS Project Work; P6 labor
    MATERIAL = "material"  # MS Project Material; P6 material
    COST = "cost"  # MS Project Cost resource
    EQUIPMENT = "equipment"  # P6 nonlabor


@dataclass(frozen=True)
class RateEntry:
    """A rate from ``start`` on (MSPDI Rates / P6 RSRCRATE); money per hour."""

    start: datetime | None = None
    standard_rate: Decimal = Decimal(0)
    overtime_rate: Decimal = Decimal(0)
    cost_per_use: Decimal = Decimal(0)
    max_units: float | None = None
    table: int = 0  # MSPDI cost rate table A..E = 0..4


@dataclass(frozen=True)
class DocResource:
    id: str
    name: str = ""
    code: str = ""  # MSPDI Initials / P6 rsrc_short_name
    type: ResourceType = ResourceType.WORK
    max_units: float | None = 1.0  # 1.0 = 100 %
    standard_rate: Decimal | None = None  # per hour
    overtime_rate: Decimal | None = None
    cost_per_use: Decimal | None = None
    rates: tuple[RateEntry, ...] = ()
    calendar: str | None = None
    parent: str | None = None  # P6 resource hierarchy
    email: str = ""
    group: str = ""
    notes: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DocAssignment:
    """A resource on a task. ``units`` 1.0 = 100 % (P6: units per hour); work in minutes
    (P6 quantities in hours are converted)."""

    id: str
    task: str
    resource: str
    units: float = 1.0
    work: int | None = None
    actual_work: int | None = None
    remaining_work: int | None = None
    cost: Decimal | None = None
    actual_cost: Decimal | None = None
    start: datetime | None = None
    finish: datetime | None = None
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TagDefinition:
    """A custom field: MSPDI extended attribute, P6 user-defined field or activity code.

    ``kind``: ``"field"`` (MSPDI extended attribute), ``"udf"`` or ``"code"`` (P6);
    ``data_type``: text, number, date, cost, duration, flag, code; ``source_id``: MSPDI
    FieldID, P6 udf_type_id / actv_code_type_id; ``values``: a code's value -> description.
    """

    name: str
    scope: str = "task"
    kind: str = "field"
    data_type: str = "text"
    source_id: str = ""
    values: Mapping[str, str] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# the project and the document
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectProperties:
    """Project-level data and the scheduling options that change dates.

    ``status_date``: MS Project *Status Date* / P6 *Data Date*; ``schedule_from_status_date``:
    remaining work may not be scheduled before it (P6, always; MS Project only with its
    "move remaining parts after the status date" options). ``lag_calendar`` and
    ``progress_mode``: P6 *Calendar for scheduling relationship lag* and *retained logic /
    progress override*. ``critical_slack``: minutes of total float at or under which a task
    is critical (MS Project *CriticalSlackLimit*, P6 *critical_drtn_hr_cnt*).
    """

    id: str = ""
    name: str = ""
    title: str = ""
    code: str = ""  # P6 proj_short_name
    start: datetime | None = None
    finish: datetime | None = None
    status_date: datetime | None = None
    schedule_from_status_date: bool = False
    must_finish_by: datetime | None = None
    current_date: datetime | None = None
    currency: str = ""
    currency_symbol: str = ""
    default_calendar: str | None = None
    minutes_per_day: int = DEFAULT_MINUTES_PER_DAY
    minutes_per_week: int = 2400
    days_per_month: int = 20
    schedule_from_start: bool = True
    honor_constraints: bool = True
    critical_slack: int = 0
    lag_calendar: LagCalendar = LagCalendar.SUCCESSOR
    progress_mode: ProgressMode = ProgressMode.RETAINED_LOGIC
    author: str = ""
    company: str = ""
    created: datetime | None = None
    last_saved: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectDocument:
    """One project (or a program of several: ``DocTask.project`` tells them apart)."""

    project: ProjectProperties = field(default_factory=ProjectProperties)
    calendars: tuple[DocCalendar, ...] = ()
    tasks: tuple[DocTask, ...] = ()  # outline order: a parent before its children
    links: tuple[DocLink, ...] = ()
    resources: tuple[DocResource, ...] = ()
    assignments: tuple[DocAssignment, ...] = ()
    tag_definitions: tuple[TagDefinition, ...] = ()
    source_format: str = ""  # "mspdi" | "xer" | "" (built in code)

    def task(self, task_id: str) -> DocTask:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)

    def calendar(self, calendar_id: str) -> DocCalendar:
        for c in self.calendars:
            if c.id == calendar_id:
                return c
        raise KeyError(calendar_id)

    @property
    def project_calendar(self) -> DocCalendar | None:
        ids = {c.id: c for c in self.calendars}
        if self.project.default_calendar in ids:
            return ids[self.project.default_calendar]  # type: ignore[index]
        return self.calendars[0] if self.calendars else None


def combine(documents: Sequence[ProjectDocument], name: str = "") -> ProjectDocument:
    """One program document from several project documents (e.g. every project of an XER).

    Tasks keep their ids (P6 ids are unique across a database); links between the projects,
    which each document holds as ``external``, become internal when both ends are present.
    Calendars, resources and tag definitions are merged by id (the first wins).
    """
    if not documents:
        raise ValidationFailed.field("documents", "nothing to combine")
    tasks = [t for d in documents for t in d.tasks]
    ids = {t.id for t in tasks}
    if len(ids) != len(tasks):
        raise ValidationFailed.field("tasks", "task ids repeat across the documents")
    links: list[DocLink] = []
    seen_links: set[tuple[str, str, LinkType]] = set()
    for d in documents:
        for lk in d.links:
            key = (lk.predecessor, lk.successor, lk.type)
            if key in seen_links:
                continue
            seen_links.add(key)
            both = lk.predecessor in ids and lk.successor in ids
            links.append(replace(lk, external=not both))

    def merged[T](items: Iterable[T], key: str) -> tuple[T, ...]:
        out: dict[str, T] = {}
        for item in items:
            out.setdefault(getattr(item, key), item)
        return tuple(out.values())

    first = documents[0].project
    starts = [d.project.start for d in documents if d.project.start]
    finishes = [d.project.finish for d in documents if d.project.finish]
    statuses = [d.project.status_date for d in documents if d.project.status_date]
    program = replace(
        first,
        id="+".join(d.project.id for d in documents),
        name=name or " + ".join(d.project.name or d.project.code for d in documents),
        code="",
        start=min(starts) if starts else None,
        finish=max(finishes) if finishes else None,
        status_date=max(statuses) if statuses else None,
        must_finish_by=None,
    )
    return ProjectDocument(
        project=program,
        calendars=merged((c for d in documents for c in d.calendars), "id"),
        tasks=tuple(tasks),
        links=tuple(links),
        resources=merged((r for d in documents for r in d.resources), "id"),
        assignments=merged((a for d in documents for a in d.assignments), "id"),
        tag_definitions=merged((t for d in documents for t in d.tag_definitions), "name"),
        source_format=documents[0].source_format,
    )


# ----------------------------------------------------------------------------------------------
# to the engine
# ----------------------------------------------------------------------------------------------


def schedule_options(doc: ProjectDocument) -> ScheduleOptions:
    """The engine options that reproduce the file's scheduling settings: the rules of the tool
    that wrote it (P6's for XER, MS Project's otherwise) and the settings the file stores."""
    p6 = doc.source_format == "xer"
    extra = doc.project.extra
    return ScheduleOptions(
        critical_threshold=doc.project.critical_slack,
        progress_mode=doc.project.progress_mode,
        lag_calendar=doc.project.lag_calendar,
        honor_constraint_dates=doc.project.honor_constraints,
        convention=Convention.P6 if p6 else Convention.MSPROJECT,
        # P6 "Calculate start-to-start lag from: Early start" (Y, its default) / actual start
        start_lag_from_early_start=p6
        and extra.get("p6.sched.sched_lag_early_start_flag", "Y") == "Y",
        # P6 "Use expected end dates"
        use_expected_finish=p6 and extra.get("p6.sched.sched_use_expect_end_flag", "N") == "Y",
    )


def to_plan(
    doc: ProjectDocument, *, wbs_summaries: bool = False, levelling_delays: bool = True
) -> Plan:
    """The engine's plan for a document.

    * Every task becomes an engine task; a task with children (an MSPDI summary task) is a
      summary, rolled up by the engine. P6 WBS elements are left out unless
      ``wbs_summaries``: P6 schedules activities only (a WBS element has no dates of its own
      and bounds nothing), while an engine summary caps its children's free float. Inactive
      MSPDI tasks are left out.
    * Links whose predecessor is not in the document (``external``) are left out.
    * Progress: actual start/finish, % complete and the remaining duration as stored. A
      task with progress but no actual start loses its progress (the engine needs one).
    * Resource calendars: a task scheduled on its resources' calendars
      (``resource_calendars``) with work resources assigned gets a calendar that is the union
      of their calendars (the time at least one of them works), intersected with the task's
      own calendar when it has one (MS Project's rule).
    * Constraints: P6's *Start On*/*Finish On* become "no earlier than" on the early side
      plus a deadline (a late bound) on the date; a P6 secondary constraint fills the
      constraint slot when the primary is ASAP, or becomes a deadline when it is a late one.
    * Manually scheduled MS Project tasks keep their stored start (a must-start-on).
    * Milestones: P6 finish milestones (``TT_FinMile``) and MS Project milestones are
      ``is_milestone``; a P6 start milestone (``TT_Mile``) is a zero-duration task without the
      flag, which the engine's P6 rules place at the start of the next working period.
    * A P6 expected finish (``expect_end_date``) becomes ``Task.expected_finish`` (used when
      the file says *use expected end dates*, see :func:`schedule_options`).
    * A P6 level-of-effort activity (``TT_LOE``) is ``Task.level_of_effort``: the engine
      derives its dates from its neighbours (MSPDI has no such task type).
    * An MS Project leveling delay (``levelling_delay``) is ``Task.levelling_delay``: the task
      starts that long after the early start its links and constraints give, as MS Project
      schedules a levelled plan (elapsed for an elapsed unit, else working time of the
      task's calendar); not on summary tasks, which MS Project does not level. Without
      ``levelling_delays`` they are ignored: the plan as it was before levelling (what
      levelling starts from).
    * Only calendars used by a task (and the project calendar) are converted.
    """
    errors: list[FieldError] = []
    cal_by_id = {c.id: c for c in doc.calendars}
    project_cal = doc.project_calendar
    mpd = doc.project.minutes_per_day or DEFAULT_MINUTES_PER_DAY
    active = [t for t in doc.tasks if t.active and (wbs_summaries or not t.wbs_node)]
    active_ids = {t.id for t in active}
    has_children = {t.parent for t in active if t.parent in active_ids}

    engine_cals: dict[str, Calendar] = {}

    def engine_cal(cid: str) -> Calendar | None:
        if cid not in engine_cals:
            cal = cal_by_id.get(cid)
            if cal is None or not any(cal.week):
                return None
            try:
                engine_cals[cid] = engine_calendar(cal, mpd)
            except ValidationFailed as exc:
                errors.extend(exc.errors)
                return None
        return engine_cals[cid]

    default_id = project_cal.id if project_cal is not None else None
    if default_id is not None and engine_cal(default_id) is None:
        errors.append(FieldError(("calendars", default_id), "the project calendar has no work"))

    # resources' calendars of each task scheduled on them
    res_cal = {r.id: r.calendar for r in doc.resources if r.type != ResourceType.MATERIAL}
    res_of: dict[str, list[str]] = {}
    for a in doc.assignments:
        if a.resource in res_cal and a.units > 0:
            res_of.setdefault(a.task, []).append(a.resource)
    combined: dict[tuple[str | None, tuple[str, ...]], str | None] = {}

    def task_calendar(t: DocTask) -> str | None:
        own = t.calendar if t.calendar in cal_by_id else None
        if not t.resource_calendars or t.id not in res_of or t.id in has_children:
            return own
        rcals = tuple(sorted({res_cal[r] or default_id or "" for r in res_of[t.id]} - {""}))
        if not rcals or rcals == ((own or default_id),):
            return own
        key = (own, rcals)
        if key not in combined:
            parts = [c for c in (engine_cal(x) for x in rcals) if c is not None]
            cid: str | None = own
            if parts:
                union = _combine(parts, union=True, id="res:" + "+".join(rcals))
                base = engine_cal(own) if own is not None else None
                result = union
                if base is not None and union is not None:
                    result = _combine([base, union], union=False, id=f"{own}&{union.id}")
                if result is not None:
                    engine_cals[result.id] = result
                    cid = result.id
            combined[key] = cid
        return combined[key]

    tasks: list[Task] = []
    for t in active:
        summary = t.id in has_children
        cal = task_calendar(t)
        if cal is not None and engine_cal(cal) is None:
            if not summary:
                errors.append(
                    FieldError(("tasks", t.id, "calendar"), f"calendar {cal} has no work")
                )
            cal = None
        pct = t.percent_complete
        remaining = t.remaining
        actual_start, actual_finish = t.actual_start, t.actual_finish
        if actual_start is None and actual_finish is None:
            pct, remaining = 0.0, None
        parent = t.parent if t.parent in active_ids else None
        duration = 0 if summary else max(0, t.duration or 0)
        if remaining is not None:
            remaining = max(0, remaining)
        ctype, cdate, deadline = _engine_constraint(t, engine_cal(cal or default_id or ""))
        if t.manual and t.start is not None and not summary and actual_start is None:
            ctype, cdate = ConstraintType.MSO, t.start
        tasks.append(
            Task(
                id=t.id,
                name=t.name,
                duration=duration,
                calendar=cal,
                elapsed=t.elapsed,
                # P6 start milestones are placed at the start of the next working period,
                # finish milestones (the engine's ``is_milestone``) at the end of the previous
                is_milestone=t.milestone
                and not summary
                and t.extra.get("p6.task_type") != "TT_Mile",
                parent=parent,
                constraint_type=ctype,
                constraint_date=cdate,
                deadline=deadline,
                actual_start=actual_start if not summary else None,
                actual_finish=actual_finish if not summary else None,
                percent_complete=min(100.0, max(0.0, pct)) if not summary else 0.0,
                remaining=remaining if not summary else None,
                expected_finish=_expected_finish(t) if not summary else None,
                level_of_effort=not summary and t.extra.get("p6.task_type") == "TT_LOE",
                levelling_delay=(
                    max(0, t.levelling_delay) if levelling_delays and not summary else 0
                ),
                levelling_delay_elapsed=t.levelling_delay_format.startswith("e"),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    links = [
        Link(
            predecessor=lk.predecessor,
            successor=lk.successor,
            type=lk.type,
            lag=lk.lag,
            lag_unit=lk.lag_unit,
        )
        for lk in doc.links
        if lk.predecessor in active_ids and lk.successor in active_ids
    ]
    start = doc.project.start
    if start is None:
        dated = [d for t in active if (d := t.start or t.early_start) is not None]
        start = min(dated) if dated else datetime(2000, 1, 3, 8)
    calendars = list(engine_cals.values())
    if not calendars:
        calendars.append(Calendar.standard(id="__standard__"))
    return Plan.from_records(
        tasks,
        links,
        calendars,
        start,
        calendar=default_id if default_id in engine_cals else "",
        status_date=doc.project.status_date if doc.project.schedule_from_status_date else None,
        must_finish_by=doc.project.must_finish_by,
    )


def _expected_finish(t: DocTask) -> datetime | None:
    """P6's expected finish (``expect_end_date``, kept in ``extra`` by the XER reader)."""
    text = t.extra.get("p6.expect_end_date", "")
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


_ENGINE_CONSTRAINTS = {
    Constraint.ASAP: ConstraintType.ASAP,
    Constraint.ALAP: ConstraintType.ALAP,
    Constraint.SNET: ConstraintType.SNET,
    Constraint.SNLT: ConstraintType.SNLT,
    Constraint.FNET: ConstraintType.FNET,
    Constraint.FNLT: ConstraintType.FNLT,
    Constraint.MSO: ConstraintType.MSO,
    Constraint.MFO: ConstraintType.MFO,
    Constraint.START_ON: ConstraintType.SNET,
    Constraint.FINISH_ON: ConstraintType.FNET,
}
_LATE = (Constraint.SNLT, Constraint.FNLT, Constraint.START_ON, Constraint.FINISH_ON)


def engine_constraint(
    t: DocTask, cal: Calendar | None
) -> tuple[ConstraintType, datetime | None, datetime | None]:
    """(engine constraint, its date, deadline) of a task, as :func:`to_plan` maps them; for a
    service building a plan from stored tasks with the same constraint set
    (``pmo.projects.scheduling``). ``cal``: the task's engine calendar."""
    return _engine_constraint(t, cal)


def resource_calendar(own: Calendar | None, resources: Sequence[Calendar]) -> Calendar | None:
    """The calendar of a task scheduled on its resources' calendars, by :func:`to_plan`'s rule:
    the union of ``resources`` (the time at least one works), intersected with the task's
    ``own`` calendar when it has one; None when that leaves no work. For a service building a
    plan from stored tasks and assignments (``pmo.projects.scheduling``)."""
    union = _combine(resources, union=True, id="res:" + "+".join(c.id for c in resources))
    if own is None or union is None:
        return union
    return _combine([own, union], union=False, id=f"{own.id}&{union.id}")


def _engine_constraint(
    t: DocTask, cal: Calendar | None
) -> tuple[ConstraintType, datetime | None, datetime | None]:
    """(engine constraint, its date, deadline) for a task (see :func:`to_plan`)."""
    deadline = t.deadline

    def late_bound(c: Constraint, d: datetime) -> datetime:
        """The latest finish a late-type constraint allows."""
        if c in (Constraint.FNLT, Constraint.FINISH_ON) or cal is None or not t.duration:
            return d
        return cal.add_working_minutes(d, max(0, t.duration or 0))  # a start bound -> finish

    def tighter(d: datetime | None, e: datetime) -> datetime:
        return e if d is None else min(d, e)

    ctype, cdate = ConstraintType.ASAP, None
    primary = t.constraint_type
    if primary is not None and (primary == Constraint.ALAP or t.constraint_date is not None):
        ctype, cdate = _ENGINE_CONSTRAINTS[primary], t.constraint_date
        if primary in (Constraint.START_ON, Constraint.FINISH_ON) and cdate is not None:
            deadline = tighter(deadline, late_bound(primary, cdate))
        if primary == Constraint.ALAP:
            cdate = None
    second, d2 = t.secondary_constraint_type, t.secondary_constraint_date
    if second is not None and d2 is not None:
        if ctype == ConstraintType.ASAP:
            ctype, cdate = _ENGINE_CONSTRAINTS[second], d2
            if second in (Constraint.START_ON, Constraint.FINISH_ON):
                deadline = tighter(deadline, late_bound(second, d2))
        elif second in _LATE:
            deadline = tighter(deadline, late_bound(second, d2))
    return ctype, cdate, deadline


def _merge_times(days: Sequence[WorkingTimes], union: bool) -> WorkingTimes:
    if union:
        spans = sorted(iv for day in days for iv in day)
        out: list[tuple[int, int]] = []
        for a, b in spans:
            if out and a <= out[-1][1]:
                out[-1] = (out[-1][0], max(b, out[-1][1]))
            else:
                out.append((a, b))
        return tuple(out)
    result: list[tuple[int, int]] = list(days[0]) if days else []
    for day in days[1:]:
        nxt: list[tuple[int, int]] = []
        for a, b in result:
            for c, d in day:
                lo, hi = max(a, c), min(b, d)
                if lo < hi:
                    nxt.append((lo, hi))
        result = sorted(nxt)
    return tuple(result)


def _combine(cals: Sequence[Calendar], *, union: bool, id: str) -> Calendar | None:
    """The union (or intersection) of calendars, day by day; None if it has no work."""
    week = tuple(_merge_times([c.week[d] for c in cals], union) for d in range(7))
    per_cal: list[dict[date, WorkingTimes]] = []
    for c in cals:
        days: dict[date, WorkingTimes] = {}
        for e in c.exceptions:
            d = e.start
            while d <= e.finish:
                days[d] = e.working_times
                d += timedelta(days=1)
        per_cal.append(days)
    exceptions: list[CalendarException] = []
    for d in sorted({d for days in per_cal for d in days}):
        times = _merge_times(
            [days.get(d, c.week[d.weekday()]) for c, days in zip(cals, per_cal, strict=True)],
            union,
        )
        if times != week[d.weekday()]:
            exceptions.append(CalendarException(d, d, times))
    if not any(week):
        return None
    return Calendar(
        id=id,
        name=id,
        week=week,
        minutes_per_day=cals[0].minutes_per_day,
        exceptions=_merge_exceptions(exceptions),
    )


# ----------------------------------------------------------------------------------------------
# input helpers shared by the readers
# ----------------------------------------------------------------------------------------------

Source = str | os.PathLike[str] | bytes | bytearray | BinaryIO


def source_name(source: Source, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    return str(getattr(source, "name", "") or "input")


def read_bytes(source: Source, max_bytes: int, name: str) -> bytes:
    """The whole input as bytes, refusing more than ``max_bytes`` (before reading it all)."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise FileFormatError(f"cannot read: {exc.strerror}", FileLocation(name)) from exc
        if size > max_bytes:
            raise _too_large(name, size, max_bytes)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FileFormatError(f"cannot read: {exc.strerror}", FileLocation(name)) from exc
    else:
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(name, len(data), max_bytes)
    return data


def open_limited(source: Source, max_bytes: int, name: str) -> BinaryIO:
    """A binary stream over the input that raises PayloadTooLarge past ``max_bytes``."""
    if isinstance(source, bytes | bytearray):
        if len(source) > max_bytes:
            raise _too_large(name, len(source), max_bytes)
        return io.BytesIO(bytes(source))
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise _too_large(name, size, max_bytes)
            return path.open("rb")
        except OSError as exc:
            raise FileFormatError(f"cannot read: {exc.strerror}", FileLocation(name)) from exc
    return _LimitedReader(source, max_bytes, name)  # type: ignore[return-value]


class _LimitedReader(io.RawIOBase):
    def __init__(self, inner: BinaryIO, limit: int, name: str) -> None:
        self.inner, self.limit, self.count, self.name_ = inner, limit, 0, name

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self.inner.read(-1 if size is None else size)
        self.count += len(data)
        if self.count > self.limit:
            raise _too_large(self.name_, self.count, self.limit)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _too_large(name: str, size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"{name}: {size:,} bytes is more than the {limit:,} bytes this reader accepts (max_bytes)"
    )


def minutes_to_hours(minutes: float) -> str:
    """Hours as a short decimal string (P6 hour counts, e.g. ``8``, ``0.5``)."""
    h = round(minutes / 60.0, 6)
    text = f"{h:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def clamp_day_minutes(m: int) -> int:
    return max(0, min(MINUTES_PER_DAY, m))
