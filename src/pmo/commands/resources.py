"""Resource commands: capacity against demand, staffing, and levelling of stored projects.

::

    pmo capacity ORG [--by week|month] [--group resource|role|skill] [--from DATE] [--to DATE]
                     [--format table|csv|json]
    pmo staff PROJECT [--org ORG] [--apply] [--format table|json]
    pmo level-project PROJECT [--org ORG] [--engine auto|exact|heuristic] [--time-limit S]
                      [--hold-other-projects] [--accept] [--format table|json]
    pmo level-portfolio PORTFOLIO [--org ORG] [...the same options]
    pmo level-run accept|discard|undo RUN_ID

They use the database (``django_setup()`` runs inside each command, so ``pmo --help`` does
not load Django) and act as ``--user`` (default: the first superuser), with that user's
rights: reads are scoped, writes are checked, versioned and audited like everywhere else.
``pmo level FILE`` (a PSPLIB file, no database) is another command (``pmo.commands.level``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from pmo.commands import django_setup, run_reporting_errors

if TYPE_CHECKING:
    from pmo.core.access import Access
    from pmo.projects.models import Project
    from pmo.resources.models import LevellingRun

console = Console(highlight=False)


class By(StrEnum):
    week = "week"
    month = "month"


class Group(StrEnum):
    resource = "resource"
    role = "role"
    skill = "skill"


class CapacityFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class Format(StrEnum):
    table = "table"
    json = "json"


class Engine(StrEnum):
    auto = "auto"
    exact = "exact"
    heuristic = "heuristic"


class RunAction(StrEnum):
    accept = "accept"
    discard = "discard"
    undo = "undo"


UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Act as this user (default: the first superuser)."),
]
OrgOption = Annotated[
    str | None, typer.Option("--org", help="Organisation code, when the code is ambiguous.")
]


def _access(username: str | None) -> Access:
    from django.contrib.auth import get_user_model

    from pmo.core.access import Access
    from pmo.errors import NotFound

    users = get_user_model()._default_manager
    if username:
        user = users.filter(username=username, is_active=True).first()
        if user is None:
            raise NotFound(f"no active user {username!r}")
    else:
        user = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if user is None:
            raise NotFound("no superuser yet: pass --user NAME (or `pmo user create`)")
    return Access(user)


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _date(value: str | None, name: str) -> dt.date | None:
    from pmo.errors import ValidationFailed

    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.field(name, f"not a date (YYYY-MM-DD): {value!r}") from None


def _project(access: Access, code: str, org: str | None) -> Project:
    from pmo.errors import NotFound
    from pmo.projects.models import Project

    qs = access.scoped(Project.objects.select_related("organisation", "portfolio")).filter(
        code=code
    )
    if org:
        qs = qs.filter(organisation__code=org)
    found = list(qs[:2])
    if not found:
        raise NotFound(f"no project {code!r}" + (f" in {org}" if org else ""))
    if len(found) > 1:
        raise NotFound(f"several organisations have a project {code!r}: give --org")
    return found[0]


# ---------------------------------------------------------------------------------------
# pmo capacity


def capacity_command(
    org: Annotated[str, typer.Argument(help="Organisation code.")],
    by: Annotated[By, typer.Option(help="Periods.")] = By.week,
    group: Annotated[Group, typer.Option(help="One row per resource, role or skill.")] = (
        Group.resource
    ),
    date_from: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    output: Annotated[
        CapacityFormat,
        typer.Option("--format", help="table, csv (one line per row and period) or json."),
    ] = CapacityFormat.table,
    user: UserOption = None,
) -> None:
    """Capacity against demand per resource, role or skill, by week or month."""
    django_setup()

    def run() -> None:
        from pmo.resources import capacity

        access = _access(user)
        organisation = capacity.organisation_by_code(access, org)
        report = capacity.capacity_report(
            access,
            organisation_id=organisation.pk,
            by=by.value,
            group=group.value,
            date_from=_date(date_from, "from"),
            date_to=_date(date_to, "to"),
        )
        if output == CapacityFormat.json:
            _json(capacity.report_as_dict(report))
            return
        rows = [capacity.row_as_dict(r) for r in report.rows]
        if output == CapacityFormat.csv:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(
                ["group", "key", "label", "kind", "period_start", "period_end",
                 "capacity_hours", "demand_hours", "load_percent", "over"]
            )  # fmt: skip
            for row in rows:
                for k, (start, end) in enumerate(report.periods):
                    load = row["load_percent"][k]
                    writer.writerow(
                        [report.group, row["key"], row["label"], row["kind"], start.isoformat(),
                         end.isoformat(), row["capacity_hours"][k], row["demand_hours"][k],
                         "" if load is None else load, int(row["over"][k])]
                    )  # fmt: skip
            sys.stdout.write(buf.getvalue())
            return
        table = Table(title=f"{organisation.name}: demand as % of capacity, by {report.by}")
        table.add_column(report.group.title())
        for start, _ in report.periods:
            table.add_column(
                start.strftime("%d %b" if report.by == "week" else "%b %Y"), justify="right"
            )
        for row in rows:
            cells = []
            for load, over in zip(row["load_percent"], row["over"], strict=True):
                text = "∞" if load is None and over else ("" if load is None else f"{load:.0f}%")
                cells.append(f"[bold red]{text}[/]" if over else text)
            table.add_row(row["label"], *cells)
        console.print(table)
        over_rows = sum(1 for r in rows if any(r["over"]))
        console.print(
            f"{len(rows)} rows, {over_rows} over-allocated; {report.resources} resources, "
            f"{report.assignments} assignments; computed in {report.seconds:.3f} s"
        )

    run_reporting_errors(run)


# ---------------------------------------------------------------------------------------
# pmo staff


def staff(
    project_code: Annotated[str, typer.Argument(metavar="PROJECT", help="Project code.")],
    org: OrgOption = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Assign the suggested people (the optimal fill).")
    ] = False,
    output: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    user: UserOption = None,
) -> None:
    """Staffing suggestions for the open roles and skill requirements of a project."""
    django_setup()

    def run() -> None:
        from pmo.resources import staffing

        access = _access(user)
        project = _project(access, project_code, org)
        plan = staffing.staffing_plan(access, project)
        made = staffing.do_apply_staffing(access, project) if apply else []
        names = {c.resource_id: c.name for s in plan.slots for c in s.candidates}
        if output == Format.json:
            _json(
                {
                    "project": project.code,
                    "optimal": plan.optimal,
                    "objective": plan.objective,
                    "greedy_objective": plan.greedy_objective,
                    "unfilled": plan.unfilled,
                    "overload_hours": plan.overload_hours,
                    "slots": [
                        {
                            "slot": s.slot.id,
                            "task": s.slot.task,
                            "need": s.slot.label,
                            "units": s.slot.units,
                            "work_hours": round(s.slot.work_minutes / 60, 2),
                            "choice": names.get(s.choice) if s.choice else None,
                            "choice_id": s.choice,
                            "candidates": [
                                {
                                    "resource_id": c.resource_id,
                                    "name": c.name,
                                    "qualified": c.qualified,
                                    "match": c.match,
                                    "free_hours": round(c.free_minutes / 60, 2),
                                    "cost": c.cost,
                                    "score": c.score,
                                }
                                for c in s.candidates
                            ],
                        }
                        for s in plan.slots
                    ],
                    "applied": [
                        {"task_id": a.task_id, "resource_id": a.resource_id, "units": str(a.units)}
                        for a in made
                    ],
                }
            )
            return
        table = Table(title=f"Staffing of {project.code} {project.name}")
        for col in ("Task", "Need", "Work (h)", "Suggested", "Next best"):
            table.add_column(col)
        for s in plan.slots:
            others = [c.name for c in s.candidates if c.resource_id != s.choice][:2]
            table.add_row(
                s.slot.task,
                s.slot.label,
                f"{s.slot.work_minutes / 60:.1f}",
                names.get(s.choice, "—") if s.choice else "[red]nobody qualified[/]",
                ", ".join(others),
            )
        console.print(table)
        filled = sum(1 for s in plan.slots if s.choice is not None)
        kind = "optimal" if plan.optimal else "best found"
        console.print(
            f"{filled} of {len(plan.slots)} slots filled ({kind}; cost {plan.objective} against "
            f"{plan.greedy_objective} filling them one by one), overload {plan.overload_hours} h"
        )
        if apply:
            console.print(f"Applied: {len(made)} assignment(s) written.")
        elif filled:
            console.print("Run again with --apply to assign them.")

    run_reporting_errors(run)


# ---------------------------------------------------------------------------------------
# pmo level-project, level-portfolio, level-run


def _days(value: float) -> int | float:
    """Working days as stored (a float): whole days as an integer, parts of days as they are."""
    return int(value) if float(value).is_integer() else value


def _print_run(run: LevellingRun, output: Format) -> None:
    data = {
        "id": run.pk,
        "status": run.status,
        "scope": run.project.code if run.project else run.portfolio.code,
        "engine": run.engine,
        "optimal": run.optimal,
        "makespan_days": _days(run.makespan),
        "lower_bound_days": _days(run.lower_bound),
        "seconds": run.seconds,
        "tasks": run.tasks,
        "moved": run.moved,
        "finish_before": run.finish_before.isoformat() if run.finish_before else None,
        "finish_after": run.finish_after.isoformat() if run.finish_after else None,
        "warnings": run.proposal.get("warnings", []),
        "moves": run.proposal.get("moves", []),
    }
    if output == Format.json:
        _json(data)
        return
    table = Table(title=f"Levelling #{run.pk} of {data['scope']} ({run.get_status_display()})")
    for col in ("Task", "Start", "Proposed", "Delay (d)", "Why"):
        table.add_column(col)
    for m in data["moves"]:
        table.add_row(
            m["name"],
            (m["old_start"] or "—")[:16].replace("T", " "),
            (m["new_start"] or "—")[:16].replace("T", " "),
            f"+{m['delay_days']}",
            m["reason"],
        )
    console.print(table)
    optimal = ", optimal" if run.optimal else ""
    before = f"{run.finish_before:%Y-%m-%d %H:%M}" if run.finish_before else "—"
    after = f"{run.finish_after:%Y-%m-%d %H:%M}" if run.finish_after else "—"
    console.print(
        f"{run.moved} of {run.tasks} tasks move; finish {before} → {after}; "
        f"makespan {run.makespan:g} working days (lower bound "
        f"{run.lower_bound:g}{optimal}); {run.engine} engine, {run.seconds:.2f} s"
    )
    for w in data["warnings"]:
        console.print(f"[yellow]warning:[/] {w}")


def _level(
    access: Access,
    *,
    project: Any = None,
    portfolio: Any = None,
    engine: Engine,
    time_limit: float,
    hold: bool,
    accept: bool,
    output: Format,
) -> None:
    from pmo.resources import levelling

    run = levelling.do_propose_levelling(
        access,
        project=project,
        portfolio=portfolio,
        engine=engine.value,
        time_limit=time_limit,
        hold_other_projects=hold,
    )
    if accept:
        run = levelling.do_accept_levelling(access, run, run.version)
    _print_run(run, output)
    if not accept and output == Format.table:
        console.print(f"A proposal: accept it with `pmo level-run accept {run.pk}`.")


EngineOption = Annotated[Engine, typer.Option(help="Levelling engine (auto: by size).")]
TimeLimitOption = Annotated[
    float, typer.Option("--time-limit", min=0.1, max=120, help="Seconds for the solver.")
]
HoldOption = Annotated[
    bool,
    typer.Option(
        "--hold-other-projects", help="Other projects' assignments keep their share of resources."
    ),
]
AcceptOption = Annotated[
    bool, typer.Option("--accept", help="Accept the proposal at once (and reschedule).")
]


def level_project(
    project_code: Annotated[str, typer.Argument(metavar="PROJECT", help="Project code.")],
    org: OrgOption = None,
    engine: EngineOption = Engine.auto,
    time_limit: TimeLimitOption = 10.0,
    hold_other_projects: HoldOption = False,
    accept: AcceptOption = False,
    output: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    user: UserOption = None,
) -> None:
    """Level the resources of a stored project: a proposal (or, with --accept, applied)."""
    django_setup()

    def run() -> None:
        access = _access(user)
        project = _project(access, project_code, org)
        _level(
            access,
            project=project,
            engine=engine,
            time_limit=time_limit,
            hold=hold_other_projects,
            accept=accept,
            output=output,
        )

    run_reporting_errors(run)


def level_portfolio(
    portfolio_code: Annotated[str, typer.Argument(metavar="PORTFOLIO", help="Portfolio code.")],
    org: OrgOption = None,
    engine: EngineOption = Engine.auto,
    time_limit: TimeLimitOption = 10.0,
    hold_other_projects: HoldOption = False,
    accept: AcceptOption = False,
    output: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    user: UserOption = None,
) -> None:
    """Level every running project of a portfolio together, by project priority."""
    django_setup()

    def run() -> None:
        from pmo.errors import NotFound
        from pmo.portfolio.models import Portfolio

        access = _access(user)
        qs = access.scoped(Portfolio.objects.all()).filter(code=portfolio_code)
        if org:
            qs = qs.filter(organisation__code=org)
        found = list(qs[:2])
        if len(found) != 1:
            raise NotFound(
                f"no portfolio {portfolio_code!r}"
                if not found
                else f"several portfolios {portfolio_code!r}: give --org"
            )
        _level(
            access,
            portfolio=found[0],
            engine=engine,
            time_limit=time_limit,
            hold=hold_other_projects,
            accept=accept,
            output=output,
        )

    run_reporting_errors(run)


def level_run(
    action: Annotated[RunAction, typer.Argument(help="accept, discard or undo.")],
    run_id: Annotated[int, typer.Argument(metavar="RUN_ID", help="The levelling run.")],
    output: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    user: UserOption = None,
) -> None:
    """Accept or discard a levelling proposal, or undo an accepted levelling."""
    django_setup()

    def run() -> None:
        from pmo.resources import levelling
        from pmo.resources.models import LevellingRun

        access = _access(user)
        found = access.get(LevellingRun.objects.select_related("project", "portfolio"), run_id)
        func = {
            RunAction.accept: levelling.do_accept_levelling,
            RunAction.discard: levelling.do_discard_levelling,
            RunAction.undo: levelling.do_undo_levelling,
        }[action]
        done = func(access, found, found.version)
        _print_run(done, output)

    run_reporting_errors(run)


def register(app: typer.Typer) -> None:
    app.command("capacity")(capacity_command)
    app.command("staff")(staff)
    app.command("level-project")(level_project)
    app.command("level-portfolio")(level_portfolio)
    app.command("level-run")(level_run)
