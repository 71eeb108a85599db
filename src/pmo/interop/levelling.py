"""Levelling a project file (MSPDI, XER, pmo JSON plan), no database: ``pmo level FILE``.

The file's plan is scheduled by pmo's engine without any levelling (a levelling delay stored
in an MSPDI file is ignored, as the levelling service ignores a previous levelling), turned
into the levelling problem by :func:`pmo.engine.level_plan.build_level_input` (the same
bridge the database's levelling service uses: working days of the project calendar, links
with lags, fixed progress, capacity profiles from the resources' calendars), levelled, and
every moved task is held back to the start of its new period
(:func:`pmo.engine.level_plan.hold_back`, "start no earlier than") before the plan is
scheduled again: the proposed dates are that schedule's, so links hold by construction.

File conventions:

* resources: work and equipment resources are levelled, material and cost resources are not
  (neither MS Project nor P6 levels them); an MSPDI resource with ``CanLevel`` 0 ("can
  level: no") is not levelled unless ``all_resources`` (some tools, MPXJ among them, write 0
  for every resource); a resource without max units counts as one unit (100 %); a resource
  without a calendar works on the project calendar;
* priorities: MSPDI task ``Priority`` (0-1000; 1000 is MS Project's "do not level": the task
  stays where it is), P6 ``priority_type`` (Top 5 ... Lowest 1) break ties between equally
  short schedules;
* periods: working days of the project calendar, split into equal parts when the plan's
  tasks start or finish within days (half days for tasks that start at noon, hours for
  hourly times, at most 16 per day): a resource doing one task in the morning and another
  in the afternoon is not over-allocated;
* :func:`levelled_document` writes the result back: tasks whose schedule changes (and tasks
  the file gave no dates) get their new dates (start, finish, early and late dates, floats)
  and, in MSPDI, every moved task gets the ``LevelingDelay`` that gives its new start from
  the early start its predecessors give (:func:`levelling_delays`: working time of the
  task's calendar, format ``d``; elapsed days for an elapsed-duration task) while the other
  tasks' delays are cleared, so MS Project and pmo's scheduler
  (:func:`pmo.interop.document.to_plan`) keep the levelled dates when they recalculate; the
  dates written are that schedule's (a predecessor's late dates leave room for its
  successor's delay). P6 has no per-activity levelling delay: the XER carries
  the new dates (early and remaining dates), which P6 shows until the project is scheduled
  again without levelling.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from pmo.engine import cpm
from pmo.engine.calendar import MINUTES_PER_DAY, Calendar, build_index, from_minutes, to_minutes
from pmo.engine.level import LevelOptions, LevelResult, level
from pmo.engine.level_plan import (
    LevelAssignment,
    LevelInput,
    LevelLink,
    LevelResource,
    LevelTask,
    Move,
    Overallocation,
    build_level_input,
    explain_moves,
    first_moments,
    hold_back,
    levelled_days,
    peak_overallocation,
)
from pmo.engine.plan import ConstraintType, LagUnit, LinkType, Plan, ScheduleOptions
from pmo.errors import ValidationFailed
from pmo.interop.document import (
    DocAssignment,
    DocResource,
    ProjectDocument,
    ResourceType,
    engine_calendar,
    schedule_options,
    to_plan,
)

__all__ = [
    "FileLevelling",
    "level_document",
    "level_plan",
    "levelled_document",
    "levelling_delays",
]

LEVELLED_TYPES = (ResourceType.WORK, ResourceType.EQUIPMENT)
#: MS Project's priority that means "never level this task"
DO_NOT_LEVEL = 1000
#: P6 activity priorities (``priority_type``) as levelling priorities, higher first
P6_PRIORITIES = {"PT_Top": 5, "PT_High": 4, "PT_Normal": 3, "PT_Low": 2, "PT_Lowest": 1}
#: the unit of the leveling delays written: working days (MSPDI ``LevelingDelayFormat`` 7),
#: elapsed days (8) for a task with an elapsed duration (its delay is elapsed time too)
DELAY_FORMAT, ELAPSED_DELAY_FORMAT = "d", "ed"


@dataclass(frozen=True, eq=False)
class FileLevelling:
    """A levelled plan: the schedules before and after, the engine's result and the moves."""

    plan: Plan
    options: ScheduleOptions
    unlevelled: cpm.ScheduleResult
    proposed: cpm.ScheduleResult
    built: LevelInput
    result: LevelResult
    moves: tuple[Move, ...]
    #: the levelled start (a "start no earlier than") of each moved task
    levelled: Mapping[str, datetime]
    peak_before: Overallocation | None
    peak_after: Overallocation | None

    def dates(self, task_id: str, proposed: bool) -> tuple[datetime | None, datetime | None]:
        """(start, finish) of a task in the unlevelled or the proposed schedule."""
        res = self.proposed if proposed else self.unlevelled
        hits = np.flatnonzero(res.task_id == task_id)
        if hits.size == 0 or np.isnat(res.start[hits[0]]):
            return None, None
        i = int(hits[0])
        return _dt(res.start[i]), _dt(res.finish[i])

    def shift_days(self, task_id: str) -> int | float:
        """Working days (of the project calendar, in the levelling's periods) between the
        old and the new start."""
        old, _ = self.dates(task_id, False)
        new, _ = self.dates(task_id, True)
        if old is None or new is None:
            return 0
        return self.built.in_days(self.built.period(new) - self.built.period(old))


def _dt(value: np.datetime64) -> datetime:
    return from_minutes(int(value.astype("M8[m]").astype(np.int64)))


def level_plan(
    plan: Plan,
    options: ScheduleOptions | None,
    resources: Sequence[DocResource],
    assignments: Sequence[DocAssignment],
    level_options: LevelOptions,
    *,
    resource_calendars: Mapping[str, Calendar] | None = None,
    priorities: Mapping[str, int] | None = None,
    never_level: frozenset[str] = frozenset(),
    all_resources: bool = False,
) -> FileLevelling:
    """Level ``plan`` with these resources (see the module docstring).

    ``resource_calendars``: each resource's calendar (missing: the project calendar);
    ``priorities``: per task id; ``never_level``: tasks that stay where they are;
    ``all_resources``: level the resources marked "can level: no" too. Raises
    ``ValidationFailed`` when no task has a resource to level.
    """
    opts = options or ScheduleOptions()
    period_calendar = plan.calendars[plan.project_calendar]
    unlevelled = cpm.schedule(plan, opts)
    t = plan.tasks
    ids = [str(x) for x in t.id.tolist()]
    names, parent = t.column("name"), t.column("parent")
    ctype, pct = t.column("constraint_type"), t.column("percent_complete")
    started = ~np.isnat(t.column("actual_start")) | ~np.isnat(t.column("actual_finish"))
    deadline, milestone = t.column("deadline"), t.column("is_milestone")
    prio = priorities or {}
    hard = (int(ConstraintType.MSO), int(ConstraintType.MFO))
    tasks = []
    for i, tid in enumerate(ids):
        scheduled = not np.isnat(unlevelled.start[i])
        tasks.append(
            LevelTask(
                id=tid,
                name=str(names[i]),
                start=_dt(unlevelled.start[i]) if scheduled else None,
                finish=_dt(unlevelled.finish[i]) if scheduled else None,
                parent=ids[int(parent[i])] if parent[i] >= 0 else None,
                duration=int(t.duration[i]),
                milestone=bool(milestone[i]),
                fixed=bool(started[i] or pct[i] > 0 or int(ctype[i]) in hard) or tid in never_level,
                priority=prio.get(tid, 0),
                deadline=None if np.isnat(deadline[i]) else _dt(deadline[i]),
            )
        )
    lk = plan.links
    links = [
        LevelLink(
            ids[int(lk.predecessor[k])],
            ids[int(lk.successor[k])],
            LinkType(int(lk.type[k])),
            float(lk.lag[k]),
            LagUnit(int(lk.lag_unit[k])),
        )
        for k in range(len(lk))
    ]
    cals = resource_calendars or {}
    level_resources = [
        LevelResource(
            r.id,
            r.name or r.id,
            1.0 if r.max_units is None else r.max_units,
            cals.get(r.id, period_calendar),
        )
        for r in resources
        if r.type in LEVELLED_TYPES and (all_resources or r.extra.get("msp.CanLevel") != "0")
    ]
    levelled_ids = {r.id for r in level_resources}
    parents = {x.parent for x in tasks}
    work = {x.id for x in tasks if x.id not in parents}
    level_assignments = [
        LevelAssignment(a.task, a.resource, a.units)
        for a in assignments
        if a.resource in levelled_ids and a.task in work and a.units > 0
    ]
    if not level_assignments:
        assigned = {a.resource for a in assignments if a.task in work and a.units > 0}
        held_back = [
            r.name or r.id for r in resources if r.id in assigned and r.type in LEVELLED_TYPES
        ]
        if held_back:
            raise ValidationFailed.field(
                "resources",
                "nothing to level: every resource assigned is marked 'can level: no' (MSPDI "
                f"CanLevel 0): {', '.join(sorted(held_back))}; level them anyway with "
                "--all-resources",
            )
        raise ValidationFailed.field(
            "assignments",
            "nothing to level: no task has a work or equipment resource assigned",
        )
    built = build_level_input(
        tasks, links, level_resources, level_assignments, period_calendar, slots_per_day=None
    )
    result = level(built.problem, level_options)
    row = {tid: i for i, tid in enumerate(ids)}
    days = levelled_days(built, result, every_move=True)
    levelled = {
        str(k): v
        for k, v in first_moments(days, {k: plan.calendar_of(row[str(k)]) for k in days}).items()
    }
    proposed = cpm.schedule(hold_back(plan, levelled), opts)

    def starts(res: cpm.ScheduleResult) -> dict[str | int, datetime]:
        return {ids[i]: _dt(res.start[i]) for i in range(len(ids)) if not np.isnat(res.start[i])}

    before_start, after_start = starts(unlevelled), starts(proposed)
    moves = explain_moves(built, result, before_start, after_start)
    return FileLevelling(
        plan=plan,
        options=opts,
        unlevelled=unlevelled,
        proposed=proposed,
        built=built,
        result=result,
        moves=tuple(moves),
        levelled=levelled,
        peak_before=peak_overallocation(built, _periods(built, before_start)),
        peak_after=peak_overallocation(built, _periods(built, after_start)),
    )


def _periods(built: LevelInput, starts: Mapping[str | int, datetime]) -> list[int]:
    """The start period of each row of the problem for these start dates (rows without a
    date keep the period the problem gives them)."""
    p = built.problem
    fixed = np.asarray(p.fixed) if p.fixed is not None else np.zeros(p.n_tasks, bool)
    given = np.where(fixed, np.asarray(p.fixed_start), np.asarray(p.release))
    out = []
    for i, key in enumerate(built.task_ids):
        when = starts.get(key) if i < built.n_scope else None
        out.append(int(given[i]) if when is None else built.period(when))
    return out


def level_document(
    doc: ProjectDocument, level_options: LevelOptions, *, all_resources: bool = False
) -> FileLevelling:
    """Level an MSPDI/XER document with its own calendars, options and priorities (from the
    plan without the leveling delays the file may hold: levelling starts afresh)."""
    plan = to_plan(doc, levelling_delays=False)
    by_id = {c.id: c for c in doc.calendars}
    mpd = doc.project.minutes_per_day
    calendars: dict[str, Calendar] = {}
    for r in doc.resources:
        cal = by_id.get(r.calendar) if r.calendar else None
        if cal is not None and any(cal.week):
            calendars[r.id] = engine_calendar(cal, mpd)
    priorities: dict[str, int] = {}
    never: set[str] = set()
    for t in doc.tasks:
        if "msp.Priority" in t.extra:
            try:
                value = int(t.extra["msp.Priority"])
            except ValueError:
                continue
            priorities[t.id] = value
            if value >= DO_NOT_LEVEL:
                never.add(t.id)
        elif t.extra.get("p6.priority_type") in P6_PRIORITIES:
            priorities[t.id] = P6_PRIORITIES[t.extra["p6.priority_type"]]
    return level_plan(
        plan,
        schedule_options(doc),
        doc.resources,
        doc.assignments,
        level_options,
        resource_calendars=calendars,
        priorities=priorities,
        never_level=frozenset(never),
        all_resources=all_resources,
    )


def _with_delays(plan: Plan, delays: Mapping[str, int]) -> Plan:
    """``plan`` with these leveling delays (task id -> minutes, see
    :attr:`pmo.engine.plan.Task.levelling_delay`), working time of each task's calendar."""
    tasks = plan.tasks
    column = np.zeros(len(tasks), dtype=np.int64)
    row = {str(t): i for i, t in enumerate(tasks.id.tolist())}
    for task_id, minutes in delays.items():
        column[row[task_id]] = minutes
    return dataclasses.replace(
        plan,
        tasks=dataclasses.replace(tasks, levelling_delay=column, levelling_delay_elapsed=None),
    )


def levelling_delays(outcome: FileLevelling) -> tuple[dict[str, int], cpm.ScheduleResult]:
    """MS Project leveling delays that give the proposed starts, and the schedule with them.

    A leveling delay counts from the early start the task's predecessors give (in MS Project
    and in :func:`pmo.interop.document.to_plan`), while the proposal holds each moved task
    back to a date. So the delays are found on the scheduler itself: start with none,
    schedule, give each moved task that starts earlier or later than proposed the difference
    (working minutes of its calendar), and again until every moved task starts where
    proposed. A task's start depends only on its predecessors, so each round settles at
    least one more level of moved tasks (at most one round per moved task, plus one).
    Returns task id -> minutes (moved tasks only) and the last schedule.
    """
    plan, opts, proposed = outcome.plan, outcome.options, outcome.proposed
    ids = [str(x) for x in plan.tasks.id.tolist()]
    row = {tid: i for i, tid in enumerate(ids)}
    elapsed = plan.tasks.column("elapsed")
    cal_col = plan.tasks.column("calendar")
    moved = [tid for tid in outcome.levelled if not np.isnat(proposed.start[row[tid]])]
    target = {tid: to_minutes(_dt(proposed.start[row[tid]])) for tid in moved}
    delays: dict[str, int] = {}
    result = cpm.schedule(plan, opts)
    for _round in range(len(moved) + 1):
        got = {tid: to_minutes(_dt(result.start[row[tid]])) for tid in moved}
        moments = [m for tid in moved for m in (got[tid], target[tid])]
        index = build_index(
            plan.calendars, min(moments) // MINUTES_PER_DAY - 1, max(moments) // MINUTES_PER_DAY + 2
        )
        settled = True
        for tid in moved:
            i = row[tid]
            if elapsed[i]:  # an elapsed-duration task counts its delay in elapsed time
                gap = target[tid] - got[tid]
            else:  # working minutes of its calendar (Friday 17:00 = Monday 08:00)
                c = int(cal_col[i]) if cal_col[i] >= 0 else plan.project_calendar
                gap = int(index.ordinal(c, target[tid])) - int(index.ordinal(c, got[tid]))
            if gap:
                settled = False
                delays[tid] = max(0, delays.get(tid, 0) + gap)
        if settled:
            break
        result = cpm.schedule(_with_delays(plan, delays), opts)
    return {k: v for k, v in delays.items() if v > 0}, result


def levelled_document(doc: ProjectDocument, outcome: FileLevelling) -> ProjectDocument:
    """``doc`` with the levelled schedule (see the module docstring); tasks of ``doc`` that
    were not levelled (another project of an XER) are left as they are."""
    before = outcome.unlevelled
    mspdi = doc.source_format == "mspdi"
    delays: dict[str, int] = {}
    res = outcome.proposed
    if mspdi:
        delays, res = levelling_delays(outcome)
    row = {str(x): i for i, x in enumerate(res.task_id.tolist())}
    fields = (
        "start", "finish", "early_start", "early_finish", "late_start", "late_finish",
        "total_float", "free_float",
    )  # fmt: skip
    tasks = []
    moved: dict[str, tuple[datetime, datetime]] = {}
    for t in doc.tasks:
        i = row.get(t.id)
        if i is None or np.isnat(res.start[i]):
            tasks.append(t)
            continue
        new = t
        changed = any(bool(getattr(res, f)[i] != getattr(before, f)[i]) for f in fields)
        if changed or t.start is None:  # a file without a stored schedule gets pmo's
            start, finish = _dt(res.start[i]), _dt(res.finish[i])
            if (res.start[i], res.finish[i]) != (before.start[i], before.finish[i]):
                moved[t.id] = (start, finish)
            new = replace(
                t,
                start=start,
                finish=finish,
                early_start=_dt(res.early_start[i]),
                early_finish=_dt(res.early_finish[i]),
                late_start=_dt(res.late_start[i]),
                late_finish=_dt(res.late_finish[i]),
                total_slack=int(res.total_float[i]),
                free_slack=int(res.free_float[i]),
                critical=bool(res.critical[i]),
            )
        if mspdi and (t.id in delays or t.levelling_delay):
            unit = ELAPSED_DELAY_FORMAT if t.elapsed else DELAY_FORMAT
            new = replace(
                new,
                levelling_delay=delays.get(t.id, 0),
                levelling_delay_format=unit if t.id in delays else t.levelling_delay_format,
            )
        tasks.append(new)
    assignments = tuple(
        replace(a, start=moved[a.task][0], finish=moved[a.task][1])
        if a.task in moved and a.actual_start is None
        else a
        for a in doc.assignments
    )
    project = doc.project
    if project.finish is not None and moved:
        ends = [f for t in tasks if (f := t.finish) is not None and t.id in row]
        project = replace(project, finish=max([project.finish, *ends]))
    return replace(doc, tasks=tuple(tasks), assignments=assignments, project=project)
