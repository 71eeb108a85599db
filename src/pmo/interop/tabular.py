"""Task lists as CSV or Excel (.xlsx) files, with a column mapping; tables out as CSV/XLSX.

Reading (:func:`read_tasklist`): the first non-empty row is the header; a *mapping* says which
column holds which task field (``{"name": "Task Name", "duration": "Dur."}``). Without one,
headers are recognised by their usual names, including those of MS Project's "Save as Excel"
and of :func:`task_table` (so an exported task list imports back as it was):

============== ==========================================================================
field          recognised headers (case and ``_`` ignored) and values
============== ==========================================================================
id             ``ID``, ``Task ID``: what predecessors refer to (default: the row number,
               counting task rows from 1, as MS Project's ID)
name           ``Name``, ``Task Name``, ``Activity Name``, ``Task``, ``Title``
duration       ``Duration``: ``5d``, ``5 days``, ``4h``, ``2w``, ``1mo``, ``3ed`` (elapsed);
               a bare number is days; ``0`` makes a milestone
predecessors   ``Predecessors``: MS Project notation, ``3,5SS+2d,7FF-1d,4FS-20%``
parent         ``Parent``, ``Parent ID``: the id of the summary task
outline_level  ``Outline Level``, ``Level``: 1 = top; a row's parent is the nearest row
               above with a lower level
wbs            ``WBS``, ``Outline Number``, ``Activity ID``: kept; a dotted outline number
               (``1.2.3``) gives the outline when neither parent nor level is mapped
start, finish  ``Start``, ``Finish``: the dates a tool computed (compared by the fidelity
               report, not constraints)
milestone      ``Milestone``: yes/no, true/false, 1/0
constraint_*   ``Constraint Type`` (ASAP, ALAP, SNET, SNLT, FNET, FNLT, MSO, MFO, or MS
               Project's words: "Start No Earlier Than"...), ``Constraint Date``
deadline       ``Deadline``
percent        ``% Complete``, ``Percent Complete``: ``40``, ``40%`` (or a % cell)
actual_*       ``Actual Start``, ``Actual Finish``
resources      ``Resource Names``, ``Resources``: ``Alice[50%],Bob``
notes          ``Notes``
============== ==========================================================================

Dates are ISO (``2026-01-05``, ``2026-01-05T08:00``) or, in a workbook, date cells; pass
``date_format`` (``strptime``) for other spellings. The result is a
:class:`~pmo.interop.document.ProjectDocument` on one calendar (Monday-Friday, 8 h), so a task
list goes through the same import, fidelity check and export as MSPDI and XER files.

Writing: :class:`Table` values become CSV (:func:`csv_bytes`: UTF-8 with a byte-order mark so
Excel reads accents, CRLF rows, RFC 4180 quoting) or one workbook with a sheet per table
(:func:`xlsx_bytes`). A text cell starting with ``=``, ``+``, ``-``, ``@`` is written as text,
never as a formula (in CSV with a leading ``'``, OWASP's advice against formula injection;
:func:`read_tasklist` drops that quote again).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from pmo.engine.calendar import DEFAULT_MINUTES_PER_DAY, STANDARD_WEEK
from pmo.engine.plan import LagUnit, LinkType
from pmo.errors import FileFormatError, FileLocation, PayloadTooLarge, UnsupportedFormat
from pmo.interop.document import (
    DEFAULT_MAX_BYTES,
    Constraint,
    DocAssignment,
    DocCalendar,
    DocLink,
    DocResource,
    DocTask,
    ProjectDocument,
    ProjectProperties,
)
from pmo.interop.tasklist_csv import format_duration, format_lag, parse_duration

__all__ = [
    "TASK_FIELDS",
    "Table",
    "csv_bytes",
    "default_mapping",
    "read_table",
    "read_tasklist",
    "task_table",
    "xlsx_bytes",
]

# field -> header spellings recognised without a mapping (normalised: lower case, one space)
TASK_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "task id", "row"),
    "name": ("name", "task name", "activity name", "task", "title"),
    "duration": ("duration", "original duration", "planned duration"),
    "predecessors": ("predecessors", "predecessor", "depends on"),
    "parent": ("parent", "parent id", "summary task"),
    "outline_level": ("outline level", "level"),
    "wbs": ("wbs", "wbs code", "outline number", "activity id", "code"),
    "start": ("start", "start date", "early start"),
    "finish": ("finish", "finish date", "end", "end date", "early finish"),
    "milestone": ("milestone",),
    "constraint_type": ("constraint type", "constraint"),
    "constraint_date": ("constraint date",),
    "deadline": ("deadline",),
    "percent_complete": ("% complete", "percent complete", "progress", "complete"),
    "actual_start": ("actual start",),
    "actual_finish": ("actual finish",),
    "resources": ("resource names", "resources", "resource", "assigned to"),
    "notes": ("notes", "note", "comments", "description"),
}

_CONSTRAINT_WORDS = {
    "as soon as possible": "ASAP",
    "as late as possible": "ALAP",
    "start no earlier than": "SNET",
    "start no later than": "SNLT",
    "finish no earlier than": "FNET",
    "finish no later than": "FNLT",
    "must start on": "MSO",
    "must finish on": "MFO",
}
_DATED = {"SNET", "SNLT", "FNET", "FNLT", "MSO", "MFO", "START_ON", "FINISH_ON"}
_TRUE = {"yes", "y", "true", "1", "x", "oui", "ja", "si"}
_FALSE = {"no", "n", "false", "0", "", "non", "nein"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_WEEKDAY_PREFIX = re.compile(r"^[A-Za-z]{2,9}\.?\s+(?=\d)")
_RESOURCE = re.compile(r"^(?P<name>.*?)\s*(?:\[(?P<units>[^\]]*)\])?\s*$")


def _norm(header: str) -> str:
    return " ".join(str(header).replace("_", " ").lower().split())


def default_mapping(header: Sequence[str]) -> dict[str, str]:
    """``field -> column`` for the columns whose header is a recognised name."""
    by_norm: dict[str, str] = {}
    for h in header:
        by_norm.setdefault(_norm(h), h)
    out: dict[str, str] = {}
    for fname, spellings in TASK_FIELDS.items():
        for s in spellings:
            if s in by_norm and by_norm[s] not in out.values():
                out[fname] = by_norm[s]
                break
    return out


# ----------------------------------------------------------------------------------------------
# reading rows
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawTable:
    """A file's header and its rows, each with the line (CSV) or row (XLSX) number."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[Any, ...]], ...]
    sheets: tuple[str, ...] = ()


def _limit(data: bytes, name: str, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"{name}: {len(data):,} bytes is more than the {max_bytes:,} bytes accepted"
        )


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("not a text file (neither UTF-8 nor Windows-1252)", FileLocation(name))


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_table(
    data: bytes, name: str = "input", max_bytes: int = DEFAULT_MAX_BYTES
) -> RawTable:
    _limit(data, name, max_bytes)
    text = _decode(data, name)
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[Any, ...]]] = []
    try:
        for record in reader:
            if not any(c.strip() for c in record):
                continue
            if header is None:
                header = tuple(c.strip() for c in record)
                continue
            rows.append((reader.line_num, tuple(record)))
    except csv.Error as exc:
        raise FileFormatError(str(exc), FileLocation(name, line=reader.line_num)) from None
    if header is None:
        raise FileFormatError("empty file: no header row", FileLocation(name, line=1))
    return RawTable(header, tuple(rows))


def read_xlsx_table(
    data: bytes, name: str = "input", sheet: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> RawTable:
    """The first (or the named) sheet of a workbook. The archive is checked first: a
    workbook that would unpack to more than ten times ``max_bytes`` is refused (zip bomb)."""
    _limit(data, name, max_bytes)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
    except zipfile.BadZipFile:
        raise FileFormatError(
            "not a readable .xlsx workbook (bad zip)", FileLocation(name)
        ) from None
    if "xl/workbook.xml" not in names:
        raise UnsupportedFormat("a zip file but not an Excel .xlsx workbook", FileLocation(name))
    unpacked = sum(i.file_size for i in infos)
    if len(infos) > 10_000 or unpacked > 10 * max_bytes:
        raise PayloadTooLarge(
            f"{name}: the workbook unpacks to {unpacked:,} bytes in {len(infos)} parts; "
            f"more than this reader accepts"
        )
    import openpyxl  # openpyxl parses the workbook's XML with defusedxml when installed

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise FileFormatError(f"cannot read the workbook: {exc}", FileLocation(name)) from None
    try:
        sheets = tuple(wb.sheetnames)
        if sheet is not None and sheet not in sheets:
            raise FileFormatError(
                f"no sheet {sheet!r} (sheets: {', '.join(sheets)})", FileLocation(name)
            )
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        header: tuple[str, ...] | None = None
        rows: list[tuple[int, tuple[Any, ...]]] = []
        for number, cells in enumerate(ws.iter_rows(), start=1):
            values = tuple(_cell_value(c) for c in cells)
            if not any(v not in (None, "") for v in values):
                continue
            if header is None:
                header = tuple("" if v is None else str(v).strip() for v in values)
                continue
            rows.append((number, values))
    finally:
        wb.close()
    if header is None:
        raise FileFormatError(f"sheet {ws.title!r} is empty: no header row", FileLocation(name))
    return RawTable(header, tuple(rows), sheets)


def _cell_value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    fmt = str(getattr(cell, "number_format", "") or "")
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in fmt:
        return f"{value * 100:g}%"
    return value


def read_table(
    data: bytes,
    name: str = "input",
    *,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawTable:
    """A CSV or XLSX file's header and rows (XLSX told by its zip signature)."""
    if data[:4] == b"PK\x03\x04":
        return read_xlsx_table(data, name, sheet, max_bytes)
    return read_csv_table(data, name, max_bytes)


# ----------------------------------------------------------------------------------------------
# task lists
# ----------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_START:
        text = text[1:]  # the quote csv_bytes puts before formula-like text
    return text


def _when(value: Any, date_format: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    text = _WEEKDAY_PREFIX.sub("", _text(value))
    if date_format:
        return datetime.strptime(text, date_format)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.combine(date.fromisoformat(text), time())


@dataclass
class _Row:
    line: int
    values: dict[str, Any]
    id: str = ""


def read_tasklist(
    data: bytes,
    name: str = "input",
    mapping: Mapping[str, str] | None = None,
    *,
    minutes_per_day: int = DEFAULT_MINUTES_PER_DAY,
    project_name: str = "",
    start: datetime | None = None,
    sheet: str | None = None,
    date_format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ProjectDocument:
    """A CSV or XLSX task list as a document (see the module docstring).

    ``mapping``: ``field -> column header`` (case-insensitive); it is laid over the
    recognised headers, and a field mapped to ``""`` is not read. Errors name the line (CSV)
    or row (XLSX), the task and the column.
    """
    table = read_table(data, name, sheet=sheet, max_bytes=max_bytes)
    xlsx = data[:4] == b"PK\x03\x04"
    columns = resolve_mapping(table.header, mapping, name)
    index = {h: i for i, h in reversed(list(enumerate(table.header)))}
    rows: list[_Row] = []
    for line, record in table.rows:
        values = {
            f: record[index[col]] if index[col] < len(record) else None
            for f, col in columns.items()
        }
        rows.append(_Row(line, values))
    if not rows:
        raise FileFormatError("no task rows under the header", FileLocation(name, line=2))

    def where(row: _Row, fname: str) -> FileLocation:
        return FileLocation(name, line=row.line, record=row.id or None, column=columns.get(fname))

    # ids
    ids: dict[str, int] = {}
    for n, row in enumerate(rows, start=1):
        row.id = _text(row.values.get("id")) if "id" in columns else str(n)
        if not row.id:
            raise FileFormatError("empty id", where(row, "id"))
        if row.id in ids:
            raise FileFormatError(f"duplicate id (first on line {ids[row.id]})", where(row, "id"))
        ids[row.id] = row.line

    # outline
    parents: dict[str, str | None] = {}
    if "parent" in columns:
        for row in rows:
            p = _text(row.values.get("parent"))
            if p and p not in ids:
                raise FileFormatError(f"unknown task {p!r}", where(row, "parent"))
            if p == row.id:
                raise FileFormatError("a task cannot be its own parent", where(row, "parent"))
            parents[row.id] = p or None
    elif "outline_level" in columns:
        stack: list[tuple[int, str]] = []
        for row in rows:
            raw = _text(row.values.get("outline_level")) or "1"
            try:
                level = int(float(raw))
            except ValueError:
                raise FileFormatError(
                    f"not a level: {raw!r}", where(row, "outline_level")
                ) from None
            while stack and stack[-1][0] >= level:
                stack.pop()
            parents[row.id] = stack[-1][1] if stack else None
            stack.append((level, row.id))
    elif "wbs" in columns:
        codes = {_text(r.values.get("wbs")): r.id for r in rows}
        if all(re.fullmatch(r"\d+(\.\d+)*", c) for c in codes):
            for row in rows:
                code = _text(row.values.get("wbs"))
                parents[row.id] = codes.get(code.rpartition(".")[0]) if "." in code else None
    _check_outline_loops(parents, rows, where)
    children = {p for p in parents.values() if p is not None}
    level_of: dict[str, int] = {}

    def depth_of(tid: str) -> int:
        if tid not in level_of:
            p = parents.get(tid)
            level_of[tid] = 1 if p is None else depth_of(p) + 1
        return level_of[tid]

    # resources: by name, in order of appearance
    resources: dict[str, DocResource] = {}
    assignments: list[DocAssignment] = []
    tasks: list[DocTask] = []
    links: list[DocLink] = []
    for row in rows:
        v = row.values
        tid = row.id
        summary = tid in children
        try:
            given = v.get("duration")
            if isinstance(given, int | float) and not isinstance(given, bool):
                duration, elapsed = round(float(given) * minutes_per_day), False
            else:
                duration, elapsed = parse_duration(_text(given) or "0", minutes_per_day)
        except ValueError as exc:
            raise FileFormatError(str(exc), where(row, "duration")) from None
        flag = _text(v.get("milestone")).lower()
        if flag not in _TRUE | _FALSE:
            raise FileFormatError(f"not yes/no: {flag!r}", where(row, "milestone"))
        milestone = not summary and (
            flag in _TRUE or ("milestone" not in columns and duration == 0)
        )
        ctext = _text(v.get("constraint_type"))
        ctype = _CONSTRAINT_WORDS.get(ctext.lower(), ctext.upper()) if ctext else ""
        if ctype and ctype not in Constraint.__members__:
            raise FileFormatError(
                f"unknown constraint type {ctext!r}", where(row, "constraint_type")
            )
        dates: dict[str, datetime | None] = {}
        for fname in (
            "start",
            "finish",
            "constraint_date",
            "deadline",
            "actual_start",
            "actual_finish",
        ):
            try:
                dates[fname] = _when(v.get(fname), date_format)
            except ValueError:
                raise FileFormatError(
                    f"not a date: {_text(v.get(fname))!r}", where(row, fname)
                ) from None
        if ctype in _DATED and dates["constraint_date"] is None:
            raise FileFormatError(f"{ctype} needs a constraint date", where(row, "constraint_date"))
        pct_text = _text(v.get("percent_complete")).rstrip("%").strip()
        try:
            pct = float(pct_text) if pct_text else 0.0
        except ValueError:
            raise FileFormatError(
                f"not a number: {pct_text!r}", where(row, "percent_complete")
            ) from None
        if not 0 <= pct <= 100:
            raise FileFormatError(f"{pct:g} is not 0-100", where(row, "percent_complete"))
        try:
            preds = _predecessors(_text(v.get("predecessors")), ids, minutes_per_day)
        except ValueError as exc:
            raise FileFormatError(str(exc), where(row, "predecessors")) from None
        links.extend(
            DocLink(p, tid, kind, lag, unit, lag_format="") for p, kind, lag, unit in preds
        )
        for res_name, units in _resource_list(_text(v.get("resources")), where(row, "resources")):
            rid = "res:" + res_name
            resources.setdefault(rid, DocResource(id=rid, name=res_name))
            assignments.append(
                DocAssignment(
                    id=f"{tid}/{rid}",
                    task=tid,
                    resource=rid,
                    units=units,
                    work=round(duration * units) if not summary else None,
                )
            )
        wbs = _text(v.get("wbs"))
        tasks.append(
            DocTask(
                id=tid,
                name=_text(v.get("name")),
                parent=parents.get(tid),
                outline_level=depth_of(tid),
                display_id=len(tasks) + 1,
                wbs=wbs,
                code=wbs,
                summary=summary,
                milestone=milestone,
                duration=0 if milestone else duration,
                elapsed=elapsed,
                constraint_type=Constraint[ctype] if ctype else None,
                constraint_date=dates["constraint_date"] if ctype in _DATED else None,
                deadline=dates["deadline"],
                percent_complete=pct,
                actual_start=dates["actual_start"],
                actual_finish=dates["actual_finish"],
                start=dates["start"],
                finish=dates["finish"],
                early_start=dates["start"],
                early_finish=dates["finish"],
                notes=_text(v.get("notes")),
            )
        )
    tasks = _outline_order(tasks)
    starts = [t.start for t in tasks if t.start is not None]
    project_start = start or (min(starts) if starts else None)
    calendar = DocCalendar(
        id="standard",
        name="Standard",
        week=STANDARD_WEEK,
        minutes_per_day=minutes_per_day,
        minutes_per_week=5 * minutes_per_day,
        is_default=True,
    )
    stem = Path(name).stem or "Task list"
    return ProjectDocument(
        project=ProjectProperties(
            id=stem,
            name=project_name or stem,
            start=project_start,
            default_calendar="standard",
            minutes_per_day=minutes_per_day,
            minutes_per_week=5 * minutes_per_day,
        ),
        calendars=(calendar,),
        tasks=tuple(tasks),
        links=tuple(links),
        resources=tuple(resources.values()),
        assignments=tuple(assignments),
        source_format="xlsx" if xlsx else "csv",
    )


def resolve_mapping(
    header: Sequence[str], mapping: Mapping[str, str] | None, name: str = "input"
) -> dict[str, str]:
    """``field -> column`` (the file's own header text) after laying ``mapping`` over the
    recognised headers; unknown fields and missing columns are errors naming them."""
    columns = default_mapping(header)
    by_norm = {_norm(h): h for h in header}
    for fname, column in (mapping or {}).items():
        if fname not in TASK_FIELDS:
            raise FileFormatError(
                f"unknown field {fname!r} in the column mapping (fields: {', '.join(TASK_FIELDS)})",
                FileLocation(name, column=fname),
            )
        if not column:
            columns.pop(fname, None)
            continue
        if _norm(column) not in by_norm:
            raise FileFormatError(
                f"no column {column!r} for {fname} (columns: {', '.join(h for h in header if h)})",
                FileLocation(name, line=1, column=column),
            )
        columns[fname] = by_norm[_norm(column)]
    if "duration" not in columns and "name" not in columns:
        raise FileFormatError(
            "no task columns recognised: map at least name and duration "
            f"(columns: {', '.join(h for h in header if h)})",
            FileLocation(name, line=1),
        )
    return columns


def _check_outline_loops(
    parents: Mapping[str, str | None], rows: Sequence[_Row], where: Any
) -> None:
    by_id = {r.id: r for r in rows}
    for tid in parents:
        seen = {tid}
        p = parents.get(tid)
        while p is not None:
            if p in seen:
                raise FileFormatError("the parents form a loop", where(by_id[tid], "parent"))
            seen.add(p)
            p = parents.get(p)


def _outline_order(tasks: list[DocTask]) -> list[DocTask]:
    """Parents before their subtree, siblings in file order (a document's outline order)."""
    kids: dict[str | None, list[DocTask]] = {}
    for t in tasks:
        kids.setdefault(t.parent, []).append(t)
    out: list[DocTask] = []
    stack = list(reversed(kids.get(None, [])))
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(reversed(kids.get(t.id, [])))
    return out


def _predecessors(
    text: str, ids: Mapping[str, int], minutes_per_day: int
) -> list[tuple[str, LinkType, float, LagUnit]]:
    from pmo.interop.tasklist_csv import parse_predecessors

    text = re.sub(r"\s*;\s*", ",", text)  # MS Project uses the list separator: ; in Europe
    return parse_predecessors(text, ids, minutes_per_day)


def _resource_list(text: str, location: FileLocation) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for part in re.split(r"[,;](?![^\[]*\])", text):
        if not part.strip():
            continue
        m = _RESOURCE.match(part.strip())
        assert m is not None
        units = 1.0
        if m["units"]:
            raw = m["units"].strip().rstrip("%")
            try:
                units = float(raw) / (100 if m["units"].strip().endswith("%") else 1)
            except ValueError:
                raise FileFormatError(f"not units: [{m['units']}]", location) from None
        out.append((m["name"].strip(), units))
    return out


# ----------------------------------------------------------------------------------------------
# writing tables
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A sheet: a title, column headers and rows of plain values (str, numbers, dates)."""

    title: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]] = field(default_factory=tuple)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    if text.startswith(_FORMULA_START) and not isinstance(value, int | Decimal):
        return "'" + text
    return text


def csv_bytes(table: Table) -> bytes:
    """One table as CSV: UTF-8 with a byte-order mark, CRLF, quoted where needed."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")


def xlsx_bytes(tables: Iterable[Table]) -> bytes:
    """A workbook with one sheet per table: bold header row, frozen, filters, widths."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()
    for table in tables:
        title = _SHEET_TITLE.sub(" ", table.title)[:31] or "Sheet"
        while title in used:
            title = title[:28] + f" {len(used)}"
        used.add(title)
        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        widths = [max(8, min(60, len(c) + 2)) for c in table.columns]
        cells_rows: list[list[Any]] = []
        for row in table.rows:
            out: list[Any] = []
            for i, value in enumerate(row):
                cell = WriteOnlyCell(ws, value=_xlsx_value(value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
                    if i < len(widths):
                        widths[i] = max(widths[i], min(60, len(cell.value) + 2))
                elif isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                    widths[i] = max(widths[i], 17)
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
                    widths[i] = max(widths[i], 11)
                out.append(cell)
            cells_rows.append(out)
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        if table.columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
        header = []
        for c in table.columns:
            cell = WriteOnlyCell(ws, value=c)
            cell.font = bold
            cell.data_type = "s"
            header.append(cell)
        ws.append(header)
        for out in cells_rows:
            ws.append(out)
    if not used:
        wb.create_sheet("Sheet")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, bool | int | float | date | str):
        return value
    return str(value)


# ----------------------------------------------------------------------------------------------
# a document's tasks as a table
# ----------------------------------------------------------------------------------------------

TASK_COLUMNS = (
    "ID",
    "WBS",
    "Name",
    "Outline Level",
    "Duration",
    "Start",
    "Finish",
    "Late Start",
    "Late Finish",
    "Total Float",
    "Free Float",
    "Critical",
    "Predecessors",
    "Milestone",
    "Constraint Type",
    "Constraint Date",
    "Deadline",
    "% Complete",
    "Actual Start",
    "Actual Finish",
    "Resource Names",
    "Notes",
)


def task_table(doc: ProjectDocument, title: str = "Tasks") -> Table:
    """The tasks of ``doc`` in outline order, MS Project's columns: IDs are row numbers,
    predecessors in its notation (``3FS+2d``), durations and floats with units (``5d``)."""
    mpd = doc.project.minutes_per_day or DEFAULT_MINUTES_PER_DAY
    row_of = {t.id: n for n, t in enumerate(doc.tasks, start=1)}
    preds: dict[str, list[str]] = {}
    for lk in doc.links:
        if lk.predecessor not in row_of or lk.successor not in row_of:
            continue
        text = str(row_of[lk.predecessor])
        if lk.type != LinkType.FS or lk.lag:
            text += lk.type.name
        if lk.lag:
            text += format_lag(lk.lag, lk.lag_unit, mpd)
        preds.setdefault(lk.successor, []).append(text)
    names = {r.id: r.name or r.code for r in doc.resources}
    res: dict[str, list[str]] = {}
    for a in doc.assignments:
        if a.resource in names:
            label = names[a.resource]
            if abs(a.units - 1.0) > 1e-9:
                label += f"[{a.units * 100:g}%]"
            res.setdefault(a.task, []).append(label)

    def dur(minutes: int | None, elapsed: bool = False) -> str:
        return "" if minutes is None else format_duration(minutes, elapsed, mpd)

    rows = []
    for t in doc.tasks:
        rows.append(
            (
                row_of[t.id],
                t.wbs or t.outline_number,
                t.name,
                t.outline_level,
                dur(0 if t.milestone else (t.duration or 0), t.elapsed),
                t.early_start or t.start,
                t.early_finish or t.finish,
                t.late_start,
                t.late_finish,
                dur(t.total_slack),
                dur(t.free_slack),
                t.critical if t.critical is not None else None,
                ",".join(preds.get(t.id, [])),
                t.milestone,
                t.constraint_type.value if t.constraint_type else "",
                t.constraint_date,
                t.deadline,
                round(t.percent_complete, 2),
                t.actual_start,
                t.actual_finish,
                ",".join(res.get(t.id, [])),
                t.notes,
            )
        )
    return Table(title, TASK_COLUMNS, rows)
