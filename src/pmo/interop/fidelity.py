"""Fidelity check: does pmo's scheduler give the dates MS Project or P6 stored in the file?

:func:`check_fidelity` reschedules a :class:`~pmo.interop.document.ProjectDocument` with the
engine (:func:`pmo.engine.cpm.schedule`, options from
:func:`~pmo.interop.document.schedule_options`) and compares, task by task and to the minute,
the early and late start and finish and the total and free float with the values the file
stores (the schedule its tool computed when it saved the file). A task is *identical* when
every field the file stores for it matches; *equivalent* when the only differences are dates
with no working time between them on the task's calendar (Friday 17:00 and Monday 08:00 are
the same moment of working time, shown at either end of the weekend).

What is compared, per format:

* MSPDI: ``EarlyStart``, ``EarlyFinish``, ``LateStart``, ``LateFinish`` and, when stored,
  ``TotalSlack``/``FreeSlack`` (tenths of minutes in the file, minutes here).
* XER: ``early_start_date``, ``early_end_date``, ``late_start_date``, ``late_end_date``,
  ``total_float_hr_cnt``, ``free_float_hr_cnt``. P6 stores the *remaining* early/late start
  of an activity in progress (its actual start is history): pmo's value is its early/late
  finish less the remaining duration on the activity's calendar (with no work left, the finish
  itself). P6 stores the delayed dates of an ALAP activity as its early dates: pmo's scheduled
  (ALAP) dates are compared, and its floats less the delay. Completed activities are not
  rescheduled by P6 (it stores the data date as their early dates) and WBS elements store no
  dates: they are counted as skipped.

Seconds in stored dates are dropped (MS Project stores some) before comparing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from pmo.engine.calendar import Calendar, build_index, from_minutes, to_minutes
from pmo.engine.cpm import ScheduleResult, schedule
from pmo.engine.plan import Plan, ScheduleOptions
from pmo.interop.document import (
    Constraint,
    DocTask,
    ProjectDocument,
    schedule_options,
    to_plan,
)

__all__ = [
    "DATE_FIELDS",
    "FLOAT_FIELDS",
    "FidelityOptions",
    "FidelityReport",
    "FieldDifference",
    "TaskDifference",
    "check_fidelity",
    "compare_schedule",
]

DATE_FIELDS = ("early_start", "early_finish", "late_start", "late_finish")
FLOAT_FIELDS = ("total_slack", "free_slack")


@dataclass(frozen=True)
class FidelityOptions:
    """``schedule``: engine options (default: the document's own, see
    :func:`~pmo.interop.document.schedule_options`); ``fields``: what to compare;
    ``include_summaries``: compare summary tasks / WBS elements too; ``tolerance``: minutes
    of difference still counted as identical (0 = to the minute)."""

    schedule: ScheduleOptions | None = None
    fields: tuple[str, ...] = DATE_FIELDS + FLOAT_FIELDS
    include_summaries: bool = True
    tolerance: int = 0


@dataclass(frozen=True)
class FieldDifference:
    """One field that differs. ``delta``: got - expected in minutes (elapsed minutes for
    dates); ``working_delta``: for dates, the working minutes between them on the task's
    calendar (0 = the same moment of working time shown differently, e.g. Friday 17:00 and
    Monday 08:00)."""

    field: str
    expected: datetime | int
    got: datetime | int
    delta: int
    working_delta: int | None = None


@dataclass(frozen=True)
class TaskDifference:
    task_id: str
    name: str
    differences: tuple[FieldDifference, ...]

    @property
    def equivalent(self) -> bool:
        """Every difference is a date shown at the other end of a non-working gap."""
        return all(d.working_delta == 0 for d in self.differences)


@dataclass(frozen=True)
class FidelityReport:
    """``compared``: tasks with at least one stored value compared; ``identical``: those
    matching on every compared field to the minute; ``equivalent``: those whose only
    differences are dates on either side of a non-working gap (no working time between);
    ``skipped``: reason -> count of tasks not compared."""

    compared: int
    identical: int
    tasks: tuple[TaskDifference, ...]  # the tasks that differ, in document order
    field_mismatches: Mapping[str, int]
    field_compared: Mapping[str, int]
    skipped: Mapping[str, int] = field(default_factory=dict)
    options: ScheduleOptions = field(default_factory=ScheduleOptions)

    @property
    def equivalent(self) -> int:
        return self.identical + sum(1 for t in self.tasks if t.equivalent)

    @property
    def percent_identical(self) -> float:
        return 100.0 * self.identical / self.compared if self.compared else 100.0

    @property
    def percent_equivalent(self) -> float:
        return 100.0 * self.equivalent / self.compared if self.compared else 100.0

    def summary(self) -> str:
        lines = [
            f"{self.identical}/{self.compared} tasks identical to the minute "
            f"({self.percent_identical:.2f} %), {self.equivalent} equivalent in working time "
            f"({self.percent_equivalent:.2f} %)"
        ]
        for f, n in self.field_compared.items():
            lines.append(f"  {f}: {n - self.field_mismatches.get(f, 0)}/{n} identical")
        for reason, n in self.skipped.items():
            lines.append(f"  skipped {n}: {reason}")
        return "\n".join(lines)


def _floor(d: datetime | None) -> datetime | None:
    return None if d is None else d.replace(second=0, microsecond=0)


def check_fidelity(
    doc: ProjectDocument, options: FidelityOptions | ScheduleOptions | None = None
) -> FidelityReport:
    """Reschedule ``doc`` and compare with the dates and floats it stores (see module doc)."""
    if isinstance(options, ScheduleOptions):
        options = FidelityOptions(schedule=options)
    options = options or FidelityOptions()
    sched_opts = options.schedule or schedule_options(doc)
    plan = to_plan(doc)
    result = schedule(plan, sched_opts)
    row = {str(tid): i for i, tid in enumerate(result.task_id)}
    return compare_schedule(doc, plan, result, row, options, sched_opts)


def compare_schedule(
    doc: ProjectDocument,
    plan: Plan,
    result: ScheduleResult,
    row: Mapping[str, int],
    options: FidelityOptions | None = None,
    schedule_used: ScheduleOptions | None = None,
) -> FidelityReport:
    """Compare a schedule of ``plan`` with the values ``doc`` stores (see module doc).

    ``row``: the document's task id -> the row of that task in ``plan`` and ``result``.
    :func:`check_fidelity` schedules the document itself; a service can schedule the plan
    it built from what it stored (e.g. the database rows an import created) and compare it
    with the file the same way. ``schedule_used``: the engine options of ``result`` (kept in
    the report).
    """
    options = options or FidelityOptions()
    sched_opts = schedule_used or options.schedule or schedule_options(doc)
    p6 = doc.source_format == "xer"
    parents = {t.parent for t in doc.tasks if t.parent is not None}
    es, ef = result.early_start.astype(np.int64), result.early_finish.astype(np.int64)
    ls, lf = result.late_start.astype(np.int64), result.late_finish.astype(np.int64)
    st, fi = result.start.astype(np.int64), result.finish.astype(np.int64)
    clock = _Clock(plan, doc, result, row)

    compared = identical = 0
    diffs: list[TaskDifference] = []
    mism: Counter[str] = Counter()
    comp: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for t in doc.tasks:
        if not t.active:
            skipped["inactive task (not scheduled)"] += 1
            continue
        if t.wbs_node:
            skipped["P6 WBS element (no dates stored, not scheduled)"] += 1
            continue
        i = row.get(t.id)
        if i is None:
            skipped["not in the plan"] += 1
            continue
        is_summary = t.id in parents
        if is_summary and not options.include_summaries:
            skipped["summary (excluded by the options)"] += 1
            continue
        if p6 and t.actual_finish is not None and not is_summary:
            skipped["completed activity (P6 does not reschedule it)"] += 1
            continue
        stored = _stored(t, options.fields)
        if not stored:
            skipped["no stored schedule values"] += 1
            continue
        got: dict[str, int] = {
            "early_start": int(es[i]),
            "early_finish": int(ef[i]),
            "late_start": int(ls[i]),
            "late_finish": int(lf[i]),
            "total_slack": int(result.total_float[i]),
            "free_slack": int(result.free_float[i]),
        }
        if p6 and t.actual_start is not None and t.actual_finish is None:
            # P6 stores the remaining early/late start of work in progress
            got["early_start"] = clock.back(i, got["early_finish"], t)
            got["late_start"] = clock.back(i, got["late_finish"], t)
        elif p6 and t.constraint_type == Constraint.ALAP and t.actual_start is None:
            # P6 stores an ALAP activity's delayed (zero free float) dates as early dates
            shift = clock.working(i, got["early_start"], int(st[i])) or 0
            got["early_start"], got["early_finish"] = int(st[i]), int(fi[i])
            got["total_slack"] -= shift
            got["free_slack"] = max(0, got["free_slack"] - shift)
        found: list[FieldDifference] = []
        for name, expected in stored.items():
            comp[name] += 1
            value = got[name]
            if isinstance(expected, datetime):
                exp_m = to_minutes(expected)
                delta = value - exp_m
                if abs(delta) > options.tolerance:
                    found.append(
                        FieldDifference(
                            name, expected, from_minutes(value), delta,
                            clock.working(i, exp_m, value),
                        )
                    )  # fmt: skip
            else:
                delta = value - expected
                if abs(delta) > options.tolerance:
                    found.append(FieldDifference(name, expected, value, delta))
            if found and found[-1].field == name:
                mism[name] += 1
        compared += 1
        if found:
            diffs.append(TaskDifference(t.id, t.name, tuple(found)))
        else:
            identical += 1
    return FidelityReport(
        compared=compared,
        identical=identical,
        tasks=tuple(diffs),
        field_mismatches=dict(mism),
        field_compared=dict(comp),
        skipped=dict(skipped),
        options=sched_opts,
    )


class _Clock:
    """Working-time arithmetic on the plan's calendars over the horizon of the result."""

    def __init__(
        self, plan: Plan, doc: ProjectDocument, result: ScheduleResult, row: Mapping[str, int]
    ) -> None:
        self.cal = plan.tasks.column("calendar")
        self.elapsed = plan.tasks.column("elapsed")
        self.pc = plan.project_calendar
        pts = [
            a.astype(np.int64)
            for a in (result.early_start, result.late_finish, result.late_start, result.start)
        ]
        lo = min(int(p.min()) for p in pts) if len(result) else 0
        hi = max(int(p.max()) for p in pts) if len(result) else 0
        for t in doc.tasks:
            for d in (t.early_start, t.late_finish, t.actual_start):
                if d is not None and 1900 < d.year < 2200:
                    m = to_minutes(d)
                    lo, hi = min(lo, m), max(hi, m)
        self.plan = plan
        self.lo, self.hi = lo // 1440 - 60, hi // 1440 + 60
        self.idx = build_index((*plan.calendars, Calendar.continuous("__24h__")), self.lo, self.hi)

    def _c(self, i: int) -> int:
        if self.elapsed[i]:
            return len(self.plan.calendars)
        c = int(self.cal[i])
        return c if c >= 0 else self.pc

    def _ord(self, c: int, t: int) -> int | None:
        if not (self.idx.origin <= t < self.idx.end):
            return None
        return int(self.idx.ordinal(c, t))

    def working(self, i: int, a: int, b: int) -> int | None:
        """Working minutes from ``a`` to ``b`` on task ``i``'s calendar (None: off range)."""
        c = self._c(i)
        oa, ob = self._ord(c, a), self._ord(c, b)
        return None if oa is None or ob is None else ob - oa

    def back(self, i: int, finish: int, t: DocTask) -> int:
        """``finish`` less the task's remaining duration, as a start."""
        c = self._c(i)
        o = self._ord(c, finish)
        rem = max(0, t.remaining or 0)
        if o is None or o - rem < 0 or rem == 0:  # no work left: the finish moment itself
            return finish
        return int(self.idx.moment(c, o - rem, finish=False))


def _stored(t: DocTask, fields: Sequence[str]) -> dict[str, datetime | int]:
    out: dict[str, datetime | int] = {}
    for name in fields:
        value = getattr(t, name)
        if value is None:
            continue
        out[name] = _floor(value) if isinstance(value, datetime) else int(value)  # type: ignore[assignment]
    return out
