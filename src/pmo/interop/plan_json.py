"""pmo's own JSON plan format (read and write).

One UTF-8 JSON object::

    {
      "format": "pmo-plan", "version": 1,
      "project_start": "2026-01-05T08:00:00",      # ISO, naive local time (required)
      "status_date": null,                         # optional: data date for progress
      "must_finish_by": null,                      # optional: end of the backward pass
      "calendar": "standard",                      # project calendar id (default: first)
      "calendars": [{
          "id": "standard", "name": "Standard", "minutes_per_day": 480,
          "week": ["08:00-12:00,13:00-17:00", ..., "", ""],   # 7 days, Monday first
          "exceptions": [{"start": "2026-05-01", "finish": "2026-05-01",
                          "working_times": "", "name": "Labour Day"}],
          "holidays": {"country": "FR", "years": [2026, 2027], "subdivision": null}
      }],
      "tasks": [{
          "id": "1", "name": "Design", "duration": "5d",  # CSV units: 5d, 4h, 30m, 2w, 3ed
          "calendar": null, "parent": null, "milestone": false,
          "constraint_type": "ASAP", "constraint_date": null, "deadline": null,
          "actual_start": null, "actual_finish": null, "percent_complete": 0,
          "remaining": null                           # a duration, or null: from percent
      }],
      "links": [{"predecessor": "1", "successor": "2", "type": "FS", "lag": "+2d"}],
      "resources": [{"id": "R1", "name": "Alice", "type": "work", "max_units": 1.0,
                     "calendar": null}],                 # null: the project calendar
      "assignments": [{"task": "1", "resource": "R1", "units": 0.5}]
    }

Only ``project_start``, ``tasks[].id``, the link ends and the assignment ends are required;
every other field has the default shown (``resources``/``assignments`` may be left out: files
written before they existed read as before). ``max_units`` and ``units``: 1.0 = 100 % (one
full-time person); ``type``: ``work``, ``equipment``, ``material`` or ``cost`` (only work and
equipment resources are levelled). A task may carry ``"levelled_start"`` (ISO date-time, set
by ``pmo level plan.json --out``): like a levelling accepted in the database, it holds the task
back ("start no earlier than", unless the task has another date constraint) when the plan is
scheduled, and is ignored when the plan is levelled again.

Durations and lags use the CSV task list's units (``pmo.interop.tasklist_csv``), days
converted with the task's calendar's minutes per day; a lag may also be a percentage
(``"-20%"``). ``holidays`` adds the public holidays of a country (``holidays`` package) as
non-working exceptions when the file is read; written files list exceptions explicitly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pmo.engine.calendar import (
    Calendar,
    CalendarException,
    format_working_times,
    from_minutes,
    parse_working_times,
    public_holidays,
)
from pmo.engine.level_plan import hold_back
from pmo.engine.plan import ConstraintType, LagUnit, Link, LinkType, Plan, Task
from pmo.errors import FileFormatError, FileLocation, PmoError
from pmo.interop.document import DocAssignment, DocResource, ResourceType
from pmo.interop.tasklist_csv import format_duration, format_lag, parse_duration, parse_lag

FORMAT = "pmo-plan"
VERSION = 1


@dataclass(frozen=True, eq=False)
class PlanFile:
    """Everything a pmo JSON plan holds: the plan as given (levelled starts not applied),
    its resources and assignments, and the levelled starts (task id -> date-time)."""

    plan: Plan
    resources: tuple[DocResource, ...] = ()
    assignments: tuple[DocAssignment, ...] = ()
    levelled: Mapping[str, datetime] = field(default_factory=dict)

    def scheduled_plan(self) -> Plan:
        """The plan to schedule: tasks held back to their levelled starts."""
        return hold_back(self.plan, self.levelled)


def read_plan_file(path: str | Path) -> PlanFile:
    """A pmo JSON plan file with its resources, assignments and levelled starts."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise FileFormatError("not UTF-8 text", FileLocation(p.name)) from exc
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"invalid JSON: {exc.msg}", FileLocation(p.name, exc.lineno)) from exc
    except OSError as exc:
        raise FileFormatError(f"cannot read: {exc.strerror}", FileLocation(p.name)) from exc
    return plan_file_from_dict(data, p.name)


def read_plan_json(path: str | Path) -> Plan:
    """The plan to schedule (levelled starts applied)."""
    return read_plan_file(path).scheduled_plan()


def write_plan_json(plan: Plan | PlanFile, path: str | Path) -> None:
    data = plan_file_to_dict(plan if isinstance(plan, PlanFile) else PlanFile(plan))
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _when(value: Any, where: FileLocation) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FileFormatError(f"expected an ISO date, got {value!r}", where)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(value), datetime.min.time())
        except ValueError:
            raise FileFormatError(f"not an ISO date: {value!r}", where) from None


def _day(value: Any, where: FileLocation) -> date:
    d = _when(value, where)
    if d is None:
        raise FileFormatError("a date is required", where)
    return d.date()


def _calendar(data: Any, i: int, name: str) -> Calendar:
    def at(column: str) -> FileLocation:
        return FileLocation(name, record=f"calendars[{i}]", column=column)

    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise FileFormatError("a calendar needs a string id", at("id"))
    try:
        week_text = data.get("week")
        kw: dict[str, Any] = {}
        if week_text is not None:
            if not isinstance(week_text, list) or len(week_text) != 7:
                raise FileFormatError("week needs 7 strings, Monday first", at("week"))
            kw["week"] = tuple(parse_working_times(str(d or "")) for d in week_text)
        if "minutes_per_day" in data:
            kw["minutes_per_day"] = int(data["minutes_per_day"])
        exceptions = []
        for k, e in enumerate(data.get("exceptions") or []):
            where = at(f"exceptions[{k}]")
            exceptions.append(
                CalendarException(
                    start=_day(e.get("start"), where),
                    finish=_day(e.get("finish", e.get("start")), where),
                    working_times=parse_working_times(str(e.get("working_times") or "")),
                    name=str(e.get("name", "")),
                )
            )
        hol = data.get("holidays")
        if hol:
            exceptions.extend(
                public_holidays(str(hol["country"]), [int(y) for y in hol["years"]],
                                hol.get("subdivision"))
            )  # fmt: skip
        return Calendar(
            id=data["id"], name=str(data.get("name", "")), exceptions=tuple(exceptions), **kw
        )
    except FileFormatError:
        raise
    except PmoError as exc:
        raise FileFormatError(exc.message, at("")) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FileFormatError(f"invalid calendar: {exc}", at("")) from None


def plan_from_dict(data: Any, name: str = "input") -> Plan:
    """The plan to schedule from the parsed JSON (levelled starts applied)."""
    return plan_file_from_dict(data, name).scheduled_plan()


def plan_file_from_dict(data: Any, name: str = "input") -> PlanFile:
    """A plan file from the parsed JSON (see the module docstring); errors name the record."""
    top = FileLocation(name)
    if not isinstance(data, dict):
        raise FileFormatError("expected a JSON object", top)
    if data.get("format", FORMAT) != FORMAT:
        raise FileFormatError(f"format is {data.get('format')!r}, not {FORMAT!r}", top)
    if int(data.get("version", VERSION)) > VERSION:
        raise FileFormatError(f"version {data['version']} is newer than {VERSION}", top)
    start = _when(data.get("project_start"), FileLocation(name, column="project_start"))
    if start is None:
        raise FileFormatError(
            "project_start is required", FileLocation(name, column="project_start")
        )
    cals = [_calendar(c, i, name) for i, c in enumerate(data.get("calendars") or [])]
    if not cals:
        cals = [Calendar.standard()]
    by_id = {c.id: c for c in cals}
    project_cal = str(data.get("calendar") or cals[0].id)
    if project_cal not in by_id:
        raise FileFormatError(
            f"unknown calendar {project_cal!r}", FileLocation(name, column="calendar")
        )
    raw_tasks = data.get("tasks")
    if not isinstance(raw_tasks, list):
        raise FileFormatError("tasks must be a list", FileLocation(name, column="tasks"))

    tasks: list[Task] = []
    mpd_of: dict[str, int] = {}
    levelled: dict[str, datetime] = {}
    for i, t in enumerate(raw_tasks):
        rec = f"tasks[{i}]"
        if not isinstance(t, dict) or "id" not in t:
            raise FileFormatError("a task needs an id", FileLocation(name, record=rec, column="id"))
        tid = str(t["id"])

        def at(column: str, _rec: str = f"{rec} ({tid})") -> FileLocation:
            return FileLocation(name, record=_rec, column=column)

        cal_id = t.get("calendar")
        if cal_id is not None and cal_id not in by_id:
            raise FileFormatError(f"unknown calendar {cal_id!r}", at("calendar"))
        mpd = by_id[cal_id or project_cal].minutes_per_day
        mpd_of[tid] = mpd
        try:
            dur, elapsed = parse_duration(str(t.get("duration", "0")), mpd)
            remaining = t.get("remaining")
            rem = None if remaining is None else parse_duration(str(remaining), mpd)[0]
        except ValueError as exc:
            raise FileFormatError(str(exc), at("duration")) from None
        ctype = str(t.get("constraint_type") or "ASAP").upper()
        if ctype not in ConstraintType.__members__:
            raise FileFormatError(f"unknown constraint type {ctype!r}", at("constraint_type"))
        try:
            pct = float(t.get("percent_complete") or 0)
        except (TypeError, ValueError):
            raise FileFormatError("not a number", at("percent_complete")) from None
        held = _when(t.get("levelled_start"), at("levelled_start"))
        if held is not None:
            levelled[tid] = held
        tasks.append(
            Task(
                id=tid,
                name=str(t.get("name", "")),
                duration=dur,
                calendar=cal_id,
                elapsed=elapsed,
                is_milestone=bool(t.get("milestone", dur == 0)),
                parent=None if t.get("parent") is None else str(t["parent"]),
                constraint_type=ConstraintType[ctype],
                constraint_date=_when(t.get("constraint_date"), at("constraint_date")),
                deadline=_when(t.get("deadline"), at("deadline")),
                actual_start=_when(t.get("actual_start"), at("actual_start")),
                actual_finish=_when(t.get("actual_finish"), at("actual_finish")),
                percent_complete=pct,
                remaining=rem,
            )
        )
    links: list[Link] = []
    for i, lk in enumerate(data.get("links") or []):

        def lat(column: str, _rec: str = f"links[{i}]") -> FileLocation:
            return FileLocation(name, record=_rec, column=column)

        if not isinstance(lk, dict):
            raise FileFormatError("a link must be an object", lat(""))
        for end in ("predecessor", "successor"):
            if str(lk.get(end)) not in mpd_of:
                raise FileFormatError(f"unknown task {lk.get(end)!r}", lat(end))
        kind = str(lk.get("type") or "FS").upper()
        if kind not in LinkType.__members__:
            raise FileFormatError(f"unknown link type {kind!r}", lat("type"))
        lag_value = lk.get("lag") or 0
        try:
            mpd = mpd_of[str(lk["successor"])]
            lag, unit = parse_lag(str(lag_value), mpd) if lag_value else (0.0, LagUnit.WORKING)
        except ValueError as exc:
            raise FileFormatError(str(exc), lat("lag")) from None
        links.append(Link(str(lk["predecessor"]), str(lk["successor"]), LinkType[kind], lag, unit))
    resources, assignments = _resources(data, name, set(mpd_of), set(by_id))
    try:
        plan = Plan.from_records(
            tasks,
            links,
            cals,
            start,
            calendar=project_cal,
            status_date=_when(data.get("status_date"), FileLocation(name, column="status_date")),
            must_finish_by=_when(
                data.get("must_finish_by"), FileLocation(name, column="must_finish_by")
            ),
        )
    except PmoError as exc:
        raise FileFormatError(exc.message, top) from None
    return PlanFile(plan, resources, assignments, levelled)


def _number(value: Any, where: FileLocation, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FileFormatError(f"expected a number, got {value!r}", where)
    try:
        number = float(value)
    except ValueError:
        raise FileFormatError(f"not a number: {value!r}", where) from None
    if not math.isfinite(number) or number < 0:
        raise FileFormatError(f"must be a number of at least 0, got {value!r}", where)
    return number


def _resources(
    data: dict[str, Any], name: str, task_ids: set[str], calendar_ids: set[str]
) -> tuple[tuple[DocResource, ...], tuple[DocAssignment, ...]]:
    """The ``resources`` and ``assignments`` arrays (both optional)."""
    raw_resources = data.get("resources") or []
    raw_assignments = data.get("assignments") or []
    for key, value in (("resources", raw_resources), ("assignments", raw_assignments)):
        if not isinstance(value, list):
            raise FileFormatError(f"{key} must be a list", FileLocation(name, column=key))
    resources: list[DocResource] = []
    seen: set[str] = set()
    for i, r in enumerate(raw_resources):
        rec = f"resources[{i}]"
        if not isinstance(r, dict) or r.get("id") in (None, ""):
            raise FileFormatError(
                "a resource needs an id", FileLocation(name, record=rec, column="id")
            )
        rid = str(r["id"])

        def rat(column: str, _rec: str = f"{rec} ({rid})") -> FileLocation:
            return FileLocation(name, record=_rec, column=column)

        if rid in seen:
            raise FileFormatError(f"duplicate resource id {rid!r}", rat("id"))
        seen.add(rid)
        kind = str(r.get("type") or "work").lower()
        if kind not in ResourceType.__members__.values():
            raise FileFormatError(
                f"unknown resource type {kind!r} (work, equipment, material or cost)", rat("type")
            )
        cal = r.get("calendar")
        if cal is not None and str(cal) not in calendar_ids:
            raise FileFormatError(f"unknown calendar {cal!r}", rat("calendar"))
        resources.append(
            DocResource(
                id=rid,
                name=str(r.get("name", "")),
                type=ResourceType(kind),
                max_units=_number(r.get("max_units"), rat("max_units"), 1.0),
                calendar=None if cal is None else str(cal),
            )
        )
    assignments: list[DocAssignment] = []
    for i, a in enumerate(raw_assignments):

        def aat(column: str, _rec: str = f"assignments[{i}]") -> FileLocation:
            return FileLocation(name, record=_rec, column=column)

        if not isinstance(a, dict):
            raise FileFormatError("an assignment must be an object", aat(""))
        if str(a.get("task")) not in task_ids:
            raise FileFormatError(f"unknown task {a.get('task')!r}", aat("task"))
        if str(a.get("resource")) not in seen:
            raise FileFormatError(f"unknown resource {a.get('resource')!r}", aat("resource"))
        assignments.append(
            DocAssignment(
                id=str(a.get("id") or i + 1),
                task=str(a["task"]),
                resource=str(a["resource"]),
                units=_number(a.get("units"), aat("units"), 1.0),
            )
        )
    return tuple(resources), tuple(assignments)


def _iso(value: np.datetime64) -> str | None:
    if np.isnat(value):
        return None
    return from_minutes(int(value.astype("M8[m]").astype(np.int64))).isoformat()


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The JSON object of ``plan`` (exceptions written out, durations with units)."""
    return plan_file_to_dict(PlanFile(plan))


def plan_file_to_dict(file: PlanFile) -> dict[str, Any]:
    """The JSON object of a plan file; ``resources``, ``assignments`` and ``levelled_start``
    are written only when there are some, so plans without them write as before."""
    plan = file.plan
    t = plan.tasks
    cals = []
    for c in plan.calendars:
        cals.append(
            {
                "id": c.id,
                "name": c.name,
                "minutes_per_day": c.minutes_per_day,
                "week": [format_working_times(d) for d in c.week],
                "exceptions": [
                    {
                        "start": e.start.isoformat(),
                        "finish": e.finish.isoformat(),
                        "working_times": format_working_times(e.working_times),
                        "name": e.name,
                    }
                    for e in c.exceptions
                ],
            }
        )
    cal_col = t.column("calendar")
    parent = t.column("parent")
    ctype = t.column("constraint_type")
    rem = t.column("remaining")
    elapsed = t.column("elapsed")
    names = t.column("name")
    tasks = []
    for i in range(len(t)):
        cal = plan.calendar_of(i)
        mpd = cal.minutes_per_day
        tasks.append(
            {
                "id": str(t.id[i]),
                "name": str(names[i]),
                "duration": format_duration(int(t.duration[i]), bool(elapsed[i]), mpd),
                "calendar": None if cal_col[i] < 0 else plan.calendars[int(cal_col[i])].id,
                "parent": None if parent[i] < 0 else str(t.id[int(parent[i])]),
                "milestone": bool(t.column("is_milestone")[i]),
                "constraint_type": ConstraintType(int(ctype[i])).name,
                "constraint_date": _iso(t.column("constraint_date")[i]),
                "deadline": _iso(t.column("deadline")[i]),
                "actual_start": _iso(t.column("actual_start")[i]),
                "actual_finish": _iso(t.column("actual_finish")[i]),
                "percent_complete": float(t.column("percent_complete")[i]),
                "remaining": None if rem[i] < 0 else format_duration(int(rem[i]), False, mpd),
            }
        )
        held = file.levelled.get(str(t.id[i]))
        if held is not None:
            tasks[-1]["levelled_start"] = held.isoformat()
    lk = plan.links
    links = []
    for i in range(len(lk)):
        s = int(lk.successor[i])
        unit = LagUnit(int(lk.lag_unit[i]))
        lag = float(lk.lag[i])
        links.append(
            {
                "predecessor": str(t.id[int(lk.predecessor[i])]),
                "successor": str(t.id[s]),
                "type": LinkType(int(lk.type[i])).name,
                "lag": format_lag(lag, unit, plan.calendar_of(s).minutes_per_day) if lag else "0",
            }
        )
    out: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "project_start": plan.project_start.isoformat(),
        "status_date": plan.status_date.isoformat() if plan.status_date else None,
        "must_finish_by": plan.must_finish_by.isoformat() if plan.must_finish_by else None,
        "calendar": plan.calendars[plan.project_calendar].id,
        "calendars": cals,
        "tasks": tasks,
        "links": links,
    }
    if file.resources:
        out["resources"] = [
            {
                "id": r.id,
                "name": r.name,
                "type": r.type.value,
                "max_units": 1.0 if r.max_units is None else r.max_units,
                "calendar": r.calendar,
            }
            for r in file.resources
        ]
    if file.assignments:
        out["assignments"] = [
            {"id": a.id, "task": a.task, "resource": a.resource, "units": a.units}
            for a in file.assignments
        ]
    return out
