"""``pmo evm``: earned value and earned schedule measures, period by period.

File form, no database::

    pmo evm --series FILE.csv [--bac X] [--planned-duration N] [--format json|csv]

``FILE.csv`` has a header and one row per period with cumulative ``period,pv,ev,ac`` (columns
in any order). Periods are numbered 1, 2, 3, ... (the end of each period; the plan starts at 0).
``ev`` and ``ac`` are empty for periods not measured yet; ``pv`` may be empty only in trailing
rows past the end of the plan (it stays at its last value). The output has one record per
measured period with the keys of :data:`OUTPUT_KEYS`; ``eac`` is BAC/CPI and ``tcpi`` is to
BAC (see ``docs/evm.md``). Undefined values are ``null`` (JSON) or empty (CSV).

Database form::

    pmo evm PROJECT [--as-of DATE] [--org ORG] [--period month|week|day] [--trend]
            [--format json|csv]

measures the project ``PROJECT`` (its code) at ``--as-of`` (default: its status date, else
today) with the EVM service (``pmo.finance.evm``): the record has the keys of the file form
(``period`` is the actual time AT, in periods since the start of the project's first period,
fractional when the status date falls inside a period) plus those of :data:`PROJECT_KEYS`:
the project, the date, the currency and the budget at completion ``bac`` (``eac`` is BAC/CPI
as in the file form). ``--trend`` first lists the project's stored snapshots before that date.

Nothing here imports Django at import time, and the engine (numpy) is imported only when the
command runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.text import Text

from pmo.commands import err_console
from pmo.errors import FieldError, FileFormatError, FileLocation, PmoError, ValidationFailed

#: Keys of each output record, in order.
OUTPUT_KEYS = (
    "period",
    "pv",
    "ev",
    "ac",
    "sv",
    "cv",
    "spi",
    "cpi",
    "eac",
    "etc",
    "vac",
    "tcpi",
    "es",
    "sv_t",
    "spi_t",
    "ieac_t",
)

_COLUMNS = ("period", "pv", "ev", "ac")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"\+?\d+", re.ASCII)
#: Significant digits printed: float64 carries ~15.9; 12 hides the last-bit noise of the
#: arithmetic (0.30000000000000004) without losing anything a plan can hold.
_DIGITS = 12

#: Keys the database form adds in front of :data:`OUTPUT_KEYS`.
PROJECT_KEYS = ("project", "date", "currency", "bac")


class OutputFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True)
class SeriesFile:
    """A parsed ``--series`` file: one entry per period, in period order (1..T)."""

    name: str
    pv: tuple[float, ...]
    ev: tuple[float | None, ...]
    ac: tuple[float | None, ...]
    periods_with_pv: int  # rows whose pv was given (the rest repeat the last one)


def parse_series_csv(text: str, name: str = "series.csv") -> SeriesFile:
    """Read a ``period,pv,ev,ac`` file; any problem raises ``FileFormatError`` naming the line
    and the column."""

    def fail(message: str, line: int | None = None, column: str | None = None) -> NoReturn:
        raise FileFormatError(message, FileLocation(name, line=line, column=column))

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: dict[str, int] | None = None
    pv: list[float] = []
    ev: list[float | None] = []
    ac: list[float | None] = []
    periods_with_pv = 0
    first_empty_pv: int | None = None
    try:
        for row in reader:
            line = reader.line_num
            cells = [c.strip() for c in row]
            if not any(cells):
                continue  # blank line
            if header is None:
                header = _read_header(cells, fail, line)
                continue
            if len(cells) != len(header):
                fail(f"expected {len(header)} fields, got {len(cells)}", line)
            raw = {col: cells[i] for col, i in header.items()}

            expected = len(pv) + 1
            if not _INTEGER.fullmatch(raw["period"]):
                fail(f"period must be a whole number, got {raw['period']!r}", line, "period")
            if int(raw["period"]) != expected:
                fail(
                    f"expected period {expected}, got {int(raw['period'])}"
                    " (periods run 1, 2, 3, ... in order)",
                    line,
                    "period",
                )

            if raw["pv"]:
                if first_empty_pv is not None:
                    fail(
                        f"pv is empty here but given at line {line}; only trailing rows may"
                        " omit it",
                        first_empty_pv,
                        "pv",
                    )
                value = _amount(raw["pv"], fail, line, "pv")
                if pv and value < pv[-1]:
                    fail(
                        f"cumulative pv decreases from {_fmt(pv[-1])} to {_fmt(value)}",
                        line,
                        "pv",
                    )
                pv.append(value)
                periods_with_pv += 1
            else:
                if not pv:
                    fail("pv is empty in the first period", line, "pv")
                first_empty_pv = line if first_empty_pv is None else first_empty_pv
                pv.append(pv[-1])

            if bool(raw["ev"]) != bool(raw["ac"]):
                empty = "ac" if raw["ev"] else "ev"
                fail(
                    f"{empty} is empty but {'ev' if empty == 'ac' else 'ac'} is given;"
                    " give both or neither",
                    line,
                    empty,
                )
            ev.append(_amount(raw["ev"], fail, line, "ev") if raw["ev"] else None)
            ac.append(_amount(raw["ac"], fail, line, "ac") if raw["ac"] else None)
    except csv.Error as exc:
        fail(f"not valid CSV: {exc}", reader.line_num)
    if header is None:
        fail("the file is empty (expected a header period,pv,ev,ac)", 1)
    if not pv:
        fail("no periods after the header", reader.line_num)
    return SeriesFile(name, tuple(pv), tuple(ev), tuple(ac), periods_with_pv)


def _read_header(
    cells: list[str], fail: Callable[[str, int | None, str | None], NoReturn], line: int
) -> dict[str, int]:
    header: dict[str, int] = {}
    for i, cell in enumerate(cells):
        col = cell.lower()
        if col not in _COLUMNS:
            fail(f"unknown column {cell!r} (expected period, pv, ev, ac)", line, cell or None)
        if col in header:
            fail(f"column {col!r} appears twice", line, col)
        header[col] = i
    missing = [c for c in _COLUMNS if c not in header]
    if missing:
        fail(f"missing column(s) {', '.join(missing)} (expected period, pv, ev, ac)", line, None)
    return header


def _amount(
    cell: str, fail: Callable[[str, int | None, str | None], NoReturn], line: int, column: str
) -> float:
    if not _NUMBER.fullmatch(cell):
        fail(f"not a number: {cell!r}", line, column)
    value = float(cell)
    if not math.isfinite(value):
        fail(f"number out of range: {cell!r}", line, column)
    if value < 0:
        fail(f"must be >= 0, got {cell}", line, column)
    return value


def _fmt(x: float) -> str:
    return f"{x:.{_DIGITS}g}"


def _out(x: float) -> float | int | None:
    """A measure as it is printed: None where undefined, 12 significant digits, whole numbers
    as integers."""
    if not math.isfinite(x):
        return None
    y = float(_fmt(x))
    return int(y) if y.is_integer() and abs(y) < 2**53 else y


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError((field,), message)], message=message)


def evm_records(
    series: SeriesFile, *, bac: float | None = None, planned_duration: float | None = None
) -> tuple[list[dict[str, float | int | None]], list[str]]:
    """The output records (one per measured period) and any warnings for stderr."""
    import numpy as np  # here, not at the top: keeps `pmo --help` fast

    from pmo.engine.evm import EvmSeries, compute_evm, planned_duration_from_pv

    warnings: list[str] = []
    pv = np.array(series.pv, dtype=np.float64)
    last_pv = float(pv[-1])
    if bac is None:
        if last_pv <= 0:
            raise _invalid(
                "bac", f"{series.name}: pv is 0 in every period, so BAC is 0; give --bac"
            )
        bac = last_pv
    elif not (math.isfinite(bac) and bac > 0):
        raise _invalid("bac", f"--bac must be a positive amount, got {bac}")
    elif last_pv > bac * (1 + 1e-12):
        k = int(np.argmax(pv > bac)) + 1
        raise _invalid(
            "bac", f"--bac {_fmt(bac)} is below the cumulative pv {_fmt(pv[k - 1])} of period {k}"
        )
    if planned_duration is None:
        pd = float(planned_duration_from_pv(pv, bac)[0])
        if math.isnan(pd):
            pd = float(series.periods_with_pv)
            warnings.append(
                f"pv never reaches BAC {_fmt(bac)}; planned duration taken as the"
                f" {series.periods_with_pv} periods with pv (give --planned-duration)"
            )
        planned_duration = pd
    elif not (math.isfinite(planned_duration) and planned_duration > 0):
        raise _invalid(
            "planned_duration", f"--planned-duration must be > 0, got {planned_duration}"
        )

    nan = float("nan")
    ev = np.array([nan if v is None else v for v in series.ev])
    ac = np.array([nan if v is None else v for v in series.ac])
    m = compute_evm(
        EvmSeries.from_arrays(pv, ev, ac, bac=[bac], planned_duration=[planned_duration])
    )
    columns = {key: getattr(m, key)[0] for key in OUTPUT_KEYS if key != "period"}
    records: list[dict[str, float | int | None]] = []
    for j in range(pv.size):
        if series.ev[j] is None:
            continue
        record: dict[str, float | int | None] = {"period": j + 1}
        record.update({key: _out(float(col[j])) for key, col in columns.items()})
        records.append(record)
    return records, warnings


Record = dict[str, float | int | str | None]


def format_records(
    records: Sequence[Mapping[str, object]], fmt: OutputFormat, extra_keys: Sequence[str] = ()
) -> str:
    if fmt is OutputFormat.JSON:
        return json.dumps(list(records), indent=2) + "\n"
    keys = (*extra_keys, *OUTPUT_KEYS)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(keys)
    for r in records:
        writer.writerow(["" if r[k] is None else r[k] for k in keys])
    return buf.getvalue()


def _parse_date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise _invalid(option.lstrip("-"), f"{option}: not a date (YYYY-MM-DD): {text!r}") from None


def _value(x: object) -> float | int | None:
    return None if x is None else _out(float(x))  # type: ignore[arg-type]


def project_records(
    code: str, as_of: str | None, org: str | None, period: str, *, trend: bool = False
) -> list[Record]:
    """The database form's records (see the module docstring)."""
    day = _parse_date(as_of, "--as-of")
    from pmo.commands import django_setup

    django_setup()
    from pmo.errors import NotFound
    from pmo.finance.evm import project_evm, snapshots_of
    from pmo.projects.models import Project

    qs = Project.objects.filter(code=code).select_related(
        "organisation", "organisation__default_calendar", "calendar"
    )
    if org is not None:
        qs = qs.filter(organisation__code=org)
    found = list(qs[:10])
    where = f" in organisation {org!r}" if org is not None else ""
    if not found:
        raise NotFound(f"no project with code {code!r}{where}")
    if len(found) > 1:
        orgs = ", ".join(sorted(p.organisation.code for p in found))
        raise _invalid(
            "org", f"project code {code!r} exists in several organisations ({orgs}): give --org"
        )
    project = found[0]
    result = project_evm(project, day, period, with_tasks=False)
    records: list[Record] = []
    if trend:
        for snap in snapshots_of(project).filter(status_date__lt=result.as_of):
            eac = snap.eac
            records.append(
                {
                    "project": project.code,
                    "date": snap.status_date.isoformat(),
                    "currency": snap.currency,
                    "bac": _value(snap.bac),
                    "period": _value(snap.at),
                    "pv": _value(snap.pv),
                    "ev": _value(snap.ev),
                    "ac": _value(snap.ac),
                    "sv": _value(snap.sv),
                    "cv": _value(snap.cv),
                    "spi": _value(snap.spi),
                    "cpi": _value(snap.cpi),
                    "eac": _value(eac),
                    "etc": _value(snap.etc),
                    "vac": _value(snap.vac),
                    "tcpi": _value(snap.tcpi),
                    "es": _value(snap.es),
                    "sv_t": _value(snap.sv_t),
                    "spi_t": _value(snap.spi_t),
                    "ieac_t": _value(snap.ieac_t),
                }
            )
    m = result.measures
    records.append(
        {
            "project": project.code,
            "date": result.as_of.isoformat(),
            "currency": m.currency,
            "bac": _value(m.bac),
            "period": _value(m.at),
            **{key: _value(getattr(m, key)) for key in OUTPUT_KEYS if key != "period"},
        }
    )
    return records


def _error_line(message: str) -> NoReturn:
    """Like ``pmo.commands.fail`` with exit status 2, but the message stays one line whatever
    the terminal width (no soft wrapping) and is printed literally (no rich markup)."""
    err_console.print(
        Text.assemble(("error:", "bold red"), " ", message.replace("\n", " ")),
        soft_wrap=True,
    )
    sys.exit(2)


def _run(func: Callable[[], None]) -> None:
    try:
        func()
    except PmoError as exc:
        _error_line(exc.message)


def evm(
    project: Annotated[
        str | None,
        typer.Argument(
            help="Project code: measure the project in the database.",
            metavar="PROJECT",
            show_default=False,
        ),
    ] = None,
    series: Annotated[
        Path | None,
        typer.Option(
            "--series",
            help="CSV of cumulative period,pv,ev,ac per period (ev, ac empty if not measured).",
            show_default=False,
        ),
    ] = None,
    bac: Annotated[
        float | None,
        typer.Option(
            "--bac", help="Budget at completion (default: the last pv).", show_default=False
        ),
    ] = None,
    planned_duration: Annotated[
        float | None,
        typer.Option(
            "--planned-duration",
            help="Planned duration in periods (default: the period where pv reaches BAC).",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Status date YYYY-MM-DD (database form; default: the project's status date).",
            show_default=False,
        ),
    ] = None,
    org: Annotated[
        str | None,
        typer.Option(
            "--org",
            help="Organisation code, when the project code is not unique.",
            show_default=False,
        ),
    ] = None,
    period: Annotated[
        str,
        typer.Option("--period", help="Period of the database form: month, week or day."),
    ] = "month",
    trend: Annotated[
        bool,
        typer.Option("--trend", help="Database form: the stored snapshots before --as-of first."),
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.", case_sensitive=False)
    ] = OutputFormat.JSON,
) -> None:
    """The ``evm`` command (help text: :data:`_HELP`)."""

    def run() -> None:
        if series is None:
            if project is not None:
                found = project_records(project, as_of, org, period, trend=trend)
                sys.stdout.write(format_records(found, output_format, PROJECT_KEYS))
                return
            raise PmoError("give --series FILE.csv, or a PROJECT code (see pmo evm --help)")
        if project is not None or as_of is not None or org is not None or trend:
            raise PmoError(
                "--series reads a file: give no PROJECT, --as-of, --org or --trend with it"
            )
        try:
            raw = series.read_bytes()
        except OSError as exc:
            raise FileFormatError(
                f"cannot read: {exc.strerror or exc}", FileLocation(str(series))
            ) from exc
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise FileFormatError("not UTF-8 text", FileLocation(str(series), line=line)) from exc
        parsed = parse_series_csv(text, name=str(series))
        records, warnings = evm_records(parsed, bac=bac, planned_duration=planned_duration)
        for w in warnings:
            err_console.print(Text.assemble(("warning:", "bold yellow"), " ", w), soft_wrap=True)
        sys.stdout.write(format_records(records, output_format))

    _run(run)


_HELP = (
    "Earned value and earned schedule measures for every measured period.\n\n"
    "From a CSV of cumulative period,pv,ev,ac: PV, EV, AC, SV, CV, SPI, CPI, EAC (BAC/CPI), ETC,"
    " VAC, TCPI (to BAC), ES, SV(t), SPI(t) and IEAC(t), one record per period with ev and ac"
    " given. Formulas and conventions: docs/evm.md.\n\n"
    "With a PROJECT code instead: the project's measures at --as-of from the database (plus"
    " project, date, currency and bac; period = AT). See docs/finance.md."
)


def register(app: typer.Typer) -> None:
    app.command(name="evm", help=_HELP)(evm)
