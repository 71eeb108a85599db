"""Import a project file (MSPDI, XER, .mpp, CSV/XLSX task list) into a portfolio.

``preview_import_file`` reads the file and says what an import would create, with the
fidelity report (pmo's schedule of the file against the dates the file stores);
``do_import_project_file`` creates it, **in one transaction**, then reschedules the new
projects from the database rows with pmo's engine and compares that schedule with the file's
dates as the preview does (``ImportResult.schedule``). Both take the same arguments, so what
the preview shows is what the import makes (one mapping, :class:`_Mapper`, serves both).

What a file becomes (see ``docs/interop.md``, "Using it"):

* each project of the file -> a ``Project`` in the portfolio (code, name, planned start and
  finish, status date, currency, calendar, the scheduling options of the tool that wrote the
  file: ``schedule_options``); several (an XER with more than one project) -> a
  ``Program`` holding them, with the links between them as cross-project dependencies;
* calendars used by the project, its tasks and new resources -> organisation calendars with
  their exceptions (work weeks become exceptions); a calendar the organisation already has
  with the same definition (week, hours per day, exceptions) is reused instead of copied;
* tasks in outline order (parents, positions, WBS; a P6 activity's WBS column holds its
  Activity ID), activity types (P6 task types, WBS elements, MS Project tasks on their
  resources' calendars), durations (elapsed ones too), milestones, constraints (P6 *Start
  On*/*Finish On* and secondary constraints as they are), deadlines, expected finishes,
  progress (actual dates, % complete, remaining duration of tasks in progress), calendars;
* dependencies with type and lag (minutes, elapsed minutes or percent);
* resources matched in the organisation's pool by code (by name when the file has no code)
  or created there (``ImportOptions.resources``: ``create``, ``match`` only, or ``none``);
  assignments with units and work;
* baselines 0-10 (MS Project) -> ``Baseline``/``BaselineTask``; P6 planned (target) dates ->
  baseline 0 "P6 planned dates";
* custom fields, P6 user-defined fields and activity codes -> the task's ``tags`` (name ->
  value), their definitions in ``Project.tag_definitions`` (exports write them back).

What pmo cannot hold is listed in ``warnings`` (a second link between two tasks, links to
tasks outside the file, a summary linked to its own sub-task, values out of range...).
Every created row gets an audit event, as the organisation import does; the rows are written
in bulk (``pmo.projects.bulk``).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import (
    DateField,
    DecimalField,
    Model,
)
from django.utils import timezone

from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.core.services import jsonable
from pmo.errors import Conflict, PayloadTooLarge, PermissionDenied, PmoError, ValidationFailed
from pmo.interop.document import (
    Constraint,
    DocCalendar,
    DocLink,
    DocResource,
    DocTask,
    ProjectDocument,
    ResourceType,
    TagDefinition,
    schedule_options,
)
from pmo.interop.fidelity import FidelityReport, check_fidelity, compare_schedule
from pmo.interop.projectfile import ReadOptions, fidelity_dict, read_project_file
from pmo.orgs.models import Calendar, CalendarException, Organisation
from pmo.portfolio.models import Portfolio, Program
from pmo.projects.bulk import adapters, insert_rows, reserve_ids
from pmo.projects.models import (
    ActivityType,
    Baseline,
    BaselineTask,
    ConstraintType,
    Dependency,
    LagUnit,
    LinkType,
    Phase,
    Project,
    Task,
)
from pmo.projects.services import TAG_NAME_SIZE, TAG_VALUE_SIZE
from pmo.resources.models import Assignment, Resource

__all__ = [
    "ImportOptions",
    "ImportPreview",
    "ImportResult",
    "do_import_project_file",
    "max_upload_bytes",
    "preview_import_file",
    "read_upload",
]

UTC = dt.UTC
TAGS_HEADER = "[custom fields]"
FIRST_TASKS = 15
RESOURCE_MODES = ("create", "match", "none")
_CODE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CONSTRAINTS = {
    Constraint.ASAP: ConstraintType.ASAP,
    Constraint.ALAP: ConstraintType.ALAP,
    Constraint.SNET: ConstraintType.SNET,
    Constraint.SNLT: ConstraintType.SNLT,
    Constraint.FNET: ConstraintType.FNET,
    Constraint.FNLT: ConstraintType.FNLT,
    Constraint.MSO: ConstraintType.MSO,
    Constraint.MFO: ConstraintType.MFO,
    Constraint.START_ON: ConstraintType.START_ON,
    Constraint.FINISH_ON: ConstraintType.FINISH_ON,
}
_DATED = {
    ConstraintType.SNET,
    ConstraintType.SNLT,
    ConstraintType.FNET,
    ConstraintType.FNLT,
    ConstraintType.MSO,
    ConstraintType.MFO,
    ConstraintType.START_ON,
    ConstraintType.FINISH_ON,
}
# P6 task_type -> how pmo schedules the task
ACTIVITY_TYPES = {
    "TT_Task": ActivityType.TASK,
    "TT_Rsrc": ActivityType.RESOURCE_DEPENDENT,
    "TT_LOE": ActivityType.LEVEL_OF_EFFORT,
    "TT_Mile": ActivityType.START_MILESTONE,
    "TT_FinMile": ActivityType.FINISH_MILESTONE,
}  # TT_WBS (a "WBS summary" activity spanning its WBS element) is scheduled as a task


def max_upload_bytes() -> int:
    """The largest file accepted (``settings.MAX_UPLOAD_MB``, env ``PMO_MAX_UPLOAD_MB``)."""
    return int(getattr(settings, "MAX_UPLOAD_MB", 50)) * 1024 * 1024


def check_size(size: int, name: str) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise PayloadTooLarge(
            f"{name}: {size / 1024 / 1024:.1f} MB is more than the {limit // (1024 * 1024)} MB "
            "this server accepts (PMO_MAX_UPLOAD_MB)"
        )


@dataclass(frozen=True)
class ImportOptions:
    """``format``: force a reader (``mspdi``, ``xer``, ``mpp``, ``csv``, ``xlsx``; default:
    told by content). ``code``/``name``: of the project (of the program when the file holds
    several projects). ``mapping``, ``sheet``, ``date_format``, ``minutes_per_day``,
    ``start``: for CSV/XLSX task lists. ``resources``: ``create`` (match by code, create the
    others), ``match`` (assign matched resources only) or ``none``."""

    format: str | None = None
    code: str = ""
    name: str = ""
    mapping: Mapping[str, str] | None = None
    sheet: str | None = None
    date_format: str | None = None
    minutes_per_day: int = 480
    start: dt.date | None = None
    resources: str = "create"

    def read_options(self) -> ReadOptions:
        return ReadOptions(
            format=self.format or None,
            mapping=self.mapping,
            sheet=self.sheet,
            minutes_per_day=self.minutes_per_day,
            date_format=self.date_format,
            start=dt.datetime.combine(self.start, dt.time()) if self.start else None,
        )


def read_upload(
    data: bytes, name: str, options: ImportOptions | None = None
) -> tuple[str, list[ProjectDocument]]:
    """(format, documents) of an uploaded file, refusing files over the upload limit."""
    check_size(len(data), name)
    opts = options or ImportOptions()
    if opts.resources not in RESOURCE_MODES:
        raise ValidationFailed.field("resources", f"one of {', '.join(RESOURCE_MODES)}")
    return read_project_file(data, name, opts.read_options(), max_bytes=max_upload_bytes())


# ----------------------------------------------------------------------------------------------
# what the preview and the result say
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskLine:
    """A task as the preview lists it."""

    id: str
    name: str
    level: int
    summary: bool
    milestone: bool
    duration_days: float
    start: dt.datetime | None
    finish: dt.datetime | None


@dataclass(frozen=True)
class ProjectPreview:
    source_id: str
    code: str
    name: str
    planned_start: dt.date | None
    planned_finish: dt.date | None
    currency: str
    calendar: str
    counts: Mapping[str, int]
    first_tasks: tuple[TaskLine, ...]
    fidelity: FidelityReport | None
    fidelity_error: str = ""


@dataclass(frozen=True)
class ImportPreview:
    file_name: str
    format: str
    portfolio_id: int
    program: str  # name of the program created for several projects ("" for one project)
    projects: tuple[ProjectPreview, ...]
    counts: Mapping[str, int]
    calendars_new: tuple[str, ...]
    calendars_reused: tuple[str, ...]
    resources_new: tuple[str, ...]
    resources_matched: tuple[str, ...]
    warnings: tuple[str, ...]
    columns: tuple[str, ...] = ()  # a task list's header
    mapping: Mapping[str, str] = field(default_factory=dict)  # field -> column used

    @property
    def fidelity_compared(self) -> int:
        return sum(p.fidelity.compared for p in self.projects if p.fidelity)

    @property
    def fidelity_identical(self) -> int:
        return sum(p.fidelity.identical for p in self.projects if p.fidelity)

    @property
    def fidelity_equivalent(self) -> int:
        return sum(p.fidelity.equivalent for p in self.projects if p.fidelity)

    @property
    def percent_identical(self) -> float | None:
        n = self.fidelity_compared
        return round(100.0 * self.fidelity_identical / n, 2) if n else None


@dataclass(frozen=True)
class ImportResult:
    project_ids: tuple[int, ...]
    program_id: int | None
    counts: Mapping[str, int]
    warnings: tuple[str, ...]
    seconds: float
    # per project (code): pmo's schedule of the stored project against the file's dates,
    # compared as the preview's fidelity report compares the file's own schedule
    schedule: tuple[tuple[str, FidelityReport], ...] = ()

    @property
    def schedule_compared(self) -> int:
        return sum(r.compared for _, r in self.schedule)

    @property
    def schedule_identical(self) -> int:
        return sum(r.identical for _, r in self.schedule)

    @property
    def schedule_equivalent(self) -> int:
        return sum(r.equivalent for _, r in self.schedule)

    @property
    def percent_schedule_identical(self) -> float | None:
        n = self.schedule_compared
        return round(100.0 * self.schedule_identical / n, 2) if n else None


# ----------------------------------------------------------------------------------------------
# the mapping: documents -> rows (plain specs first, so the preview needs no writes)
# ----------------------------------------------------------------------------------------------


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A plan's wall-clock time, stored as the same reading in UTC (pmo's convention)."""
    return value.replace(tzinfo=UTC) if value is not None else None


def _floor(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(second=0, microsecond=0) if value is not None else None


def _clip(text: str, size: int) -> str:
    text = text.strip()
    return text if len(text) <= size else text[: size - 1] + "…"


def _code_from(text: str, size: int = 40) -> str:
    code = _CODE_CHARS.sub("-", text.strip()).strip("-.")
    return code[:size].strip("-.") or "IMPORT"


def _unique(base: str, taken: set[str], size: int) -> str:
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: size - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


MAX_INT = 2_147_483_647  # the largest integer column value (PostgreSQL integer)


def _int(value: float | None, low: int = 0, high: int = MAX_INT) -> int:
    """A whole number within a column's range (a P6 material quantity can exceed it)."""
    return int(min(max(round(value or 0), low), high))


def _decimal(value: Any, *, places: str = "0.01", low: float = 0, high: float = 1e12) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)
    if not number.is_finite():
        return Decimal(0)
    number = min(max(number, Decimal(str(low))), Decimal(str(high)))
    return number.quantize(Decimal(places))


def clean_tags(tags: Mapping[str, Any]) -> dict[str, str]:
    """Tags as pmo stores them: names and values as single-line text (names at most 100
    characters, values 250), no empty name."""
    out: dict[str, str] = {}
    for key, value in tags.items():
        name = _clip(" ".join(str(key).split()), TAG_NAME_SIZE)
        if name:
            text = " ".join(str(value if value is not None else "").split())
            out[name] = _clip(text, TAG_VALUE_SIZE)
    return out


def tag_definition_dict(td: TagDefinition) -> dict[str, Any]:
    """A file's custom-field definition as ``Project.tag_definitions`` keeps it."""
    return {
        "name": _clip(" ".join(td.name.split()), TAG_NAME_SIZE),
        "kind": td.kind,
        "data_type": td.data_type,
        "source_id": td.source_id,
        "values": {str(k): str(v) for k, v in td.values.items()},
    }


def _activity_type(t: DocTask, milestone: bool, summary: bool, assigned: bool) -> ActivityType:
    """How pmo schedules the task: P6's activity type, a milestone's kind, MS Project's
    "scheduled on its resources' calendars" (not IgnoreResourceCalendar) for a task with
    resources."""
    if t.wbs_node:
        return ActivityType.WBS_ELEMENT
    kind = ACTIVITY_TYPES.get(t.extra.get("p6.task_type", ""))
    if milestone:
        return kind if kind == ActivityType.START_MILESTONE else ActivityType.FINISH_MILESTONE
    if summary or kind in (ActivityType.START_MILESTONE, ActivityType.FINISH_MILESTONE):
        return ActivityType.TASK
    if kind is not None:
        return kind
    return (
        ActivityType.RESOURCE_DEPENDENT if t.resource_calendars and assigned else ActivityType.TASK
    )


def _expected_finish(t: DocTask) -> dt.datetime | None:
    """P6's expected finish (``expect_end_date``, kept by the XER reader in ``extra``)."""
    text = t.extra.get("p6.expect_end_date", "")
    try:
        return _floor(dt.datetime.fromisoformat(text)) if text else None
    except ValueError:
        return None


def split_tags(notes: str) -> tuple[str, dict[str, str]]:
    """(notes without the block, tags) of a task's notes: imports before pmo had task tags
    wrote custom fields at the end of the notes, as a line ``[custom fields]`` then one
    ``name: value`` line each; exports still read them as tags."""
    head, sep, block = notes.rpartition(TAGS_HEADER)
    if not sep or (head and not head.endswith("\n")):
        return notes, {}
    tags: dict[str, str] = {}
    for line in block.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip():
            tags[key.strip()] = value.strip()
    return head.rstrip("\n"), tags


@dataclass
class _CalSpec:
    key: str
    name: str
    week: list[list[list[int]]]
    minutes_per_day: int
    minutes_per_week: int
    exceptions: list[tuple[dt.date, dt.date, list[list[int]], str]]
    existing: Calendar | None = None
    obj: Calendar | None = None

    @property
    def definition(self) -> tuple[Any, ...]:
        return _definition(self.week, self.minutes_per_day, self.exceptions)


def _definition(
    week: Sequence[Sequence[Sequence[int]]],
    mpd: int,
    exceptions: Iterable[tuple[dt.date, dt.date, Sequence[Sequence[int]], str]],
) -> tuple[Any, ...]:
    days: dict[dt.date, tuple[tuple[int, int], ...]] = {}
    for start, end, times, _ in exceptions:
        d = start
        while d <= end and len(days) < 200_000:
            days[d] = tuple((int(a), int(b)) for a, b in times)
            d += dt.timedelta(days=1)
    plain_week = tuple(tuple((int(a), int(b)) for a, b in day) for day in week)
    # a day an exception sets to the week's own hours is no exception
    real = tuple(sorted((d, t) for d, t in days.items() if t != plain_week[d.weekday()]))
    return (plain_week, int(mpd), real)


def _calendar_spec(cal: DocCalendar, doc: ProjectDocument, key: str) -> _CalSpec:
    """The calendar's week and its exceptions flattened into runs of days (work weeks first,
    then exceptions: a later one wins a shared day), as pmo stores them."""
    mpd = cal.minutes_per_day or doc.project.minutes_per_day or 480
    mpd = min(max(int(mpd), 1), 1440)
    mpw = cal.minutes_per_week or doc.project.minutes_per_week or 5 * mpd
    mpw = min(max(int(mpw), 1), 10080)
    week = [[[int(a), int(b)] for a, b in day] for day in cal.week]
    per_day: dict[dt.date, tuple[tuple[tuple[int, int], ...], str]] = {}
    ordered: list[tuple[dt.date, dt.date, tuple[tuple[int, int], ...], str]] = []
    for ww in cal.work_weeks:
        d = ww.start
        while d <= ww.finish and len(per_day) < 200_000:
            times = ww.week[d.weekday()]
            if times is not None:
                per_day[d] = (tuple(times), ww.name or "Work week")
            d += dt.timedelta(days=1)
    for e in cal.exceptions:
        span = (e.finish - e.start).days + 1
        if len(per_day) + span > 200_000:  # too long to flatten: keep it as a range
            ordered.append((e.start, e.finish, tuple(e.working_times), e.name))
            continue
        d = e.start
        while d <= e.finish:
            per_day[d] = (tuple(e.working_times), e.name)
            d += dt.timedelta(days=1)
    runs: list[tuple[dt.date, dt.date, list[list[int]], str]] = []
    for d in sorted(per_day):
        times, name = per_day[d]
        label = _clip(name or ("Non-working" if not times else "Other working time"), 200)
        if runs:
            start, end, last_times, last_name = runs[-1]
            if (
                end + dt.timedelta(days=1) == d
                and last_name == label
                and last_times == [list(t) for t in times]
            ):
                runs[-1] = (start, d, last_times, last_name)
                continue
        runs.append((d, d, [list(t) for t in times], label))
    for start, end, times, name in ordered:
        runs.append((start, end, [list(t) for t in times], _clip(name or "Exception", 200)))
    return _CalSpec(
        key=key,
        name=_clip(cal.name or f"Calendar {cal.id}", 100),
        week=week,
        minutes_per_day=mpd,
        minutes_per_week=mpw,
        exceptions=runs,
    )


@dataclass
class _TaskSpec:
    key: tuple[int, str]
    project: int  # index in _Mapper.projects
    parent: tuple[int, str] | None
    depth: int
    position: int
    values: dict[str, Any]
    calendar: str | None
    summary: bool
    doc: DocTask
    row: dict[str, Any] = field(default_factory=dict)  # the inserted row (with its "id")


@dataclass
class _ProjectSpec:
    doc: ProjectDocument
    code: str
    name: str
    values: dict[str, Any]
    calendar: str | None
    tasks: list[_TaskSpec] = field(default_factory=list)
    obj: Project | None = None


@dataclass
class _ResourceSpec:
    key: str
    doc: DocResource
    existing: Resource | None
    values: dict[str, Any]
    calendar: str | None
    obj: Resource | None = None


class _Mapper:
    """Everything an import of ``docs`` into ``portfolio`` would create, as plain specs."""

    def __init__(
        self,
        docs: Sequence[ProjectDocument],
        fmt: str,
        file_name: str,
        portfolio: Portfolio,
        options: ImportOptions,
    ) -> None:
        if not docs:
            raise ValidationFailed.field("file", "the file holds no project")
        self.docs = list(docs)
        self.fmt = fmt
        self.file_name = file_name
        self.portfolio = portfolio
        self.org: Organisation = portfolio.organisation  # type: ignore[assignment]
        self.options = options
        self.warnings: list[str] = []
        self._warned: Counter[str] = Counter()
        self.stem = Path(file_name).stem or "import"
        self.calendars: dict[str, _CalSpec] = {}  # by spec key
        self.cal_of: dict[tuple[int, str], str] = {}  # (doc index, doc calendar id) -> key
        self.projects: list[_ProjectSpec] = []
        self.resources: dict[str, _ResourceSpec] = {}
        self.links: list[tuple[tuple[int, str], tuple[int, str], dict[str, Any]]] = []
        self.assignments: list[tuple[tuple[int, str], str, dict[str, Any]]] = []
        self.baselines: list[
            tuple[int, int, str, list[tuple[tuple[int, str], dict[str, Any]]]]
        ] = []
        self.program: dict[str, Any] | None = None
        self._existing_calendars = [
            (
                c,
                _definition(
                    c.working_week,
                    c.minutes_per_day,
                    [
                        (e.start_date, e.end_date, e.working_intervals, e.name)
                        for e in c.exceptions.all()
                    ],
                ),
            )
            for c in Calendar.objects.filter(organisation=self.org).prefetch_related("exceptions")
        ]
        self._calendar_names = {c.name for c, _ in self._existing_calendars}
        self._by_definition: dict[tuple[Any, ...], str] = {}
        self._resolving: set[tuple[int, str]] = set()
        self._map()

    # -- warnings ------------------------------------------------------------------------

    def warn(self, kind: str, message: str, limit: int = 5) -> None:
        """Record a warning; after ``limit`` of one kind they are only counted."""
        self._warned[kind] += 1
        if self._warned[kind] <= limit:
            self.warnings.append(message)

    def _finish_warnings(self) -> None:
        for kind, n in self._warned.items():
            if n > 5:
                self.warnings.append(f"… and {n - 5} more of the kind “{kind}”")

    # -- calendars -----------------------------------------------------------------------

    def calendar(self, d: int, cal_id: str | None) -> str | None:
        """The spec key of document ``d``'s calendar ``cal_id`` (created on first use)."""
        if cal_id is None:
            return None
        if (d, cal_id) in self.cal_of:
            return self.cal_of[(d, cal_id)]
        doc = self.docs[d]
        cal = next((c for c in doc.calendars if c.id == cal_id), None)
        if cal is None:
            self.cal_of[(d, cal_id)] = ""
            return None
        spec = _calendar_spec(cal, doc, key=f"{d}:{cal_id}")
        if cal.base and cal.base != cal_id and (d, cal.base) not in self._resolving:
            # a calendar that only inherits (MS Project's resource calendars) is its base
            self._resolving.add((d, cal.base))
            base_key = self.calendar(d, cal.base)
            self._resolving.discard((d, cal.base))
            if base_key and self.calendars[base_key].definition == spec.definition:
                self.cal_of[(d, cal_id)] = base_key
                return base_key
        key = self._by_definition.get(spec.definition)
        if key is None:
            existing = self._matching_calendar(spec)
            if existing is not None:
                spec.existing = existing
                spec.name = existing.name
            else:
                spec.name = self._calendar_name(spec.name)
                self._calendar_names.add(spec.name)
            self.calendars[spec.key] = spec
            self._by_definition[spec.definition] = spec.key
            key = spec.key
        self.cal_of[(d, cal_id)] = key
        return key

    def _matching_calendar(self, spec: _CalSpec) -> Calendar | None:
        definition = spec.definition
        same = [c for c, d in self._existing_calendars if d == definition]
        same.sort(key=lambda c: (c.name != spec.name, c.pk))
        return same[0] if same else None

    def _calendar_name(self, name: str) -> str:
        if name not in self._calendar_names:
            return name
        base = _clip(f"{name} ({self.stem})", 100)
        candidate, n = base, 2
        while candidate in self._calendar_names:
            candidate = _clip(f"{name} ({self.stem} {n})", 100)
            n += 1
        return candidate

    # -- the mapping ---------------------------------------------------------------------

    def _map(self) -> None:
        org = self.org
        taken_codes = set(Project.objects.filter(organisation=org).values_list("code", flat=True))
        several = len(self.docs) > 1
        if several:
            program_codes = set(
                Program.objects.filter(organisation=org).values_list("code", flat=True)
            )
            given = self.options.code.strip()
            if given and given in program_codes:
                raise Conflict(f"code: a program with code {given!r} already exists")
            code = given or _unique(_code_from(self.stem), program_codes, 40)
            self.program = {
                "code": code,
                "name": _clip(self.options.name or f"{self.stem} ({len(self.docs)} projects)", 200),
                "description": f"Imported from {self.file_name} ({self.fmt}).",
            }
        for d, doc in enumerate(self.docs):
            self._map_project(d, doc, taken_codes, several)
        all_tasks: dict[str, tuple[int, str]] = {}
        for spec in self.projects:
            for t in spec.tasks:
                all_tasks.setdefault(t.key[1], t.key)
        self._map_links(all_tasks)
        self._map_resources()
        self._map_baselines()
        self._finish_warnings()

    def _map_project(self, d: int, doc: ProjectDocument, taken: set[str], several: bool) -> None:
        p = doc.project
        given_code = "" if several else self.options.code.strip()
        if given_code:
            if given_code in taken:
                raise Conflict(f"code: a project with code {given_code!r} already exists")
            code = given_code[:40]
        else:
            base = p.code or (p.title if self.fmt == "mspdi" else "") or p.name or self.stem
            if base.lower().endswith(".xml"):
                base = base[:-4]
            code = _unique(_code_from(base), taken, 40)
        taken.add(code)
        title = p.title or p.name or p.code or self.stem
        if title.lower().endswith(".xml"):
            title = title[:-4] or self.stem
        name = _clip((self.options.name if not several else "") or title, 200)
        tasks = [t for t in doc.tasks if self._imported(t)]
        starts = [when for t in tasks if (when := t.start or t.early_start) is not None]
        start_dt = p.start or (min(starts) if starts else None)
        planned_start = start_dt.date() if start_dt else (self.options.start or dt.date.today())
        planned_finish = p.finish.date() if p.finish else None
        if planned_finish is not None and planned_finish < planned_start:
            planned_finish = None
        currency = (p.currency or "").strip().upper()
        if not _CURRENCY.match(currency):
            currency = self.portfolio.currency
        status_date = p.status_date.date() if p.status_date else None
        if (
            p.status_date is not None
            and p.schedule_from_status_date
            and p.status_date.time() != dt.time()
        ):
            self.warn(
                "status time",
                f"{code}: the status date is kept as a day: remaining work is held from "
                f"{status_date:%Y-%m-%d} 00:00, not {p.status_date:%H:%M}",
            )
        # the rules and settings of the tool that wrote the file, so that pmo reschedules it
        # as the file-level fidelity check does (``schedule_options``)
        options = schedule_options(doc)
        project_cal = doc.project_calendar
        cal_key = self.calendar(d, project_cal.id) if project_cal is not None else None
        spec = _ProjectSpec(
            doc=doc,
            code=code,
            name=name,
            calendar=cal_key,
            values={
                "code": code,
                "name": name,
                "description": f"Imported from {self.file_name} ({self.fmt}).",
                "planned_start": planned_start,
                "planned_finish": planned_finish,
                "status_date": status_date,
                "currency": currency,
                "phase": Phase.EXECUTION if any(t.actual_start for t in tasks) else Phase.PLANNING,
                "scheduling_convention": options.convention.value,
                "lag_calendar": options.lag_calendar.value,
                "progress_mode": options.progress_mode.value,
                "critical_float_minutes": _int(options.critical_threshold, -MAX_INT, MAX_INT),
                "honor_constraint_dates": options.honor_constraint_dates,
                "schedule_from_status_date": p.schedule_from_status_date,
                "start_lag_from_early_start": options.start_lag_from_early_start,
                "use_expected_finish": options.use_expected_finish,
                "must_finish_by": _aware(_floor(p.must_finish_by)),
                "tag_definitions": [
                    tag_definition_dict(td) for td in doc.tag_definitions if td.scope == "task"
                ],
            },
        )
        self.projects.append(spec)
        self._map_tasks(d, spec, tasks)

    def _imported(self, t: DocTask) -> bool:
        if t.outline_level == 0 and t.parent is None and not t.wbs_node:
            return False  # MS Project's project summary task (UID 0): the project itself
        if t.wbs_node and t.parent is None and t.extra.get("p6.proj_node_flag") == "Y":
            return False  # P6's project WBS node: the project itself
        if not t.active:
            self.warn("inactive", f"inactive task {t.id} “{t.name}” not imported")
            return False
        return True

    def _map_tasks(self, d: int, spec: _ProjectSpec, tasks: list[DocTask]) -> None:
        index = len(self.projects) - 1
        ids = {t.id for t in tasks}
        has_children = {t.parent for t in tasks if t.parent in ids}
        # tasks with resources (MS Project schedules them on their resources' calendars)
        resources = {r.id for r in spec.doc.resources if r.type != ResourceType.MATERIAL}
        assigned = {a.task for a in spec.doc.assignments if a.resource in resources}
        depth: dict[str, int] = {}
        p6 = self.fmt == "xer"
        for position, t in enumerate(tasks, start=1):
            parent = t.parent if t.parent in ids else None
            depth[t.id] = depth[parent] + 1 if parent is not None and parent in depth else 0
            summary = t.id in has_children
            values = self._task_values(t, summary, p6, assigned)
            cal_key = None
            if t.calendar is not None:
                cal_key = self.calendar(d, t.calendar)
                if cal_key == spec.calendar:
                    cal_key = None
            spec.tasks.append(
                _TaskSpec(
                    key=(d, t.id),
                    project=index,
                    parent=(d, parent) if parent is not None else None,
                    depth=depth[t.id],
                    position=position,
                    values={**values, "position": position},
                    calendar=cal_key,
                    summary=summary,
                    doc=t,
                )
            )

    def _task_values(
        self, t: DocTask, summary: bool, p6: bool, assigned: set[str]
    ) -> dict[str, Any]:
        name = t.name.strip()
        if not name:
            self.warn("no name", f"task {t.id} has no name: named “(no name)”")
            name = "(no name)"
        # a P6 activity is known by its Activity ID
        wbs = t.code if p6 and not t.wbs_node and t.code else t.wbs or t.outline_number or t.code
        if len(wbs) > 60:
            wbs = "…" + wbs[-59:]
        milestone = bool(t.milestone and not summary)
        duration = 0 if milestone else _int(t.duration)
        ctype, cdate = self._constraint(t.id, t.constraint_type, t.constraint_date)
        second_type, second_date = self._constraint(
            t.id, t.secondary_constraint_type, t.secondary_constraint_date
        )
        second = "" if second_type == ConstraintType.ASAP else second_type.value
        actual_start, actual_finish = t.actual_start, t.actual_finish
        if actual_finish is not None and actual_start is None:
            self.warn("actual finish", f"task {t.id}: actual finish without a start dropped")
            actual_finish = None
        if actual_start and actual_finish and actual_finish < actual_start:
            self.warn("actual finish", f"task {t.id}: actual finish before its start dropped")
            actual_finish = None
        remaining = None
        if actual_start is not None and actual_finish is None and t.remaining is not None:
            remaining = _int(t.remaining)
        return {
            "name": _clip(name, 250),
            "wbs": wbs,
            "is_milestone": milestone,
            "is_summary": summary,
            "activity_type": _activity_type(t, milestone, summary, t.id in assigned),
            "duration_minutes": duration,
            "elapsed_duration": bool(t.elapsed),
            "constraint_type": ctype,
            "constraint_date": _aware(cdate),
            "secondary_constraint_type": second,
            "secondary_constraint_date": _aware(second_date) if second else None,
            "deadline": _aware(t.deadline),
            "expected_finish": _aware(_expected_finish(t)),
            "percent_complete": round(min(100.0, max(0.0, t.percent_complete or 0.0))),
            "actual_start": _aware(actual_start),
            "actual_finish": _aware(actual_finish),
            "remaining_minutes": remaining,
            # MS Project's leveling delay, applied when the project is rescheduled
            "levelling_delay_minutes": _int(t.levelling_delay),
            "levelling_delay_format": t.levelling_delay_format[:4],
            "notes": t.notes.strip(),
            "tags": clean_tags(t.tags),
        }

    def _constraint(
        self, task_id: str, kind: Constraint | None, date: dt.datetime | None
    ) -> tuple[ConstraintType, dt.datetime | None]:
        if kind is None:
            return ConstraintType.ASAP, None
        ctype = _CONSTRAINTS[kind]
        if ctype in _DATED and date is None:
            self.warn("constraint date", f"task {task_id}: {ctype} without a date: ASAP")
            return ConstraintType.ASAP, None
        return ctype, date if ctype in _DATED else None

    def _map_links(self, all_tasks: Mapping[str, tuple[int, str]]) -> None:
        parent_of: dict[tuple[int, str], tuple[int, str] | None] = {}
        for spec in self.projects:
            for t in spec.tasks:
                parent_of[t.key] = t.parent

        def chain(key: tuple[int, str]) -> set[tuple[int, str]]:
            out: set[tuple[int, str]] = set()
            current: tuple[int, str] | None = key
            while current is not None and current not in out:
                out.add(current)
                current = parent_of.get(current)
            return out

        seen: set[tuple[tuple[int, str], tuple[int, str]]] = set()
        outside = 0
        for d, doc in enumerate(self.docs):
            for lk in doc.links:
                succ = (d, lk.successor) if (d, lk.successor) in parent_of else None
                pred = (d, lk.predecessor) if (d, lk.predecessor) in parent_of else None
                if pred is None and lk.predecessor in all_tasks:
                    pred = all_tasks[lk.predecessor]  # another project of the file
                if succ is None or pred is None:
                    outside += 1
                    continue
                if pred == succ:
                    self.warn("self link", f"link {lk.predecessor} → itself skipped")
                    continue
                if (pred, succ) in seen:
                    self.warn(
                        "duplicate link",
                        f"second link {lk.predecessor} → {lk.successor} ({lk.type.name}) "
                        "skipped: pmo keeps one link per pair of tasks",
                    )
                    continue
                if pred in chain(succ) or succ in chain(pred):
                    self.warn(
                        "summary link",
                        f"link {lk.predecessor} → {lk.successor} skipped: it joins a summary "
                        "task and its own sub-task",
                    )
                    continue
                seen.add((pred, succ))
                self.links.append((pred, succ, _link_values(lk)))
        if outside:
            self.warn(
                "outside link",
                f"{outside} link(s) to tasks not in the file (or not imported) skipped",
                limit=1,
            )

    def _map_resources(self) -> None:
        mode = self.options.resources
        used: dict[str, tuple[int, DocResource]] = {}
        for d, doc in enumerate(self.docs):
            by_id = {r.id: r for r in doc.resources}
            for a in doc.assignments:
                r = by_id.get(a.resource)
                if r is not None and (r.name.strip() or r.code.strip()):
                    used.setdefault(r.id, (d, r))
        if mode == "none" or not used:
            if used:
                self.warn(
                    "no resources", f"{len(used)} resource(s) and their assignments not imported"
                )
            return
        pool = list(Resource.objects.filter(organisation=self.org))
        by_code = {member.code: member for member in pool}
        by_name: dict[str, Resource] = {}
        for member in pool:
            by_name.setdefault(member.name.strip().lower(), member)
        taken = set(by_code)
        repeated = Counter(r.code.strip() for _, r in used.values() if r.code.strip())
        for rid, (d, r) in used.items():
            code = r.code.strip()
            if code and repeated[code] == 1:
                existing = by_code.get(code)
            else:  # no code, or several resources of the file share it: by name
                existing = by_name.get(r.name.strip().lower())
            if existing is None and mode == "match":
                self.warn(
                    "unmatched resource",
                    f"resource “{r.name or code}” is not in the pool: its assignments are skipped",
                )
                continue
            values: dict[str, Any] = {}
            cal_key = None
            if existing is None:
                new_code = _unique(_code_from(code or r.name)[:40], taken, 40)
                taken.add(new_code)
                kind = (
                    Resource.Kind.PERSON if r.type == ResourceType.WORK else Resource.Kind.EQUIPMENT
                )
                email = r.email.strip()
                try:
                    if email:
                        validate_email(email)
                except ValidationError:
                    email = ""
                values = {
                    "code": new_code,
                    "name": _clip(r.name or code, 200),
                    "kind": kind,
                    "email": email,
                    "max_units": _decimal(1.0 if r.max_units is None else r.max_units, high=1000),
                    "standard_rate": _decimal(r.standard_rate or 0, high=9_999_999_999),
                    "currency": self.projects[min(d, len(self.projects) - 1)].values["currency"],
                }
                cal_key = self.calendar(d, r.calendar)
            self.resources[rid] = _ResourceSpec(rid, r, existing, values, cal_key)
        tasks = {t.key for spec in self.projects for t in spec.tasks}
        merged: dict[tuple[tuple[int, str], str], dict[str, Any]] = {}
        for d, doc in enumerate(self.docs):
            for a in doc.assignments:
                key = (d, a.task)
                if key not in tasks or a.resource not in self.resources:
                    continue
                values = {
                    "units": _decimal(a.units, high=1000),
                    "work_minutes": _int(a.work),
                    "actual_work_minutes": _int(a.actual_work),
                }
                pair = (key, a.resource)
                if pair in merged:  # one row per task and resource: add them up
                    old = merged[pair]
                    old["units"] = min(old["units"] + values["units"], Decimal(1000))
                    old["work_minutes"] = _int(old["work_minutes"] + values["work_minutes"])
                    old["actual_work_minutes"] = _int(
                        old["actual_work_minutes"] + values["actual_work_minutes"]
                    )
                    continue
                merged[pair] = values
        self.assignments = [(k, r, v) for (k, r), v in merged.items()]

    def _map_baselines(self) -> None:
        for index, spec in enumerate(self.projects):
            numbers: dict[int, list[tuple[tuple[int, str], dict[str, Any]]]] = defaultdict(list)
            for t in spec.tasks:
                for b in t.doc.baselines:
                    if not 0 <= b.number <= 10:
                        continue
                    numbers[b.number].append(
                        (
                            t.key,
                            {
                                "start": _aware(b.start),
                                "finish": _aware(b.finish),
                                "duration_minutes": _int(b.duration),
                                "work_minutes": _int(b.work),
                                "cost": _decimal(b.cost or 0, low=-1e13, high=1e13),
                            },
                        )
                    )
            for number in sorted(numbers):
                name = "Baseline (imported)" if number == 0 else f"Baseline {number} (imported)"
                self.baselines.append((index, number, name, numbers[number]))
            if numbers or self.fmt != "xer":
                continue
            planned = [
                (
                    t.key,
                    {
                        "start": _aware(t.doc.planned_start),
                        "finish": _aware(t.doc.planned_finish),
                        "duration_minutes": _int(t.doc.planned_duration),
                        "work_minutes": 0,
                        "cost": Decimal(0),
                    },
                )
                for t in spec.tasks
                if t.doc.planned_start is not None or t.doc.planned_finish is not None
            ]
            if planned:
                self.baselines.append((index, 0, "P6 planned dates", planned))

    # -- what it adds up to ----------------------------------------------------------------

    def new_calendars(self) -> list[_CalSpec]:
        return [c for c in self.calendars.values() if c.existing is None]

    def counts(self) -> dict[str, int]:
        tasks = [t for p in self.projects for t in p.tasks]
        new_cals = self.new_calendars()
        return {
            "projects": len(self.projects),
            "programs": 1 if self.program else 0,
            "tasks": len(tasks),
            "summaries": sum(1 for t in tasks if t.summary),
            "milestones": sum(1 for t in tasks if t.values["is_milestone"]),
            "links": len(self.links),
            "calendars": len(new_cals),
            "calendars_reused": len(self.calendars) - len(new_cals),
            "calendar_exceptions": sum(len(c.exceptions) for c in new_cals),
            "resources": sum(1 for r in self.resources.values() if r.existing is None),
            "resources_matched": sum(1 for r in self.resources.values() if r.existing),
            "assignments": len(self.assignments),
            "baselines": len(self.baselines),
            "baseline_tasks": sum(len(rows) for *_, rows in self.baselines),
        }

    def check_roles(self, access: Access | None) -> None:
        """The importing user's role must allow every kind of row the import creates."""
        if access is None:  # the instance operator (CLI)
            return
        org_id = self.org.pk
        probe = Project(organisation_id=org_id, portfolio=self.portfolio)
        if not access.can_write(probe):
            raise PermissionDenied(
                f"you may not create projects in portfolio {self.portfolio.code} with your role"
            )
        if self.program and not access.can_write(
            Program(organisation_id=org_id, portfolio=self.portfolio)
        ):
            raise PermissionDenied(
                "the file holds several projects, imported as a program: you may not create "
                "programs with your role"
            )
        new_cals = self.new_calendars()
        if new_cals and not access.can_write(Calendar(organisation_id=org_id)):
            names = ", ".join(c.name for c in new_cals[:5])
            raise PermissionDenied(
                f"the file needs {len(new_cals)} calendar(s) this organisation does not have "
                f"({names}); only a PMO admin may create calendars"
            )
        if any(r.existing is None for r in self.resources.values()) and not access.can_write(
            Resource(organisation_id=org_id)
        ):
            raise PermissionDenied(
                "the file has resources that are not in the pool and you may not add resources "
                "with your role: import with resources=match (or none)"
            )


def _link_values(lk: DocLink) -> dict[str, Any]:
    unit = {"WORKING": LagUnit.WORKING, "ELAPSED": LagUnit.ELAPSED, "PERCENT": LagUnit.PERCENT}
    return {
        "type": LinkType(lk.type.name),
        "lag": _int(lk.lag, -MAX_INT, MAX_INT),
        "lag_unit": unit[lk.lag_unit.name],
    }


# ----------------------------------------------------------------------------------------------
# preview
# ----------------------------------------------------------------------------------------------


def _mapper(
    portfolio: Portfolio, data: bytes, name: str, options: ImportOptions | None
) -> tuple[_Mapper, tuple[str, ...], dict[str, str]]:
    opts = options or ImportOptions()
    fmt, docs = read_upload(data, name, opts)
    columns: tuple[str, ...] = ()
    mapping: dict[str, str] = {}
    if fmt in ("csv", "xlsx"):
        from pmo.interop.tabular import read_table, resolve_mapping

        table = read_table(data, name, sheet=opts.sheet, max_bytes=max_upload_bytes())
        columns = tuple(h for h in table.header if h)
        mapping = resolve_mapping(table.header, opts.mapping, name)
    return _Mapper(docs, fmt, name, portfolio, opts), columns, mapping


def _fidelity(doc: ProjectDocument) -> tuple[FidelityReport | None, str]:
    try:
        return check_fidelity(doc), ""
    except PmoError as exc:
        return None, exc.message


def preview_import_file(
    access: Access | None,
    portfolio: Portfolio,
    data: bytes,
    name: str,
    options: ImportOptions | None = None,
) -> ImportPreview:
    """What importing the file into ``portfolio`` would create, and the fidelity report;
    writes nothing. Raises what the import would raise (file errors, role, code clash)."""
    m, columns, mapping = _mapper(portfolio, data, name, options)
    m.check_roles(access)
    projects = []
    for spec in m.projects:
        report, error = _fidelity(spec.doc)
        mpd = spec.doc.project.minutes_per_day or 480
        counts = {
            "tasks": len(spec.tasks),
            "summaries": sum(1 for t in spec.tasks if t.summary),
            "milestones": sum(1 for t in spec.tasks if t.values["is_milestone"]),
        }
        first = tuple(
            TaskLine(
                id=t.doc.id,
                name=t.values["name"],
                level=t.depth,
                summary=t.summary,
                milestone=t.values["is_milestone"],
                duration_days=round(t.values["duration_minutes"] / mpd, 2),
                start=t.doc.start or t.doc.early_start,
                finish=t.doc.finish or t.doc.early_finish,
            )
            for t in spec.tasks[:FIRST_TASKS]
        )
        cal = m.calendars.get(spec.calendar or "")
        projects.append(
            ProjectPreview(
                source_id=spec.doc.project.id,
                code=spec.code,
                name=spec.name,
                planned_start=spec.values["planned_start"],
                planned_finish=spec.values["planned_finish"],
                currency=spec.values["currency"],
                calendar=cal.name if cal else "",
                counts=counts,
                first_tasks=first,
                fidelity=report,
                fidelity_error=error,
            )
        )
    return ImportPreview(
        file_name=name,
        format=m.fmt,
        portfolio_id=portfolio.pk,
        program=m.program["name"] if m.program else "",
        projects=tuple(projects),
        counts=m.counts(),
        calendars_new=tuple(c.name for c in m.new_calendars()),
        calendars_reused=tuple(c.name for c in m.calendars.values() if c.existing is not None),
        resources_new=tuple(
            f"{r.values['code']} {r.values['name']}"
            for r in m.resources.values()
            if r.existing is None
        ),
        resources_matched=tuple(
            f"{r.doc.name or r.doc.code} → {r.existing.code} {r.existing.name}"
            for r in m.resources.values()
            if r.existing is not None
        ),
        warnings=tuple(m.warnings),
        columns=columns,
        mapping=mapping,
    )


# ----------------------------------------------------------------------------------------------
# import
# ----------------------------------------------------------------------------------------------


def do_import_project_file(
    access: Access | None,
    portfolio: Portfolio,
    data: bytes,
    name: str,
    options: ImportOptions | None = None,
) -> ImportResult:
    """Import the file into ``portfolio`` in one transaction and reschedule what it created.

    ``access`` is the importing user, or ``None`` for the instance operator (the CLI). Any
    error (an unreadable file, a role that may not create what the file needs, a code
    clash, a circular dependency found when scheduling) raises and leaves nothing behind.
    """
    started = time.perf_counter()
    m, _, _ = _mapper(portfolio, data, name, options)
    m.check_roles(access)
    try:
        with transaction.atomic():
            _Writer(m, access).write()
            reports = _schedule(m, access)
    except IntegrityError as exc:
        raise Conflict(f"the file clashes with data stored meanwhile: {exc}") from None
    return ImportResult(
        project_ids=tuple(p.obj.pk for p in m.projects if p.obj is not None),
        program_id=m.program["obj"].pk if m.program else None,
        counts=m.counts(),
        warnings=tuple(m.warnings),
        seconds=round(time.perf_counter() - started, 3),
        schedule=tuple(reports),
    )


_UNAUDITED = {"version", "created_at", "updated_at"}


class _Rows:
    """New rows of one model as plain values (no model instances: building thousands of
    them, and ``bulk_create``'s statements, took most of an import's time), inserted at once
    (``pmo.projects.bulk``) and audited from the same values."""

    def __init__(self, model: type[Model], now: dt.datetime) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.defaults: dict[str, Any] = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            else:
                self.defaults[f.attname] = f.get_default() if f.has_default() else None
        self.rows: list[dict[str, Any]] = []

    def add(self, **values: Any) -> dict[str, Any]:
        row = {**self.defaults, **values}
        self.rows.append(row)
        return row

    def number(self) -> None:
        """Give the rows their primary keys (``row["id"]``) before they are inserted."""
        for row, pk in zip(self.rows, reserve_ids(self.model, len(self.rows)), strict=True):
            row["id"] = pk

    def insert(self) -> None:
        fields = list(self.fields)
        if self.rows and "id" in self.rows[0]:
            assert self.model._meta.pk is not None
            fields.insert(0, self.model._meta.pk)
        names = [f.attname for f in fields]
        pairs = list(zip(names, adapters(fields), strict=True))
        values = [[row[n] if a is None else a(row[n]) for n, a in pairs] for row in self.rows]
        insert_rows(self.model, fields, values)


class _Writer:
    def __init__(self, m: _Mapper, access: Access | None) -> None:
        self.m = m
        self.org = m.org
        self.user_id = access.user.pk if access is not None else None
        self.username = access.user.get_username() if access is not None else "import"
        self.now = timezone.now()
        self.events = _Rows(AuditEvent, self.now)

    def _event(self, label: str, pk: int, text: str, changes: dict[str, Any]) -> None:
        self.events.add(
            organisation_id=self.org.pk,
            user_id=self.user_id,
            username=self.username,
            at=self.now,
            action=AuditEvent.Action.CREATE,
            object_type=label,
            object_id=pk,
            object_repr=text[:200],
            changes=changes,
        )

    def audit(self, objs: Iterable[Model]) -> None:
        """One create event per object, with every audited field (as ``core.services``)."""
        for obj in objs:
            changes = {
                f.attname: [None, jsonable(getattr(obj, f.attname))]
                for f in obj._meta.concrete_fields
                if f.name not in _UNAUDITED and not f.primary_key
            }
            self._event(obj._meta.label_lower, obj.pk, str(obj), changes)

    def audit_rows(self, rows: _Rows, text: Callable[[dict[str, Any]], str]) -> None:
        """One create event per inserted row, from its values (dates and decimals as text,
        as ``core.services.snapshot`` writes them)."""
        plain = [
            f.attname
            for f in rows.fields
            if f.name not in _UNAUDITED and not isinstance(f, DateField | DecimalField)
        ]
        converted = [
            f.attname
            for f in rows.fields
            if f.name not in _UNAUDITED and isinstance(f, DateField | DecimalField)
        ]
        label = rows.model._meta.label_lower
        none = [None, None]  # shared by the empty fields: the pairs are only serialised
        for row in rows.rows:
            changes = {n: none if (v := row[n]) is None else [None, v] for n in plain}
            for n in converted:
                value = row[n]
                changes[n] = [None, None if value is None else jsonable(value)]
            self._event(label, row["id"], text(row), changes)

    def write(self) -> None:
        m, org = self.m, self.org
        # calendars and their exceptions
        new_cals = m.new_calendars()
        cal_objs = [
            Calendar(
                organisation=org,
                name=c.name,
                working_week=c.week,
                minutes_per_day=c.minutes_per_day,
                minutes_per_week=c.minutes_per_week,
            )
            for c in new_cals
        ]
        Calendar.objects.bulk_create(cal_objs, batch_size=500)
        for cal_spec, cal_obj in zip(new_cals, cal_objs, strict=True):
            cal_spec.obj = cal_obj
        for cal_spec in m.calendars.values():
            if cal_spec.existing is not None:
                cal_spec.obj = cal_spec.existing
        exceptions = _Rows(CalendarException, self.now)
        for cal_spec in new_cals:
            assert cal_spec.obj is not None
            for start, end, times, name in cal_spec.exceptions:
                exceptions.add(
                    organisation_id=org.pk,
                    calendar_id=cal_spec.obj.pk,
                    name=name,
                    start_date=start,
                    end_date=end,
                    working_intervals=times,
                )
        exceptions.number()
        exceptions.insert()
        self.audit(cal_objs)
        self.audit_rows(exceptions, lambda r: f"{r['name']} ({r['start_date']})")

        def cal(key: str | None) -> int | None:
            obj = m.calendars[key].obj if key else None
            return obj.pk if obj is not None else None

        # program and projects
        program = None
        if m.program is not None:
            program = Program(
                organisation=org,
                portfolio=m.portfolio,
                code=m.program["code"],
                name=m.program["name"],
                description=m.program["description"],
            )
            _validate(program, ("program",))
            program.save()
            m.program["obj"] = program
            self.audit([program])
        projects = []
        for spec in m.projects:
            project = Project(
                organisation=org,
                portfolio=m.portfolio,
                program=program,
                calendar_id=cal(spec.calendar),
                **spec.values,
            )
            _validate(project, ("projects", spec.code))
            project.save()
            spec.obj = project
            projects.append(project)
        self.audit(projects)

        # tasks, numbered first so that each row carries its parent's id
        specs = [t for p in m.projects for t in p.tasks]
        by_key = {t.key: t for t in specs}
        tasks = _Rows(Task, self.now)
        for t in specs:
            owner = m.projects[t.project].obj
            assert owner is not None
            t.row = tasks.add(
                organisation_id=org.pk,
                project_id=owner.pk,
                calendar_id=cal(t.calendar),
                **t.values,
            )
        tasks.number()
        for t in specs:
            if t.parent is not None:
                t.row["parent_id"] = by_key[t.parent].row["id"]
        tasks.insert()
        self.audit_rows(tasks, lambda r: str(r["name"]))

        # links
        links = _Rows(Dependency, self.now)
        for p, s, values in m.links:
            links.add(
                organisation_id=org.pk,
                predecessor_id=by_key[p].row["id"],
                successor_id=by_key[s].row["id"],
                **values,
            )
        links.number()
        links.insert()
        self.audit_rows(
            links,
            lambda r: f"{r['predecessor_id']}{r['type']}{r['lag']:+d} → {r['successor_id']}",
        )

        # resources and assignments
        new_resources = []
        for r in m.resources.values():
            if r.existing is not None:
                r.obj = r.existing
                continue
            r.obj = Resource(organisation=org, calendar_id=cal(r.calendar), **r.values)
            new_resources.append(r.obj)
        Resource.objects.bulk_create(new_resources, batch_size=500)
        self.audit(new_resources)
        assignments = _Rows(Assignment, self.now)
        for task_key, resource, values in m.assignments:
            r_obj = m.resources[resource].obj
            assert r_obj is not None
            assignments.add(
                organisation_id=org.pk,
                task_id=by_key[task_key].row["id"],
                resource_id=r_obj.pk,
                **values,
            )
        assignments.number()
        assignments.insert()
        self.audit_rows(
            assignments, lambda r: f"resource {r['resource_id']} on task {r['task_id']}"
        )

        # baselines
        baselines = []
        for index, number, name, _ in m.baselines:
            baseline = Baseline(
                organisation=org,
                project=m.projects[index].obj,
                number=number,
                name=name,
                saved_by_id=self.user_id,
            )
            baselines.append(baseline)
        Baseline.objects.bulk_create(baselines)
        rows = _Rows(BaselineTask, self.now)
        for baseline, (_, _, _, entries) in zip(baselines, m.baselines, strict=True):
            for key, v in entries:
                rows.add(baseline_id=baseline.pk, task_id=by_key[key].row["id"], **v)
        rows.number()
        rows.insert()
        self.audit(baselines)
        self.audit_rows(rows, lambda r: f"task {r['task_id']} in baseline {r['baseline_id']}")
        self.events.insert()


def _validate(obj: Model, where: tuple[str | int, ...]) -> None:
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        from pmo.errors import FieldError

        errors = [
            FieldError((*where, key), " ".join(msgs)) for key, msgs in exc.message_dict.items()
        ]
        raise ValidationFailed(errors) from None


def _schedule(m: _Mapper, access: Access | None) -> list[tuple[str, FidelityReport]]:
    """Reschedule the new projects (one run per network of linked projects) and compare each
    with its file: the plan the scheduling service built from the database rows, scheduled
    by the project's stored options, against the dates the file stores, field by field as
    the preview's fidelity check (``compare_schedule``). What the database does not hold of
    the file shows as the difference between the two reports."""
    from pmo.projects.scheduling import ScheduleRun, do_schedule_project_run

    runs: dict[int, ScheduleRun] = {}
    for spec in m.projects:
        project = spec.obj
        if project is None or project.pk in runs or not spec.tasks:
            continue
        run = do_schedule_project_run(access, project)
        for pk in run.summary.project_ids:
            runs[pk] = run
    reports: list[tuple[str, FidelityReport]] = []
    rows: dict[int, dict[int, int]] = {}
    for spec in m.projects:
        if spec.obj is None or spec.obj.pk not in runs:
            continue
        run = runs[spec.obj.pk]
        key = id(run)
        if key not in rows:
            rows[key] = {pk: i for i, pk in enumerate(run.loaded.task_pks)}
        row_of = rows[key]
        doc_rows = {t.doc.id: row_of[t.row["id"]] for t in spec.tasks if t.row["id"] in row_of}
        try:
            report = compare_schedule(
                spec.doc, run.loaded.plan, run.result, doc_rows, schedule_used=run.options
            )
        except PmoError:  # a file whose stored dates cannot be compared: no report
            continue
        reports.append((spec.code, report))
    return reports


# ----------------------------------------------------------------------------------------------
# as JSON (API, CLI)
# ----------------------------------------------------------------------------------------------


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def preview_dict(preview: ImportPreview, limit: int = 200) -> dict[str, Any]:
    return {
        "file_name": preview.file_name,
        "format": preview.format,
        "portfolio_id": preview.portfolio_id,
        "program": preview.program,
        "counts": dict(preview.counts),
        "calendars_new": list(preview.calendars_new),
        "calendars_reused": list(preview.calendars_reused),
        "resources_new": list(preview.resources_new),
        "resources_matched": list(preview.resources_matched),
        "warnings": list(preview.warnings),
        "columns": list(preview.columns),
        "mapping": dict(preview.mapping),
        "fidelity": {
            "compared": preview.fidelity_compared,
            "identical": preview.fidelity_identical,
            "equivalent": preview.fidelity_equivalent,
            "percent_identical": preview.percent_identical,
        },
        "projects": [
            {
                "source_id": p.source_id,
                "code": p.code,
                "name": p.name,
                "planned_start": _iso(p.planned_start),
                "planned_finish": _iso(p.planned_finish),
                "currency": p.currency,
                "calendar": p.calendar,
                "counts": dict(p.counts),
                "first_tasks": [
                    {
                        "id": t.id,
                        "name": t.name,
                        "level": t.level,
                        "summary": t.summary,
                        "milestone": t.milestone,
                        "duration_days": t.duration_days,
                        "start": _iso(t.start),
                        "finish": _iso(t.finish),
                    }
                    for t in p.first_tasks
                ],
                "fidelity": fidelity_dict(p.fidelity, limit) if p.fidelity else None,
                "fidelity_error": p.fidelity_error,
            }
            for p in preview.projects
        ],
    }


def result_dict(result: ImportResult, limit: int = 200) -> dict[str, Any]:
    return {
        "project_ids": list(result.project_ids),
        "program_id": result.program_id,
        "counts": dict(result.counts),
        "warnings": list(result.warnings),
        "seconds": result.seconds,
        "schedule": {
            "compared": result.schedule_compared,
            "identical": result.schedule_identical,
            "equivalent": result.schedule_equivalent,
            "percent_identical": result.percent_schedule_identical,
            "projects": [
                {"code": code, "fidelity": fidelity_dict(report, limit)}
                for code, report in result.schedule
            ],
        },
    }
