"""Finance commands: cost line import, EVM snapshots, portfolio budget monitoring.

::

    pmo cost-lines import PROJECT FILE [--map COLUMN=FIELD]... [--default FIELD=VALUE]...
                          [--sheet NAME] [--org ORG] [--dry-run] --user USERNAME
    pmo evm-snapshot PROJECT [--as-of DATE] [--period month|week|day] [--org ORG] --user USERNAME
    pmo budget PORTFOLIO [--as-of DATE] [--sort COLUMN] [--org ORG] [--format table|json]

They use the database (``django_setup()`` inside each command, so ``pmo --help`` stays fast).
Writes are made, checked and audited as ``--user`` (or ``PMO_USER``), with that user's role.
Expected failures are one line on stderr with exit status 2; a file problem names its line
and column.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from pmo.commands import django_setup, err_console, fail, run_reporting_errors
from pmo.errors import FileLocation, NotFound, ValidationFailed

console = Console(highlight=False)

UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        envvar="PMO_USER",
        help="Username the change is made (and audited) as; default $PMO_USER.",
        show_default=False,
    ),
]
OrgOption = Annotated[
    str | None,
    typer.Option(
        "--org", help="Organisation code, when the code is not unique.", show_default=False
    ),
]


class Format(StrEnum):
    table = "table"
    json = "json"


def _access(username: str | None) -> Any:
    from django.contrib.auth import get_user_model

    from pmo.core.access import Access

    if not username:
        raise ValidationFailed.field(
            "user", "give --user USERNAME (or set PMO_USER): changes are made and audited as a user"
        )
    user = get_user_model()._default_manager.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"no active user {username!r}")
    return Access(user)


def _one(model: Any, code: str, org: str | None, noun: str) -> Any:
    qs = model.objects.filter(code=code).select_related("organisation")
    if org is not None:
        qs = qs.filter(organisation__code=org)
    found = list(qs[:10])
    where = f" in organisation {org!r}" if org is not None else ""
    if not found:
        raise NotFound(f"no {noun} with code {code!r}{where}")
    if len(found) > 1:
        orgs = ", ".join(sorted(o.organisation.code for o in found))
        raise ValidationFailed.field(
            "org", f"{noun} code {code!r} exists in several organisations ({orgs}): give --org"
        )
    return found[0]


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed.field(
            option, f"{option}: not a date (YYYY-MM-DD): {text!r}"
        ) from None


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in values:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationFailed.field(option, f"{option} {pair!r}: write FIELD=VALUE")
        out[key.strip()] = value.strip()
    return out


def _money(value: Any) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _index(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}"


# ---------------------------------------------------------------------------------------


def import_cost_lines(
    project: Annotated[str, typer.Argument(metavar="PROJECT", help="Project code.")],
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A .csv (UTF-8) or .xlsx file.")],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="COLUMN=FIELD: read FIELD (date, amount, currency, category, kind, task, "
            "description, reference) from the file's COLUMN. Repeatable.",
            show_default=False,
        ),
    ] = None,
    default: Annotated[
        list[str] | None,
        typer.Option(
            "--default",
            help="FIELD=VALUE for rows without it: category, kind or currency. Repeatable.",
            show_default=False,
        ),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX sheet (default: the first).")
    ] = None,
    org: OrgOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file; write nothing.")
    ] = False,
    user: UserOption = None,
) -> None:
    """Import a project's cost lines from finance (all rows or none)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"{FileLocation(str(file))}: cannot read: {exc.strerror or exc}", code=2)
    django_setup()

    def run() -> None:
        from pmo.finance.cost_import import do_import_cost_lines, parse_mapping
        from pmo.projects.models import Project

        access = _access(user)
        target = _one(Project, project, org, "project")
        try:
            result = do_import_cost_lines(
                access,
                target,
                data,
                str(file),
                mapping=parse_mapping(mapping or []),
                defaults=_pairs(default or [], "--default"),
                sheet=sheet,
                dry_run=dry_run,
            )
        except ValidationFailed as exc:
            lines = [e for e in exc.errors if e.path[:1] == ("lines",) and len(e.path) >= 3]
            if not lines:
                raise
            for e in lines[:20]:
                where = FileLocation(str(file), line=int(e.path[1]), column=str(e.path[2]))
                err_console.print(f"error: {where}: {e.message}", highlight=False, soft_wrap=True)
            if len(lines) > 20:
                err_console.print(f"… and {len(lines) - 20} more", highlight=False)
            sys.exit(2)
        totals = ", ".join(f"{_money(v)} {c}" for c, v in sorted(result.total_by_currency.items()))
        verb = "Checked" if dry_run else "Imported"
        console.print(f"{verb} {result.created} cost lines into {target.code}: {totals}")

    run_reporting_errors(run)


def snapshot(
    project: Annotated[str, typer.Argument(metavar="PROJECT", help="Project code.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Status date (default: the project's).", show_default=False),
    ] = None,
    period: Annotated[str, typer.Option("--period", help="month, week or day.")] = "month",
    org: OrgOption = None,
    user: UserOption = None,
) -> None:
    """Store the project's earned value at a status date as an immutable snapshot."""
    django_setup()

    def run() -> None:
        from pmo.finance.evm import do_take_snapshot
        from pmo.projects.models import Project

        access = _access(user)
        target = _one(Project, project, org, "project")
        snap = do_take_snapshot(access, target, _date(as_of, "--as-of"), period)
        console.print(
            f"Snapshot of {target.code} at {snap.status_date}: CPI {_index(snap.cpi)}, "
            f"SPI {_index(snap.spi)}, SPI(t) {_index(snap.spi_t)}, "
            f"EAC {_money(snap.eac)} {snap.currency}"
        )

    run_reporting_errors(run)


def budget(
    portfolio: Annotated[str, typer.Argument(metavar="PORTFOLIO", help="Portfolio code.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Status date (default: today).")
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option("--sort", help="Column to sort by (cpi, -vac, spi_t...).", show_default=False),
    ] = None,
    org: OrgOption = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="Output format.")
    ] = Format.table,
) -> None:
    """Budget monitoring of a portfolio, flagged against its thresholds.

    Every project's BAC, AC, EAC, VAC, CPI, SPI and SPI(t) in the portfolio's currency, and the
    portfolio rolled up."""
    django_setup()

    def run() -> None:
        from pmo.finance.evm import monitor, monitoring_dict
        from pmo.portfolio.models import Portfolio

        target = _one(Portfolio, portfolio, org, "portfolio")
        result = monitor(target, _date(as_of, "--as-of"), sort=sort)
        if output_format is Format.json:
            sys.stdout.write(json.dumps(monitoring_dict(result), indent=2, default=str) + "\n")
            return
        table = Table(
            title=f"{result.name}: budget monitoring at {result.as_of} ({result.currency})",
            box=box.SIMPLE_HEAD,
        )
        for name in ("Project", "BAC", "AC", "EAC", "VAC", "CPI", "SPI", "SPI(t)", "Flags"):
            table.add_column(name, justify="left" if name in {"Project", "Flags"} else "right")
        for row in result.rows:
            m = row.measures
            table.add_row(
                f"{row.code} {row.name}",
                _money(m.bac if m else None),
                _money(m.ac if m else None),
                _money(m.eac if m else None),
                _money(m.vac if m else None),
                _index(m.cpi if m else None),
                _index(m.spi if m else None),
                _index(m.spi_t if m else None),
                " ".join(row.flags) or (row.error or ""),
            )
        if result.total is not None:
            t = result.total
            table.add_row(
                "Total",
                _money(t.bac),
                _money(t.ac),
                _money(t.eac),
                _money(t.vac),
                _index(t.cpi),
                _index(t.spi),
                _index(t.spi_t),
                f"{result.flagged} flagged",
            )
        # piped or redirected: no terminal width to fit, keep every column whole
        out = console if sys.stdout.isatty() else Console(highlight=False, width=200)
        out.print(table)
        for message in result.errors:
            err_console.print(f"warning: {message}", highlight=False, soft_wrap=True)

    run_reporting_errors(run)


def register(app: typer.Typer) -> None:
    cost_lines = typer.Typer(help="A project's cost lines.", no_args_is_help=True)
    cost_lines.command("import")(import_cost_lines)
    app.add_typer(cost_lines, name="cost-lines")
    app.command("evm-snapshot")(snapshot)
    app.command("budget")(budget)
