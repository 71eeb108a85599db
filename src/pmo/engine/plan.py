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
from dataclasses import dataclass, fields, replace
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
    # zero duration makes a milestone; the flag matters under P6's rules only: a flagged one is
    # a finish milestone (at the end of the period that drives it), an unflagged one sits at
    # the start of the next period (P6 start milestone)
    is_milestone: bool = False
    parent: str | None = None  # the summary task this one belongs to
    constraint_type: ConstraintType = ConstraintType.ASAP
    constraint_date: datetime | None = None
    deadline: datetime | None = None
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    percent_complete: float = 0.0
    remaining: int | None = None  # None: duration x (1 - percent_complete / 100)
    # P6 *expected finish*: with ScheduleOptions.use_expected_finish the remaining work
    # stretches or shrinks to end there
    expected_finish: datetime | None = None
    # P6 *level of effort*: the dates come from the neighbours, ``duration`` is ignored. The
    # start is the earliest its start-side links give (a predecessor's finish or start through
    # FS/SS, a successor's start or finish through SS/SF), the finish the latest its
    # finish-side links give (FF/SF predecessors, FS/FF successors), on its own calendar and
    # never before the data date; its links bound nothing else (not a successor's early dates,
    # not a predecessor's late dates, not the project finish). Constraints are ignored (P6
    # refuses them on such an activity). A link between two of them is followed from the
    # predecessor only.
    level_of_effort: bool = False
    # Microsoft Project's *leveling delay*: the task starts this long after the early start
    # its links, constraints and the project start give (working minutes of its calendar, or
    # elapsed minutes with ``levelling_delay_elapsed``); its predecessors' late dates leave
    # room for it. Ignored on summary, started and finished tasks.
    levelling_delay: int = 0
    levelling_delay_elapsed: bool = False


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
    expected_finish: DT | None = None
    level_of_effort: npt.NDArray[np.bool_] | None = None
    levelling_delay: I64 | None = None  # minutes (see Task.levelling_delay)
    levelling_delay_elapsed: npt.NDArray[np.bool_] | None = None

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
            "expected_finish": np.full(n, NAT),
            "level_of_effort": np.zeros(n, dtype=bool),
            "levelling_delay": np.zeros(n, dtype=np.int64),
            "levelling_delay_elapsed": np.zeros(n, dtype=bool),
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
            expected_finish=(
                _dates([t.expected_finish for t in tasks])
                if any(t.expected_finish is not None for t in tasks)
                else None
            ),
            level_of_effort=(
                np.array([t.level_of_effort for t in tasks], dtype=bool)
                if any(t.level_of_effort for t in tasks)
                else None
            ),
            levelling_delay=(
                np.array([t.levelling_delay for t in tasks], dtype=np.int64)
                if any(t.levelling_delay for t in tasks)
                else None
            ),
            levelling_delay_elapsed=(
                np.array([t.levelling_delay_elapsed for t in tasks], dtype=bool)
                if any(t.levelling_delay and t.levelling_delay_elapsed for t in tasks)
                else None
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


class Convention(StrEnum):
    """Whose scheduling rules settle what the CPM itself leaves open (see ``ScheduleOptions``)."""

    MSPROJECT = "msproject"  # Microsoft Project (pmo's default)
    P6 = "p6"  # Oracle Primavera P6


@dataclass(frozen=True)
class Rules:
    """The tool-specific rules a schedule follows, resolved from ``ScheduleOptions``.

    * ``moments``: which moment of a non-working gap a date is (Friday 17:00 and Monday 08:00
      are one instant of working time) and so where it lands on another calendar.
      ``MSPROJECT``: a milestone's early dates are the moment of what drives it (the end of
      the working period its predecessor finishes in, the start of the period at the project
      start), its late dates the moment of what bounds them (its successor's late start, at
      the start of a period); a finish a start-to-finish link sets is the predecessor's start
      moment; a summary's dates are its children's moments; the backward pass converts at the
      start of the next working period. ``P6``: a *finish milestone* (``is_milestone``) sits
      at the moment of what drives it (a predecessor's finish, its constraint date; the data
      date at the start of the next working period) and its late dates at the end of the
      previous one; a zero-duration task not flagged ``is_milestone`` (P6 *start milestone*,
      or work in progress with none left) sits at the start of the next working period; a late
      start that a start link sets is that link's moment (inside a gap: the end of the
      previous period); every date crosses to another calendar at the moment it is shown, in
      the backward pass too (a late start shown at 16:00 on an 08:00-16:00 calendar is a late
      finish of 16:00, not 17:00, for an 08:00-17:00 predecessor).
    * ``summary_float_own``: a summary's total float is its own late finish less its early
      finish (rolled-up dates; MS Project); off, the least of its children's.
    * ``free_float_capped``: free float never above total float nor below zero (MS Project);
      off (P6), it is the room to the successors (or the project finish) whatever the total
      float, none on a mandatory-dated task or on the start link of a started one.
    * ``alap_free_float``: an ALAP task is delayed by its whole free float even when its total
      float is negative, and its predecessors' free float is measured to its delayed dates
      (P6, which stores the delayed dates as early dates); off, delayed by its free float capped
      at total float, predecessors measured to its early dates.
    * ``alap_float_project_calendar``: an ALAP task its successors leave no room to delay
      measures its total float from the start one gets by backing its duration off its
      successors' (delayed) dates **on the project calendar**, when that start is earlier than
      its early start (and not before the data date): total float = late finish - (that start
      + the duration on its own calendar). This is what P6 stores for such activities (the
      sample ``SP10_cost_loaded``: 21 of them, docs/interop.md "Remaining differences"); off,
      late finish less early finish like any task.
    * ``progress``: how recorded progress takes part in the passes. ``MSPROJECT``: a task is
      complete with an actual finish, 100 % or no remaining work; completed tasks keep their
      actual dates and their links no longer constrain anything; only the finish of an
      in-progress task can be late (its start is history). ``P6``: an activity is complete
      only with an actual finish (one with no remaining work and no actual finish sits at the
      data date); a completed activity stays in the network as work of no duration at or
      after the data date, so its links still carry dates both ways (out-of-sequence
      progress); the remaining work of an in-progress activity has a late start that its
      start-to-start / start-to-finish successors bound.
    """

    moments: Convention
    summary_float_own: bool
    free_float_capped: bool
    alap_free_float: bool
    progress: Convention
    alap_float_project_calendar: bool


CONVENTION_RULES: Mapping[Convention, Rules] = {
    Convention.MSPROJECT: Rules(
        moments=Convention.MSPROJECT,
        summary_float_own=True,
        free_float_capped=True,
        alap_free_float=False,
        progress=Convention.MSPROJECT,
        alap_float_project_calendar=False,
    ),
    Convention.P6: Rules(
        moments=Convention.P6,
        summary_float_own=False,
        free_float_capped=False,
        alap_free_float=True,
        progress=Convention.P6,
        alap_float_project_calendar=True,
    ),
}


@dataclass(frozen=True)
class ScheduleOptions:
    """How to schedule.

    ``convention`` picks the tool whose rules settle what the critical path method leaves open
    (where a milestone sits in a non-working gap, floats of summaries, free float, ALAP,
    in-progress late dates: :class:`Rules`); each rule can be overridden on its own (``None``
    = the convention's). The other fields are settings both tools have.
    """

    critical_threshold: int = 0  # minutes: a task is critical when total float <= this
    progress_mode: ProgressMode = ProgressMode.RETAINED_LOGIC
    lag_calendar: LagCalendar = LagCalendar.SUCCESSOR
    # Microsoft Project's "Tasks will always honor their constraint dates" (on by default):
    # a SNLT/FNLT date beats the links in the forward pass and the clash shows as negative
    # float. Off, as in P6, late constraints only bound the backward pass.
    honor_constraint_dates: bool = True
    longest_path: bool = True
    convention: Convention = Convention.MSPROJECT
    # P6 "Calculate start-to-start lag from: Early start": a start-to-start (start-to-finish)
    # link from a task in progress counts from where its remaining work resumes, less the
    # work already done; off (MS Project), from its actual start.
    start_lag_from_early_start: bool = False
    # P6 "Use expected end dates": a task's remaining work ends on its expected finish
    # (Task.expected_finish), and it has no free float
    use_expected_finish: bool = False
    # per-rule overrides of the convention (None: the convention's, see Rules)
    moments: Convention | None = None
    summary_float_own: bool | None = None
    free_float_capped: bool | None = None
    alap_free_float: bool | None = None
    progress: Convention | None = None
    alap_float_project_calendar: bool | None = None

    @property
    def rules(self) -> Rules:
        base = CONVENTION_RULES[Convention(self.convention)]
        given = {f.name: getattr(self, f.name) for f in fields(Rules)}
        rules = replace(base, **{k: v for k, v in given.items() if v is not None})
        return replace(
            rules, moments=Convention(rules.moments), progress=Convention(rules.progress)
        )


TASK_FIELDS = tuple(f.name for f in fields(TaskTable))
