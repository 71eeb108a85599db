"""Cost lines imported from finance: a CSV or XLSX file, one cost per row, into a project.

The first non-empty row is the header. Each column is matched to a cost line field by its
name (case and spaces ignored; the aliases below), or by an explicit ``mapping`` of file
column → field, which wins:

=============  ========================================================  ============
field          value                                                     default
=============  ========================================================  ============
date           ISO date ``2026-03-31`` (or an Excel date cell)           required
amount         ``1234.50``, ``-80`` (a credit), ``1,234.50``             required
currency       ISO 4217 code                                             the project's
category       labour, material, services, travel, contingency,          ``defaults``
               management_reserve (or their labels)
kind           actual or planned                                         actual
task           the task's WBS code, ``#<id>``, or its exact name         project level
description    free text (250 characters)                                empty
reference      the finance system's document number                      empty
=============  ========================================================  ============

Everything is checked before anything is written; every problem is reported with its line
(the file's row number, header = its row) and column (the file's header), e.g.
``costs.csv, line 7, column Amount: not an amount: '12,3,4'``. A reference already imported
into the project is refused, so importing a file twice does not count its costs twice. The
rows are then created in one transaction, each through ``do_create`` (checked, audited).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.db import transaction

from pmo.core.access import Access
from pmo.core.services import do_create
from pmo.errors import (
    FieldError,
    FileFormatError,
    FileLocation,
    UnsupportedFormat,
    ValidationFailed,
)
from pmo.finance.models import CostCategory, CostLine
from pmo.projects.models import Project, Task

FIELDS = ("date", "amount", "currency", "category", "kind", "task", "description", "reference")
REQUIRED = ("date", "amount")
ALIASES = {
    "date": ("date", "postingdate", "documentdate", "bookingdate", "invoicedate"),
    "amount": ("amount", "value", "cost", "net", "netamount"),
    "currency": ("currency", "ccy", "cur", "currencycode"),
    "category": ("category", "costcategory", "type", "costtype"),
    "kind": ("kind",),
    "task": ("task", "wbs", "wbscode", "taskid", "activity"),
    "description": ("description", "text", "label", "memo", "narrative"),
    "reference": ("reference", "ref", "document", "documentno", "invoice", "invoiceno", "voucher"),
}
MAX_ERRORS = 100
SOURCE = "finance import"
_AMOUNT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_CURRENCY = re.compile(r"[A-Z]{3}")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class Cell:
    line: int
    column: str  # the header as written in the file
    value: Any


@dataclass(frozen=True)
class ImportResult:
    project_id: int
    file: str
    created: int
    total_by_currency: dict[str, Decimal]
    lines: list[CostLine]
    dry_run: bool


def _rows_csv(data: bytes, name: str) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileFormatError("not UTF-8 text", FileLocation(name, line=line)) from exc
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        location = FileLocation(name, line=reader.line_num)
        raise FileFormatError(f"not valid CSV: {exc}", location) from None


def _rows_xlsx(data: bytes, name: str, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileFormatError(f"not a readable XLSX workbook ({exc})", FileLocation(name)) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise FileFormatError(
                f"no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})", FileLocation(name)
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, ["" if v is None else v for v in row]
    finally:
        book.close()


def read_table(
    data: bytes, name: str, *, sheet: str | None = None
) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header and the data rows (line number, cells) of a CSV or XLSX file."""
    suffix = PurePath(name).suffix.lower()
    if data[:4] == b"PK\x03\x04" or suffix in {".xlsx", ".xlsm"}:
        rows = _rows_xlsx(data, name, sheet)
    elif suffix in {".csv", ".txt", ""}:
        rows = _rows_csv(data, name)
    else:
        raise UnsupportedFormat(
            f"cannot read {suffix} files: save it as .csv (UTF-8) or .xlsx", FileLocation(name)
        )
    header: list[str] | None = None
    body: list[tuple[int, list[Any]]] = []
    for line, cells in rows:
        if not any(str(c).strip() for c in cells):
            continue
        if header is None:
            header = [str(c).strip() for c in cells]
            continue
        body.append((line, cells))
    if header is None:
        raise FileFormatError("the file is empty (expected a header row)", FileLocation(name))
    return header, body


def column_map(
    header: Sequence[str], mapping: Mapping[str, str] | None, name: str
) -> dict[str, int]:
    """Field → column index, from the explicit ``mapping`` (file column → field) first, then
    the header names and their aliases."""
    errors: list[FieldError] = []
    by_key: dict[str, int] = {}
    for i, h in enumerate(header):
        if h:
            by_key.setdefault(_key(h), i)
    out: dict[str, int] = {}
    for column, target in (mapping or {}).items():
        if target not in FIELDS:
            errors.append(
                FieldError(("mapping", column), f"unknown field {target!r} ({', '.join(FIELDS)})")
            )
            continue
        if _key(column) not in by_key:
            errors.append(FieldError(("mapping", column), f"no column {column!r} in {name}"))
            continue
        if target in out:
            errors.append(FieldError(("mapping", column), f"{target} is mapped twice"))
            continue
        out[target] = by_key[_key(column)]
    taken = set(out.values())
    for target in FIELDS:
        if target in out:
            continue
        for alias in ALIASES[target]:
            index = by_key.get(alias)
            if index is not None and index not in taken:
                out[target] = index
                taken.add(index)
                break
    for target in REQUIRED:
        if target not in out:
            errors.append(
                FieldError(
                    ("mapping",),
                    f"{name}: no column for {target} (header: {', '.join(header)}); "
                    f'map one, e.g. {{"{header[0] if header else "Column"}": "{target}"}}',
                )
            )
    if errors:
        raise ValidationFailed(errors)
    return out


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = str(value).strip().replace(" ", "").replace("\u00a0", "")
    if not _AMOUNT.fullmatch(text):
        raise ValueError
    return Decimal(text.replace(",", ""))


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _categories() -> dict[str, str]:
    out = {}
    for value, label in CostCategory.choices:
        out[_key(value)] = value
        out[_key(str(label))] = value
    out["reserve"] = CostCategory.MANAGEMENT_RESERVE
    return out


def _task_finder(project: Project) -> Any:
    tasks = list(Task.objects.filter(project=project).values_list("pk", "wbs", "name"))
    by_id = {pk: pk for pk, _, _ in tasks}
    by_wbs: dict[str, int] = {}
    by_name: dict[str, list[int]] = {}
    for pk, wbs, name in tasks:
        if wbs:
            by_wbs.setdefault(wbs.strip(), pk)
        by_name.setdefault(name.strip().lower(), []).append(pk)

    def find(text: str) -> int:
        text = text.strip()
        if text.startswith("#") and text[1:].isdigit() and int(text[1:]) in by_id:
            return int(text[1:])
        if text in by_wbs:
            return by_wbs[text]
        named = by_name.get(text.lower(), [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise ValueError(f"{len(named)} tasks are named {text!r}: give the WBS code")
        raise ValueError(f"no task {text!r} in project {project.code} (WBS code, #id or name)")

    return find


def parse_cost_lines(
    project: Project,
    data: bytes,
    name: str,
    *,
    mapping: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> list[dict[str, Any]]:
    """The service data of every row (with its ``_line``), or ``ValidationFailed`` listing
    every bad cell at ``("lines", line, column)``."""
    header, body = read_table(data, name, sheet=sheet)
    columns = column_map(header, mapping, name)
    defaults = dict(defaults or {})
    bad_defaults = sorted(set(defaults) - {"category", "kind", "currency"})
    if bad_defaults:
        raise ValidationFailed.field(("defaults", bad_defaults[0]), "no default for this field")
    categories = _categories()
    find_task = _task_finder(project)
    seen_refs = set(
        CostLine.objects.filter(project=project)
        .exclude(reference="")
        .values_list("reference", flat=True)
    )
    errors: list[FieldError] = []
    out: list[dict[str, Any]] = []
    file_refs: dict[str, int] = {}

    def error(line: int, target: str, message: str) -> None:
        column = header[columns[target]] if target in columns else target
        errors.append(FieldError(("lines", line, column), message))

    for line, cells in body:
        if len(errors) >= MAX_ERRORS:
            break

        def cell(target: str, cells: list[Any] = cells) -> Any:
            i = columns.get(target)
            if i is None or i >= len(cells):
                return ""
            value = cells[i]
            return value.strip() if isinstance(value, str) else value

        row: dict[str, Any] = {
            "_line": line,
            "project_id": project.pk,
            "source": SOURCE,
            "description": str(cell("description"))[:250],
        }
        raw = cell("date")
        try:
            row["date"] = _date(raw)
        except (TypeError, ValueError):
            error(line, "date", f"not a date (YYYY-MM-DD): {raw!r}" if raw != "" else "missing")
        raw = cell("amount")
        try:
            row["amount"] = _amount(raw)
            if abs(row["amount"]) >= Decimal("1e14"):
                error(line, "amount", f"too large: {raw!r}")
        except (InvalidOperation, TypeError, ValueError):
            error(line, "amount", f"not an amount: {raw!r}" if raw != "" else "missing")
        currency = str(cell("currency") or defaults.get("currency") or project.currency).upper()
        if not _CURRENCY.fullmatch(currency):
            error(line, "currency", f"not an ISO 4217 currency code: {currency!r}")
        row["currency"] = currency
        raw_cat = str(cell("category") or defaults.get("category") or "")
        if not raw_cat:
            error(line, "category", "missing (or give a default category)")
        elif _key(raw_cat) not in categories:
            error(
                line,
                "category",
                f"unknown category {raw_cat!r} ({', '.join(v for v, _ in CostCategory.choices)})",
            )
        else:
            row["category"] = categories[_key(raw_cat)]
        kind = str(cell("kind") or defaults.get("kind") or CostLine.Kind.ACTUAL).lower()
        if kind not in CostLine.Kind.values:
            error(line, "kind", f"kind is actual or planned, not {kind!r}")
        row["kind"] = kind
        raw_task = str(cell("task"))
        if raw_task:
            try:
                row["task_id"] = find_task(raw_task)
            except ValueError as exc:
                error(line, "task", str(exc))
        reference = str(cell("reference"))[:100]
        if reference:
            if reference in seen_refs:
                error(line, "reference", f"{reference!r} was imported into the project already")
            elif reference in file_refs:
                error(line, "reference", f"{reference!r} is also on line {file_refs[reference]}")
            file_refs.setdefault(reference, line)
        row["reference"] = reference
        out.append(row)
    if errors:
        shown = "; ".join(f"line {e.path[1]}, column {e.path[2]}: {e.message}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ValidationFailed(errors, message=f"{name}: {shown}{more}")
    if not out:
        raise FileFormatError("no cost lines after the header", FileLocation(name))
    return out


def do_import_cost_lines(
    access: Access,
    project: Project,
    data: bytes,
    name: str,
    *,
    mapping: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Check every row of the file, then create all its cost lines in one transaction."""
    access.check_visible(project)
    access.check_write(CostLine(organisation_id=project.organisation_id, project=project))
    rows = parse_cost_lines(project, data, name, mapping=mapping, defaults=defaults, sheet=sheet)
    totals: dict[str, Decimal] = {}
    for r in rows:
        totals[r["currency"]] = totals.get(r["currency"], Decimal(0)) + r["amount"]
    created: list[CostLine] = []
    if not dry_run:
        with transaction.atomic():
            for r in rows:
                values = dict(r)
                line = values.pop("_line")
                try:
                    created.append(do_create(access, CostLine, values))
                except ValidationFailed as exc:
                    raise ValidationFailed(
                        [FieldError(("lines", line, *e.path), e.message) for e in exc.errors],
                        message=f"{name}, line {line}: {exc.message}",
                    ) from None
    return ImportResult(project.pk, name, len(rows), totals, created, dry_run)


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``["Posting date=date", "Net=amount"]`` (the CLI's ``--map``) as a mapping."""
    out: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        if not sep or not column.strip():
            raise ValidationFailed.field(
                ("mapping", pair), "write COLUMN=FIELD, e.g. 'Posting date=date'"
            )
        out[column.strip()] = target.strip().lower()
    return out
