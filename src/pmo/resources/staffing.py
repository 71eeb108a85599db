"""Staffing service: open needs of a project → staffing engine → suggestions, and filling them.

An **open need** (a *slot*) is either

* one unit of a **generic role** assigned to a task (a role assigned at 3.00 units is three
  slots of one unit; at 1.50, a slot of 1 and one of 0.5): filling it moves those units and
  their share of the work from the role to a person; or
* a task's **skill requirement** (:class:`TaskSkillRequirement`) that no person assigned to the
  task meets yet: filling it assigns a person at the requirement's units.

For a task with no open need, one *extra* slot asks for anyone, at one unit for the task's
duration. Candidates are the organisation's people. For each slot they are ranked by skill
match, free capacity in the task's window (capacity minus what they already have, day by day
on the days the task works) and cost (the rate effective at the task's start × the hours);
``staffing_plan`` also fills every slot of the project at once with the exact minimum-cost
assignment of :func:`pmo.engine.staffing.assign_optimal` (free capacity week by week, one
slot per task for a person), and reports what filling the slots one by one would have cost.

``do_apply_staffing`` writes the chosen people through the core services in one transaction
(assignments created, the role's assignment reduced or deleted), each write audited and
version-checked.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db import transaction

from pmo.core import services
from pmo.core.access import Access
from pmo.engine import capacity as cap_engine
from pmo.engine import staffing as engine
from pmo.engine.calendar import Calendar as EngineCalendar
from pmo.engine.calendar import to_minutes
from pmo.errors import FieldError, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from pmo.orgs.models import Calendar
from pmo.projects.models import Project, Task
from pmo.projects.scheduling import engine_calendar
from pmo.resources.capacity import load_assignments
from pmo.resources.models import (
    Assignment,
    CostRate,
    Resource,
    ResourceSkill,
    Skill,
    TaskSkillRequirement,
)

UTC = dt.UTC
TOP = 8


@dataclass
class Slot:
    id: str  # "a<assignment>.<k>", "r<requirement>" or "t<task>"
    kind: str  # role, skill, extra
    label: str
    task_id: int
    task: str
    project_id: int
    units: float
    work_minutes: float
    start: dt.datetime
    finish: dt.datetime
    required: dict[int, int]  # skill id -> minimum proficiency
    source_id: int  # the role assignment, requirement or task
    source_version: int
    role_id: int | None = None


@dataclass
class Candidate:
    resource_id: int
    name: str
    qualified: bool
    match: float
    free_minutes: float
    need_minutes: float
    availability: float
    hourly_rate: float
    cost: float
    currency: str
    score: float


@dataclass
class SlotSuggestion:
    slot: Slot
    candidates: list[Candidate]
    choice: int | None = None  # resource id of the optimal fill


@dataclass
class StaffingPlan:
    project_id: int
    slots: list[SlotSuggestion]
    objective: float
    greedy_objective: float
    optimal: bool
    unfilled: int
    overload_hours: float
    seconds: float
    skills: dict[int, str] = field(default_factory=dict)


def _naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


# ---------------------------------------------------------------------------------------------
# open needs
# ---------------------------------------------------------------------------------------------


def _role_skills(role_ids: Sequence[int]) -> dict[int, dict[int, int]]:
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for r, s, p in ResourceSkill.objects.filter(resource_id__in=list(role_ids)).values_list(
        "resource_id", "skill_id", "proficiency"
    ):
        out[r][s] = p
    return out


def open_slots(project: Project, task: Task | None = None) -> list[Slot]:
    """The project's (or one task's) open needs, in task order."""
    tasks = Task.objects.filter(project=project, is_summary=False)
    if task is not None:
        tasks = tasks.filter(pk=task.pk)
    scheduled = {
        t.pk: t
        for t in tasks.filter(early_start__isnull=False, early_finish__isnull=False).order_by(
            "position", "pk"
        )
    }
    slots: list[Slot] = []
    role_assignments = list(
        Assignment.objects.filter(task_id__in=list(scheduled), resource__kind=Resource.Kind.ROLE)
        .select_related("resource")
        .order_by("task__position", "task_id", "pk")
    )
    role_skills = _role_skills([a.resource_id for a in role_assignments])
    for a in role_assignments:
        t = scheduled[a.task_id]
        units = float(a.units)
        count = max(1, math.ceil(units - 1e-9))
        work = float(a.work_minutes) or units * t.duration_minutes
        for k in range(count):
            share = min(1.0, units - k) if units > 0 else 1.0
            slots.append(
                Slot(
                    id=f"a{a.pk}.{k}",
                    kind="role",
                    label=f"{a.resource.name} ({k + 1} of {count})"
                    if count > 1
                    else a.resource.name,
                    task_id=t.pk,
                    task=t.name,
                    project_id=project.pk,
                    units=round(share, 2),
                    work_minutes=work * share / units if units > 0 else work,
                    start=_naive(t.early_start),  # type: ignore[arg-type]
                    finish=_naive(t.early_finish),  # type: ignore[arg-type]
                    required=dict(role_skills.get(a.resource_id, {})),
                    source_id=a.pk,
                    source_version=a.version,
                    role_id=a.resource_id,
                )
            )
    requirements = list(
        TaskSkillRequirement.objects.filter(task_id__in=list(scheduled))
        .select_related("skill")
        .order_by("task__position", "task_id", "skill__name")
    )
    covered: dict[int, dict[int, int]] = defaultdict(dict)  # task -> skill -> best proficiency
    people = Assignment.objects.filter(
        task_id__in=list(scheduled), resource__kind=Resource.Kind.PERSON
    ).values_list("task_id", "resource_id")
    held = defaultdict(list)
    for t_id, r_id in people:
        held[r_id].append(t_id)
    for r_id, s_id, p in ResourceSkill.objects.filter(resource_id__in=list(held)).values_list(
        "resource_id", "skill_id", "proficiency"
    ):
        for t_id in held[r_id]:
            covered[t_id][s_id] = max(covered[t_id].get(s_id, 0), p)
    for req in requirements:
        if covered[req.task_id].get(req.skill_id, 0) >= req.min_proficiency:
            continue
        t = scheduled[req.task_id]
        units = float(req.units)
        slots.append(
            Slot(
                id=f"r{req.pk}",
                kind="skill",
                label=f"{req.skill.name} ≥ {req.min_proficiency}",
                task_id=t.pk,
                task=t.name,
                project_id=project.pk,
                units=units,
                work_minutes=units * t.duration_minutes,
                start=_naive(t.early_start),  # type: ignore[arg-type]
                finish=_naive(t.early_finish),  # type: ignore[arg-type]
                required={req.skill_id: req.min_proficiency},
                source_id=req.pk,
                source_version=req.version,
            )
        )
    if task is not None and not slots and task.pk in scheduled and not task.is_milestone:
        t = scheduled[task.pk]
        slots.append(
            Slot(
                id=f"t{t.pk}",
                kind="extra",
                label="Anyone (one more person)",
                task_id=t.pk,
                task=t.name,
                project_id=project.pk,
                units=1.0,
                work_minutes=float(t.duration_minutes),
                start=_naive(t.early_start),  # type: ignore[arg-type]
                finish=_naive(t.early_finish),  # type: ignore[arg-type]
                required={},
                source_id=t.pk,
                source_version=t.version,
            )
        )
    order = {pk: i for i, pk in enumerate(scheduled)}
    slots.sort(key=lambda s: (order[s.task_id], s.kind != "role", s.id))
    return slots


# ---------------------------------------------------------------------------------------------
# suggestions
# ---------------------------------------------------------------------------------------------


def _rates(people: Sequence[Resource]) -> dict[int, tuple[list[dt.date], list[float]]]:
    out: dict[int, tuple[list[dt.date], list[float]]] = {}
    rows = CostRate.objects.filter(resource__in=list(people)).order_by(
        "resource_id", "effective_from"
    )
    for r in rows.values_list("resource_id", "effective_from", "standard_rate"):
        days, rates = out.setdefault(r[0], ([], []))
        days.append(r[1])
        rates.append(float(r[2]))
    return out


def _rate_on(
    person: Resource, day: dt.date, table: dict[int, tuple[list[dt.date], list[float]]]
) -> float:
    days, rates = table.get(person.pk, ([], []))
    k = bisect.bisect_right(days, day) - 1
    return rates[k] if k >= 0 else float(person.standard_rate)


def staffing_plan(
    access: Access, project: Project, task: Task | None = None, *, top: int = TOP
) -> StaffingPlan:
    """Ranked candidates for every open slot of ``project`` (or of one ``task``) and the
    optimal fill of them all."""
    access.check_visible(project)
    t0 = time.perf_counter()
    slots = open_slots(project, task)
    people = list(
        Resource.objects.filter(
            organisation_id=project.organisation_id, kind=Resource.Kind.PERSON
        ).select_related("calendar", "organisation__default_calendar")
    )
    skill_ids = sorted({s for slot in slots for s in slot.required})
    skill_names = dict(Skill.objects.filter(pk__in=skill_ids).values_list("pk", "name"))
    if not slots or not people:
        return StaffingPlan(
            project.pk,
            [SlotSuggestion(s, []) for s in slots],
            0.0 if not slots else engine.UNFILLED_PENALTY * len(slots),
            0.0 if not slots else engine.UNFILLED_PENALTY * len(slots),
            True,
            len(slots),
            0.0,
            time.perf_counter() - t0,
            skill_names,
        )
    col = {s: k for k, s in enumerate(skill_ids)}
    prof = np.zeros((len(people), len(skill_ids)), dtype=np.int64)
    person_row = {p.pk: i for i, p in enumerate(people)}
    for r_id, s_id, p in ResourceSkill.objects.filter(
        resource__in=people, skill_id__in=skill_ids
    ).values_list("resource_id", "skill_id", "proficiency"):
        prof[person_row[r_id], col[s_id]] = p

    # day by day: free capacity of each person, and the work of each slot
    first = min(s.start for s in slots).date()
    last = max(s.finish for s in slots).date()
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 2)]
    edges = cap_engine.edges_of(days)
    loaded = load_assignments(people, edges)
    table = cap_engine.table(
        loaded.calendars, edges, loaded.resource_calendar, loaded.max_units, loaded.work
    )
    free_day = table.free  # (C, D)
    task_cal = dict(
        Task.objects.filter(pk__in={s.task_id for s in slots}).values_list("pk", "calendar_id")
    )
    calendars = list(loaded.calendars)
    cal_row: dict[int | None, int] = {}

    def calendar_row(task_id: int) -> int:
        cal_id: int | None = (
            task_cal.get(task_id) or project.calendar_id or project.organisation.default_calendar_id
        )
        if cal_id not in cal_row:
            stored = (
                Calendar.objects.filter(pk=cal_id).prefetch_related("exceptions").first()
                if cal_id
                else None
            )
            cal_row[cal_id] = len(calendars)
            calendars.append(
                engine_calendar(stored) if stored else EngineCalendar.standard("__standard__")
            )
        return cal_row[cal_id]

    slot_work = cap_engine.Work.of(
        np.zeros(len(slots), np.int64),
        [calendar_row(s.task_id) for s in slots],
        [to_minutes(s.start) for s in slots],
        [to_minutes(s.finish) for s in slots],
        [s.work_minutes for s in slots],
    )
    load_day = cap_engine.spread(calendars, edges, slot_work)  # (S, D)
    rates = _rates(people)
    weeks = np.array([(d - first).days // 7 for d in days[:-1]], dtype=np.int64)
    n_weeks = int(weeks.max()) + 1
    free_week = np.zeros((len(people), n_weeks))
    load_week = np.zeros((len(slots), n_weeks))
    np.add.at(free_week.T, weeks, free_day.T)
    np.add.at(load_week.T, weeks, load_day.T)

    n_s, n_c = len(slots), len(people)
    match = np.zeros((n_s, n_c))
    qualified = np.zeros((n_s, n_c), dtype=np.bool_)
    money = np.zeros((n_s, n_c))
    on_task = defaultdict(set)
    for t_id, r_id in Assignment.objects.filter(task_id__in={s.task_id for s in slots}).values_list(
        "task_id", "resource_id"
    ):
        on_task[t_id].add(r_id)
    suggestions: list[SlotSuggestion] = []
    for i, slot in enumerate(slots):
        required = np.zeros(len(skill_ids), dtype=np.int64)
        for s_id, p in slot.required.items():
            required[col[s_id]] = p
        works = load_day[i] > 0
        free = (free_day[:, works]).sum(axis=1)
        hourly = np.array([_rate_on(p, slot.start.date(), rates) for p in people])
        ranking = engine.rank(required, prof, free, slot.work_minutes, hourly)
        already = np.array([p.pk in on_task[slot.task_id] for p in people])
        match[i] = ranking.match
        qualified[i] = ranking.qualified & ~already
        money[i] = ranking.cost
        candidates = []
        for c in ranking.order.tolist():
            if already[c]:
                continue
            candidates.append(
                Candidate(
                    resource_id=people[c].pk,
                    name=people[c].name,
                    qualified=bool(ranking.qualified[c]),
                    match=round(float(ranking.match[c]), 3),
                    free_minutes=round(float(free[c]), 1),
                    need_minutes=round(slot.work_minutes, 1),
                    availability=round(float(ranking.availability[c]), 3),
                    hourly_rate=round(float(hourly[c]), 2),
                    cost=round(float(ranking.cost[c]), 2),
                    currency=people[c].currency,
                    score=round(float(ranking.score[c]), 4),
                )
            )
        suggestions.append(SlotSuggestion(slot, candidates))
    cost = engine.pair_costs(match, qualified, money)
    groups = np.array([s.task_id for s in slots], dtype=np.int64)
    fill = engine.assign_optimal(cost, groups, load_week, free_week)
    greedy = engine.assign_greedy(cost, groups, load_week, free_week)
    for i, sug in enumerate(suggestions):
        c = int(fill.choice[i])
        sug.choice = people[c].pk if c >= 0 else None
        # the best few, and the optimal fill's choice wherever it ranks
        sug.candidates = [
            x for k, x in enumerate(sug.candidates) if k < top or x.resource_id == sug.choice
        ]
    return StaffingPlan(
        project_id=project.pk,
        slots=suggestions,
        objective=round(fill.objective, 4),
        greedy_objective=round(greedy.objective, 4),
        optimal=fill.optimal,
        unfilled=fill.unfilled,
        overload_hours=round(fill.overload_hours, 2),
        seconds=time.perf_counter() - t0,
        skills=skill_names,
    )


# ---------------------------------------------------------------------------------------------
# applying
# ---------------------------------------------------------------------------------------------


def _check_may_staff(access: Access, project: Project) -> None:
    access.check_visible(project)
    probe = Assignment(
        organisation_id=project.organisation_id,
        task=Task(organisation_id=project.organisation_id, project=project),
    )
    if not access.can_write(probe):
        exc = PermissionDenied("you may not staff this project with your role")
        exc.obj = project  # type: ignore[attr-defined]
        raise exc


@dataclass(frozen=True)
class Choice:
    slot: str
    resource_id: int
    version: int | None = None


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def _add_person(
    access: Access, task_id: int, person: Resource, units: float, work: float
) -> Assignment:
    existing = Assignment.objects.filter(task_id=task_id, resource=person).first()
    if existing is not None:
        return services.do_update(
            access,
            existing,
            {
                "units": existing.units + _money(units),
                "work_minutes": existing.work_minutes + round(work),
            },
            existing.version,
        )
    return services.do_create(
        access,
        Assignment,
        {
            "task_id": task_id,
            "resource_id": person.pk,
            "units": _money(units),
            "work_minutes": round(work),
        },
    )


@transaction.atomic
def do_apply_staffing(
    access: Access, project: Project, choices: Sequence[Choice] | None = None
) -> list[Assignment]:
    """Fill slots of ``project`` with people: the given ``choices``, or the optimal fill of
    every open slot. One transaction; every write through the core services."""
    _check_may_staff(access, project)
    slots = {s.id: s for s in open_slots(project)}
    if choices is None:
        plan = staffing_plan(access, project)
        choices = [Choice(s.slot.id, s.choice) for s in plan.slots if s.choice is not None]
    else:
        for task_id in {
            int(c.slot[1:]) for c in choices if c.slot.startswith("t") and c.slot[1:].isdigit()
        }:
            task = Task.objects.filter(pk=task_id, project=project).first()
            if task is not None:
                slots.update({s.id: s for s in open_slots(project, task)})
    errors = []
    people: dict[int, Resource] = {}
    seen: set[str] = set()
    for i, choice in enumerate(choices):
        slot = slots.get(choice.slot)
        if slot is None:
            errors.append(
                (("choices", i, "slot"), f"{choice.slot!r} is not an open slot of this project")
            )
            continue
        if choice.slot in seen:
            errors.append((("choices", i, "slot"), "chosen twice"))
            continue
        seen.add(choice.slot)
        if choice.version is not None and choice.version != slot.source_version:
            raise StaleVersion(
                f"slot {choice.slot} changed since you read it (you had version "
                f"{choice.version}); reload the suggestions"
            )
        try:
            person = access.get(
                Resource.objects.filter(organisation_id=project.organisation_id), choice.resource_id
            )
        except NotFound:
            errors.append(
                (("choices", i, "resource_id"), f"resource {choice.resource_id} does not exist")
            )
            continue
        if person.kind != Resource.Kind.PERSON:
            errors.append((("choices", i, "resource_id"), f"{person.name} is not a person"))
            continue
        people[i] = person
    if errors:
        raise ValidationFailed([FieldError(p, m) for p, m in errors])
    made: list[Assignment] = []
    by_role: dict[int, list[tuple[Slot, Resource]]] = defaultdict(list)
    for i, choice in enumerate(choices):
        slot = slots[choice.slot]
        if slot.kind == "role":
            by_role[slot.source_id].append((slot, people[i]))
        else:
            made.append(_add_person(access, slot.task_id, people[i], slot.units, slot.work_minutes))
    for assignment_id, filled in by_role.items():
        role_assignment = Assignment.objects.get(pk=assignment_id)
        for slot, person in filled:
            made.append(_add_person(access, slot.task_id, person, slot.units, slot.work_minutes))
        units_left = float(role_assignment.units) - sum(s.units for s, _ in filled)
        if units_left <= 0.005:
            services.do_delete(access, role_assignment, role_assignment.version)
        else:
            work_left = float(role_assignment.work_minutes) - sum(s.work_minutes for s, _ in filled)
            services.do_update(
                access,
                role_assignment,
                {"units": _money(units_left), "work_minutes": max(0, round(work_left))},
                role_assignment.version,
            )
    return made
