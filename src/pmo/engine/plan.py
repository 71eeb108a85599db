"""What the scheduler is given: tasks, links, calendars, dates and options.

A plan is columnar (:class:`TaskTable`, :class:`LinkTable`: one numpy array per field, one row
per task or link) so a million-task network costs a few arrays, not a million objects. Small
plans are easier to write as records, :class:`Task` and :class:`Link`, and turned into a plan by
:meth:`Plan.from_records`.

Units: durations, lags and remaining durations are integer **minutes** of working time on the
task's calendar (the caller converts days with the calendar's ``minutes_per_day``, as Microsoft
Project does with *Hours per day*); dates are naive ``datetime`` in records and
``datetime64[m]`` (NaT = none) in tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from enum import IntEnum, StrEnum

import numpy as np
import numpy.typing as npt

from pmo.engine.calendar import Calendar
from pmo.errors import FieldError, ValidationFailed

NAT = np.datetime64("NaT", "m")


class LinkType(IntEnum):
    """Dependency types of the precedence diagramming method (PDM)."""

    FS = 0  # finish-to-start: successor starts after the predecessor finishes
    SS = 1  # start-to-start
    FF = 2  # finish-to-finish
    SF = 3  # start-to-finish: successor finishes after the predecessor starts


class LagUnit(IntEnum):
    WORKING = 0  # minutes of working time on the lag calendar (ScheduleOptions.lag_calendar)
    ELAPSED = 1  # minutes of elapsed (24 h x 7 d) time: Microsoft Project's "ed", "eh"
    PERCENT = 2  # percent of the predecessor's duration: Microsoft Project's "FS-20%"


class ConstraintType(IntEnum):
    """Microsoft Project's constraint types (P6 has the same set under other names)."""

    ASAP = 0  # as soon as possible
    ALAP = 1  # as late as possible
    SNET = 2  # start no earlier than
    SNLT = 3  # start no later than
    FNET = 4  # finish no earlier than
    FNLT = 5  # finish no later than
    MSO = 6  # must start on
    MFO = 7  # must finish on


DATED_CONSTRAINTS = frozenset(
    {
        ConstraintType.SNET,
        ConstraintType.SNLT,
        ConstraintType.FNET,
        ConstraintType.FNLT,
        ConstraintType.MSO,
        ConstraintType.MFO,
    }
)


class ProgressMode(StrEnum):
    """How the remaining work of an in-progress task is scheduled (P6 *scheduling options*)."""

    RETAINED_LOGIC = "retained_logic"  # remaining work still waits for its predecessors
    PROGRESS_OVERRIDE = "progress_override"  # a started task ignores its predecessors


class LagCalendar(StrEnum):
    """Which calendar working-time lags are counted on."""

    SUCCESSOR = "successor"  # Microsoft Project
    PREDECESSOR = "predecessor"  # Primavera P6's default
    PROJECT = "project"
    CONTINUOUS = "continuous"  # 24 h x 7 d


@dataclass(frozen=True)
class Task:
    """One task as a record; ``duration`` and ``remaining`` in working minutes."""

    id: str
    name: str = ""
    duration: int = 0
    calendar: str | None = None  # None: the project calendar
    elapsed: bool = False  # duration in elapsed time (24 h x 7 d), e.g. "3ed"
    is_milestone: bool = False
    parent: str | None = None  # the summary task this one belongs to
    constraint_type: ConstraintType = ConstraintType.ASAP
    constraint_date: datetime | None = None
    deadline: datetime | None = None
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    percent_complete: float = 0.0
    remaining: int | None = None  # None: duration x (1 - percent_complete / 100)


@dataclass(frozen=True)
class Link:
    predecessor: str
    successor: str
    type: LinkType = LinkType.FS
    lag: float = 0  # minutes (WORKING, ELAPSED) or percent (PERCENT); negative = lead
    lag_unit: LagUnit = LagUnit.WORKING


I64 = npt.NDArray[np.int64]
DT = npt.NDArray[np.datetime64]


def _dates(values: Sequence[datetime | None]) -> DT:
    return np.array([NAT if v is None else np.datetime64(v, "m") for v in values], dtype="M8[m]")


@dataclass(frozen=True, eq=False)
class TaskTable:
    """Tasks as columns; row ``i`` of every array is task ``i``."""

    id: npt.NDArray[np.str_]
    duration: I64
    name: npt.NDArray[np.object_] | None = None
    calendar: npt.NDArray[np.int32] | None = None  # index into Plan.calendars; -1 = project's
    elapsed: npt.NDArray[np.bool_] | None = None
    is_milestone: npt.NDArray[np.bool_] | None = None
    parent: I64 | None = None  # row of the summary task; -1 = none
    constraint_type: npt.NDArray[np.int8] | None = None
    constraint_date: DT | None = None
    deadline: DT | None = None
    actual_start: DT | None = None
    actual_finish: DT | None = None
    percent_complete: npt.NDArray[np.float64] | None = None
    remaining: I64 | None = None  # -1 = derive from percent_complete

    def __len__(self) -> int:
        return int(self.duration.shape[0])

    def column(self, name: str) -> np.ndarray:
        """A column with its default filled in when it was not given."""
        value = getattr(self, name)
        if value is not None:
            return np.asarray(value)
        n = len(self)
        defaults: dict[str, np.ndarray] = {
            "name": np.full(n, "", dtype=object),
            "calendar": np.full(n, -1, dtype=np.int32),
            "elapsed": np.zeros(n, dtype=bool),
            "is_milestone": np.zeros(n, dtype=bool),
            "parent": np.full(n, -1, dtype=np.int64),
            "constraint_type": np.zeros(n, dtype=np.int8),
            "constraint_date": np.full(n, NAT),
            "deadline": np.full(n, NAT),
            "actual_start": np.full(n, NAT),
            "actual_finish": np.full(n, NAT),
            "percent_complete": np.zeros(n, dtype=np.float64),
            "remaining": np.full(n, -1, dtype=np.int64),
        }
        return defaults[name]


@dataclass(frozen=True, eq=False)
class LinkTable:
    """Links as columns; tasks are named by their row in the TaskTable."""

    predecessor: I64
    successor: I64
    type: npt.NDArray[np.int8]
    lag: npt.NDArray[np.float64]
    lag_unit: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.predecessor.shape[0])

    @classmethod
    def empty(cls) -> LinkTable:
        return cls(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int8),
            np.zeros(0, np.float64),
            np.zeros(0, np.int8),
        )


@dataclass(frozen=True, eq=False)
class Plan:
    """A network to schedule: tasks of possibly several projects, their links and calendars."""

    tasks: TaskTable
    links: LinkTable
    calendars: tuple[Calendar, ...]
    project_start: datetime
    calendar: str = ""  # id of the project calendar; "" = the first calendar
    status_date: datetime | None = None  # P6 "data date"; MS Project "status date"
    must_finish_by: datetime | None = None  # P6 "must finish by": the backward pass's end

    def __post_init__(self) -> None:
        if not self.calendars:
            raise ValidationFailed.field("calendars", "a plan needs at least one calendar")
        ids = [c.id for c in self.calendars]
        if len(set(ids)) != len(ids):
            raise ValidationFailed.field("calendars", "calendar ids must be unique")
        if self.calendar and self.calendar not in ids:
            raise ValidationFailed.field("calendar", f"unknown calendar {self.calendar!r}")

    @property
    def project_calendar(self) -> int:
        return [c.id for c in self.calendars].index(self.calendar) if self.calendar else 0

    def calendar_of(self, row: int) -> Calendar:
        c = int(self.tasks.column("calendar")[row])
        return self.calendars[c if c >= 0 else self.project_calendar]

    @classmethod
    def from_records(
        cls,
        tasks: Sequence[Task],
        links: Sequence[Link],
        calendars: Sequence[Calendar] | Mapping[str, Calendar],
        project_start: datetime,
        *,
        calendar: str = "",
        status_date: datetime | None = None,
        must_finish_by: datetime | None = None,
    ) -> Plan:
        """Build a plan from records, checking ids; every bad field is reported at once."""
        cals = tuple(calendars.values()) if isinstance(calendars, Mapping) else tuple(calendars)
        cal_pos = {c.id: i for i, c in enumerate(cals)}
        errors: list[FieldError] = []
        row: dict[str, int] = {}
        for i, t in enumerate(tasks):
            if t.id in row:
                errors.append(FieldError(("tasks", i, "id"), f"duplicate task id {t.id!r}"))
            row.setdefault(t.id, i)
        for i, t in enumerate(tasks):
            if t.calendar is not None and t.calendar not in cal_pos:
                errors.append(
                    FieldError(("tasks", i, "calendar"), f"unknown calendar {t.calendar!r}")
                )
            if t.parent is not None and t.parent not in row:
                errors.append(FieldError(("tasks", i, "parent"), f"unknown task {t.parent!r}"))
        for i, lk in enumerate(links):
            for end in ("predecessor", "successor"):
                if getattr(lk, end) not in row:
                    errors.append(
                        FieldError(("links", i, end), f"unknown task {getattr(lk, end)!r}")
                    )
        if errors:
            raise ValidationFailed(errors)
        table = TaskTable(
            id=np.array([t.id for t in tasks], dtype=np.str_),
            duration=np.array([t.duration for t in tasks], dtype=np.int64),
            name=np.array([t.name for t in tasks], dtype=object),
            calendar=np.array(
                [-1 if t.calendar is None else cal_pos[t.calendar] for t in tasks], dtype=np.int32
            ),
            elapsed=np.array([t.elapsed for t in tasks], dtype=bool),
            is_milestone=np.array([t.is_milestone for t in tasks], dtype=bool),
            parent=np.array([-1 if t.parent is None else row[t.parent] for t in tasks], np.int64),
            constraint_type=np.array([int(t.constraint_type) for t in tasks], dtype=np.int8),
            constraint_date=_dates([t.constraint_date for t in tasks]),
            deadline=_dates([t.deadline for t in tasks]),
            actual_start=_dates([t.actual_start for t in tasks]),
            actual_finish=_dates([t.actual_finish for t in tasks]),
            percent_complete=np.array([t.percent_complete for t in tasks], dtype=np.float64),
            remaining=np.array(
                [-1 if t.remaining is None else t.remaining for t in tasks], np.int64
            ),
        )
        link_table = LinkTable(
            predecessor=np.array([row[lk.predecessor] for lk in links], dtype=np.int64),
            successor=np.array([row[lk.successor] for lk in links], dtype=np.int64),
            type=np.array([int(lk.type) for lk in links], dtype=np.int8),
            lag=np.array([lk.lag for lk in links], dtype=np.float64),
            lag_unit=np.array([int(lk.lag_unit) for lk in links], dtype=np.int8),
        )
        return cls(
            tasks=table,
            links=link_table,
            calendars=cals,
            project_start=project_start,
            calendar=calendar,
            status_date=status_date,
            must_finish_by=must_finish_by,
        )


@dataclass(frozen=True)
class ScheduleOptions:
    critical_threshold: int = 0  # minutes: a task is critical when total float <= this
    progress_mode: ProgressMode = ProgressMode.RETAINED_LOGIC
    lag_calendar: LagCalendar = LagCalendar.SUCCESSOR
    # Microsoft Project's "Tasks will always honor their constraint dates" (on by default):
    # a SNLT/FNLT date beats the links in the forward pass and the clash shows as negative
    # float. Off, as in P6, late constraints only bound the backward pass.
    honor_constraint_dates: bool = True
    longest_path: bool = True


TASK_FIELDS = tuple(f.name for f in fields(TaskTable))
