"""Project files on the command line: ``pmo import FILE`` / ``pmo export PROJECT`` for MSPDI,
XER, .mpp, CSV and XLSX (wired into the platform's ``import``/``export``), and ``pmo convert``.

* ``pmo import plan.xml --check``: file -> document -> pmo's engine -> fidelity report, with
  **no database** (Django is not even imported); exit status 0 whatever the report says.
* ``pmo import plan.xer --org ORG [--portfolio CODE] [--check]``: import into the database
  (``--check``: what would be created, and the report; nothing written).
* ``pmo export PROJECT --format mspdi|xer|xlsx|csv|ics --out FILE``.
* ``pmo convert FILE --to mspdi|xer|csv|xlsx|ics --out FILE``: one format to another, no
  database.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from pmo.commands import django_setup, err_console, fail, run_reporting_errors
from pmo.errors import NotFound, PmoError, ValidationFailed

console = Console(highlight=False, soft_wrap=True)


class ConvertTo(StrEnum):
    mspdi = "mspdi"
    xer = "xer"
    csv = "csv"
    xlsx = "xlsx"
    ics = "ics"


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", code=2)


def _mapping(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f'--mapping: not JSON ({exc.msg}); e.g. {{"name": "Task Name"}}', code=2)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        fail('--mapping: a JSON object of field -> column, e.g. {"name": "Task Name"}', code=2)
    return {str(k): v for k, v in value.items()}


# ---------------------------------------------------------------------------------------
# --check without a database


def _show(value: Any) -> str:
    return value.isoformat(" ", "minutes") if isinstance(value, datetime) else str(value)


def _print_report(title: str, report: Any, limit: int) -> None:
    console.print(f"{title}: {report.summary().splitlines()[0]}")
    for line in report.summary().splitlines()[1:]:
        console.print(f"  {line.strip()}")
    if not report.tasks or limit <= 0:
        return
    table = Table(title=f"Tasks that differ (first {min(limit, len(report.tasks))})")
    for column in ("task", "name", "field", "in the file", "pmo", "diff (min)", "working"):
        table.add_column(column, overflow="fold")
    for t in report.tasks[:limit]:
        for i, d in enumerate(t.differences):
            table.add_row(
                t.task_id if i == 0 else "",
                t.name[:40] if i == 0 else "",
                d.field,
                _show(d.expected),
                _show(d.got),
                str(d.delta),
                "" if d.working_delta is None else str(d.working_delta),
            )
    console.print(table)


def check_file(
    file: Path,
    *,
    fmt: str | None,
    mapping: dict[str, str] | None,
    sheet: str | None,
    minutes_per_day: int,
    limit: int,
    as_json: bool,
) -> None:
    """Fidelity report of a project file, without a database."""
    from pmo.interop.fidelity import check_fidelity
    from pmo.interop.projectfile import ReadOptions, fidelity_dict, read_project_file

    data = _read(file)
    options = ReadOptions(format=fmt, mapping=mapping, sheet=sheet, minutes_per_day=minutes_per_day)
    kind, docs = read_project_file(data, file.name, options)
    out: list[dict[str, Any]] = []
    if not as_json:
        console.print(f"{file.name}: {kind}, {len(docs)} project(s)")
    for doc in docs:
        p = doc.project
        label = " ".join(x for x in (p.code, p.title or p.name) if x) or file.stem
        counts = {
            "tasks": len(doc.tasks),
            "links": len(doc.links),
            "calendars": len(doc.calendars),
            "resources": len(doc.resources),
            "assignments": len(doc.assignments),
            "baselines": len({b.number for t in doc.tasks for b in t.baselines}),
        }
        try:
            report = check_fidelity(doc)
        except PmoError as exc:
            if as_json:
                out.append({"project": label, "counts": counts, "error": exc.message})
            else:
                console.print(f"{label}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
                console.print(f"  not compared: {exc.message}")
            continue
        if as_json:
            out.append({"project": label, "counts": counts, "fidelity": fidelity_dict(report)})
            continue
        console.print(f"{label}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        _print_report("  pmo against the file", report, limit)
    if as_json:
        typer.echo(json.dumps({"file": file.name, "format": kind, "projects": out}, indent=2))


# ---------------------------------------------------------------------------------------
# with the database


def _portfolio(org_code: str, portfolio_code: str | None) -> Any:
    from pmo.orgs.models import Organisation
    from pmo.portfolio.models import Portfolio

    org = Organisation.objects.filter(code=org_code).first()
    if org is None:
        raise NotFound(f"no organisation with code {org_code!r}")
    portfolios = list(Portfolio.objects.filter(organisation=org).select_related("organisation"))
    if portfolio_code:
        found = [p for p in portfolios if p.code == portfolio_code]
        if not found:
            codes = ", ".join(p.code for p in portfolios) or "none"
            raise NotFound(f"no portfolio {portfolio_code!r} in {org_code} (portfolios: {codes})")
        return found[0]
    if len(portfolios) == 1:
        return portfolios[0]
    codes = ", ".join(p.code for p in portfolios) or "none yet"
    raise ValidationFailed.field("portfolio", f"say which with --portfolio ({codes})")


def import_project_file(
    file: Path,
    *,
    org: str,
    portfolio: str | None,
    check: bool,
    code: str,
    name: str,
    fmt: str | None,
    mapping: dict[str, str] | None,
    sheet: str | None,
    minutes_per_day: int,
    resources: str,
    limit: int,
    as_json: bool,
) -> None:
    data = _read(file)
    django_setup()

    def run() -> None:
        from pmo.projects import interop_import as service

        target = _portfolio(org, portfolio)
        options = service.ImportOptions(
            format=fmt,
            code=code,
            name=name,
            mapping=mapping,
            sheet=sheet,
            minutes_per_day=minutes_per_day,
            resources=resources,
        )
        if check:
            preview = service.preview_import_file(None, target, data, file.name, options)
            if as_json:
                typer.echo(json.dumps(service.preview_dict(preview), indent=2))
                return
            c = preview.counts
            console.print(
                f"{file.name} ({preview.format}) into {org}/{target.code} would create: "
                f"{c['projects']} project(s), {c['tasks']:,} tasks, {c['links']:,} links, "
                f"{c['calendars']} calendars ({c['calendars_reused']} reused), "
                f"{c['resources']} resources ({c['resources_matched']} matched), "
                f"{c['assignments']} assignments, {c['baselines']} baselines. Nothing written."
            )
            for p in preview.projects:
                if p.fidelity is not None:
                    _print_report(f"{p.code} pmo against the file", p.fidelity, limit)
                else:
                    console.print(f"{p.code}: not compared: {p.fidelity_error}")
            for warning in preview.warnings:
                console.print(f"  warning: {warning}")
            return
        result = service.do_import_project_file(None, target, data, file.name, options)
        if as_json:
            typer.echo(json.dumps(service.result_dict(result, limit), indent=2))
            return
        c = result.counts
        console.print(
            f"Imported {file.name} into {org}/{target.code}: project id(s) "
            f"{', '.join(map(str, result.project_ids))}; {c['tasks']:,} tasks, "
            f"{c['links']:,} links, {c['calendars']} calendars, {c['resources']} new resources, "
            f"{c['assignments']} assignments, {c['baselines']} baselines in {result.seconds:.2f} s."
        )
        # the stored projects, rescheduled from the database, against the file's dates
        for project_code, report in result.schedule:
            _print_report(f"{project_code} after the import, pmo against the file", report, limit)
        for warning in result.warnings:
            console.print(f"  warning: {warning}")

    run_reporting_errors(run)


def export_project_file(
    project_code: str, *, fmt: str, out: Path, org: str | None, table: str
) -> None:
    django_setup()

    def run() -> None:
        from pmo.projects.interop_export import export_project
        from pmo.projects.models import Project

        qs = Project.objects.filter(code=project_code).select_related("organisation")
        if org:
            qs = qs.filter(organisation__code=org)
        found = list(qs[:2])
        if not found:
            raise NotFound(f"no project with code {project_code!r}" + (f" in {org}" if org else ""))
        if len(found) > 1:
            raise ValidationFailed.field(
                "org", f"several organisations have a project {project_code!r}: give --org"
            )
        export = export_project(found[0], fmt, table=table)
        if str(out) == "-":
            sys.stdout.buffer.write(export.content)
            sys.stdout.flush()
        else:
            _write_bytes(out, export.content)
        err_console.print(
            f"Exported {project_code} as {fmt} ({len(export.content):,} bytes)"
            + ("" if str(out) == "-" else f" → {out}"),
            highlight=False,
            soft_wrap=True,
        )

    run_reporting_errors(run)


def _write_bytes(path: Path, data: bytes) -> None:
    directory = path.resolve().parent
    if not directory.is_dir():
        fail(f"cannot write {path}: folder {directory} does not exist", code=2)
    tmp = directory / f".{path.name}.part"
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        fail(f"cannot write {path}: {exc.strerror or exc}", code=2)


# ---------------------------------------------------------------------------------------
# pmo convert (no database)


def convert(
    file: Annotated[Path, typer.Argument(help="MSPDI .xml, XER, .mpp, CSV or XLSX")],
    to: Annotated[ConvertTo, typer.Option("--to", help="format to write")],
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write ('-': stdout)")],
    mapping: Annotated[
        str | None, typer.Option(help='CSV/XLSX column mapping, JSON: {"name": "Task"}')
    ] = None,
) -> None:
    """Convert a project file to another format (no database)."""
    from pmo.interop.document import combine
    from pmo.interop.ical import Event, calendar_bytes
    from pmo.interop.mspdi import mspdi_bytes
    from pmo.interop.projectfile import ReadOptions, read_project_file
    from pmo.interop.tabular import csv_bytes, task_table, xlsx_bytes
    from pmo.interop.xer import xer_bytes

    data = _read(file)
    try:
        _, docs = read_project_file(data, file.name, ReadOptions(mapping=_mapping(mapping)))
        doc = docs[0] if len(docs) == 1 else combine(docs)
        if to == ConvertTo.mspdi:
            content = mspdi_bytes(doc)
        elif to == ConvertTo.xer:
            content = xer_bytes(docs)
        elif to == ConvertTo.csv:
            content = csv_bytes(task_table(doc))
        elif to == ConvertTo.xlsx:
            content = xlsx_bytes([task_table(d, (d.project.code or "Tasks")[:31]) for d in docs])
        else:
            events = [
                Event(
                    uid=f"milestone-{t.id}@{doc.project.id or file.stem}.pmo",
                    summary=t.name,
                    start=when.date(),
                )
                for t in doc.tasks
                if t.milestone and (when := t.early_start or t.start) is not None
            ]
            content = calendar_bytes(events, name=f"{doc.project.name or file.stem} milestones")
    except PmoError as exc:
        fail(exc.message, code=2)
    if str(out) == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    _write_bytes(out, content)
    err_console.print(
        f"{file.name} → {out} ({to.value}, {len(content):,} bytes)", highlight=False, soft_wrap=True
    )


def register(app: typer.Typer) -> None:
    app.command("convert")(convert)
