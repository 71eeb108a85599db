"""``pmo schedule FILE``: critical-path schedule of a file, no database.

FILE is a CSV task list (``id,name,duration,predecessors`` in Microsoft Project's notation),
a PSPLIB ``.sm`` instance (durations in days, finish-to-start links, job numbers as ids), a
pmo JSON plan, an MS Project XML (MSPDI) file or a Primavera P6 XER file; the kind is told by
the extension, else by the content. MSPDI and XER files are scheduled on their own calendars
with their own options, and rows carry the file's task ids (MSPDI ``UID``, XER ``task_id``;
several XER projects are scheduled together as one program).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from pmo.commands import err_console
from pmo.engine.calendar import Calendar
from pmo.engine.cpm import ScheduleResult, schedule
from pmo.engine.plan import Link, Plan, ScheduleOptions, Task
from pmo.errors import CircularDependency, FileFormatError, FileLocation, PmoError

COLUMNS = (
    "id",
    "name",
    "early_start",
    "early_finish",
    "late_start",
    "late_finish",
    "total_float_days",
    "free_float_days",
    "critical",
)
SPINNER_FROM = 20_000  # tasks: show a status spinner on stderr for plans this big


class CalendarChoice(StrEnum):
    standard = "standard"
    continuous = "continuous"


class OutputFormat(StrEnum):
    json = "json"
    csv = "csv"


def make_calendar(choice: CalendarChoice) -> Calendar:
    """``standard``: Mon-Fri 08:00-12:00, 13:00-17:00; ``continuous``: the same hours on
    every day of the week (8 h days either way, so "5d" means the same work)."""
    if choice == CalendarChoice.continuous:
        return Calendar.every_day(id="continuous", name="Continuous (every day)")
    return Calendar.standard()


def _kind(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in (".sm", ".json", ".csv", ".xer"):
        return ext[1:]
    if ext == ".xml":
        return "mspdi"
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:2000].lstrip("\ufeff \r\n\t")
    except OSError as exc:
        raise FileFormatError(f"cannot read: {exc.strerror}", FileLocation(path.name)) from exc
    if head.startswith("{"):
        return "json"
    if head.startswith("<"):
        return "mspdi"
    if head.startswith("ERMHDR"):
        return "xer"
    if "PRECEDENCE RELATIONS" in head.upper() or head.startswith("*****"):
        return "sm"
    return "csv"


def load(
    path: Path, start: datetime | None, choice: CalendarChoice | None
) -> tuple[Plan, ScheduleOptions | None]:
    """The file as a plan, and the scheduling options of an MSPDI/XER file (their own
    calendars are used: ``choice`` applies to the other kinds only)."""
    if not path.is_file():
        raise FileFormatError("no such file", FileLocation(str(path)))
    kind = _kind(path)
    if kind in ("mspdi", "xer"):
        from pmo.interop.document import combine, schedule_options, to_plan

        if kind == "mspdi":
            from pmo.interop.mspdi import read_mspdi

            doc = read_mspdi(path)
        else:
            from pmo.interop.xer import read_xer

            docs = read_xer(path)
            doc = docs[0] if len(docs) == 1 else combine(docs)
        plan = to_plan(doc)
        if start is not None:
            plan = replace(plan, project_start=start)
        return plan, schedule_options(doc)
    return load_plan(path, start, choice), None


def load_plan(path: Path, start: datetime | None, choice: CalendarChoice | None) -> Plan:
    """The file as a plan; ``start``/``choice`` override the file's own (JSON) settings."""
    if not path.is_file():
        raise FileFormatError("no such file", FileLocation(str(path)))
    kind = _kind(path)
    if kind in ("mspdi", "xer"):
        return load(path, start, choice)[0]
    when = start or datetime.combine(date.today(), datetime.min.time())
    if kind == "json":
        from pmo.interop.plan_json import read_plan_json

        plan = read_plan_json(path)
        if choice is not None:  # the chosen calendar replaces the project calendar
            pc = plan.project_calendar
            cal = replace(make_calendar(choice), id=plan.calendars[pc].id)
            cals = tuple(cal if i == pc else c for i, c in enumerate(plan.calendars))
            plan = replace(plan, calendars=cals)
        return replace(plan, project_start=start) if start else plan
    calendar = make_calendar(choice or CalendarChoice.standard)
    if kind == "sm":
        from pmo.interop.psplib import read_sm

        inst = read_sm(path)
        day = calendar.minutes_per_day
        tasks = [
            Task(id=str(j + 1), name=f"job {j + 1}", duration=int(d) * day, is_milestone=d == 0)
            for j, d in enumerate(inst.durations.tolist())
        ]
        links = [Link(str(p + 1), str(s + 1)) for p, s in inst.links().tolist()]
        return Plan.from_records(tasks, links, [calendar], when)
    from pmo.interop.tasklist_csv import read_tasklist_plan

    return read_tasklist_plan(path, calendar, when)


def result_rows(plan: Plan, result: ScheduleResult) -> list[dict[str, Any]]:
    names = plan.tasks.column("name")
    elapsed = plan.tasks.column("elapsed")
    cols = {f: result.datetimes(f) for f in COLUMNS[2:6]}
    rows = []
    for i in range(len(result)):
        mpd = 1440 if elapsed[i] else plan.calendar_of(i).minutes_per_day
        rows.append(
            {
                "id": str(result.task_id[i]),
                "name": str(names[i]),
                **{f: cols[f][i].isoformat() for f in cols},
                "total_float_days": round(int(result.total_float[i]) / mpd, 4),
                "free_float_days": round(int(result.free_float[i]) / mpd, 4),
                "critical": bool(result.critical[i]),
            }
        )
    return rows


def render(plan: Plan, result: ScheduleResult, fmt: OutputFormat) -> str:
    rows = result_rows(plan, result)
    if fmt == OutputFormat.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({**r, "critical": str(r["critical"]).lower()} for r in rows)
        return buf.getvalue()
    mpd = plan.calendars[plan.project_calendar].minutes_per_day
    doc = {
        "project_start": result.project_start.isoformat(),
        "project_finish": result.project_finish.isoformat(),
        "duration_days": round(result.project_duration / mpd, 4),
        "tasks": rows,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def run(
    path: Path, start: datetime | None, choice: CalendarChoice | None, fmt: OutputFormat
) -> str:
    plan, options = load(path, start, choice)
    if len(plan.tasks) >= SPINNER_FROM:
        with err_console.status(f"Scheduling {len(plan.tasks):,} tasks…"):
            result = schedule(plan, options)
    else:
        result = schedule(plan, options)
    return render(plan, result, fmt)


def fail_one_line(message: str) -> NoReturn:
    """``pmo.commands.fail`` with exit status 2, never wrapped at the terminal width: one line
    on stderr however long the path, so scripts can grep it."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    @app.command("schedule")
    def schedule_command(
        file: Annotated[
            Path,
            typer.Argument(
                help="CSV task list, PSPLIB .sm, pmo JSON plan, MS Project XML (MSPDI) or P6 XER"
            ),
        ],
        start: Annotated[
            str | None,
            typer.Option(help="project start YYYY-MM-DD (default: today, first working day)"),
        ] = None,
        calendar: Annotated[
            CalendarChoice | None,
            typer.Option(help="standard: Mon-Fri 8 h; continuous: every day 8 h"),
        ] = None,
        output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.json,
    ) -> None:
        """Early/late dates, floats and the critical path of FILE."""
        when: datetime | None = None
        if start:
            try:
                when = datetime.combine(date.fromisoformat(start), datetime.min.time())
            except ValueError:
                fail_one_line(f"--start: not a date (YYYY-MM-DD): {start!r}")
        try:
            text = run(file, when, calendar, output_format)
        except CircularDependency as exc:  # say which file the cycle is in
            fail_one_line(f"{file.name}: {exc.message}")
        except PmoError as exc:  # FileFormatError names file, line/record and field
            fail_one_line(exc.message)
        sys.stdout.write(text)
