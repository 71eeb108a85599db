"""Primavera P6 XER read and write.

An XER file is tab-separated text exported by P6 (and read back by P6's import and by
MPXJ): a header line ``ERMHDR <version> <date> Project <user> <user name> <database>
<module> <currency>``, then tables, each ``%T <TABLE>`` followed by ``%F <field>...`` and
one ``%R <value>...`` line per row, and ``%E`` at the end. Values are text: dates
``YYYY-MM-DD HH:MM``, durations and lags in **hours** (``remain_drtn_hr_cnt``,
``lag_hr_cnt``), flags ``Y``/``N``, codes such as ``TT_Task`` or ``PR_FS``. A line break
inside a memo is written as two ``0x7F`` bytes.

Encodings: P6 writes the Windows code page of the machine (cp1252 in western Europe and the
Americas, cp1251 for Cyrillic) or UTF-8. :func:`read_xer` tries UTF-8 first, then the hints
of the file (an ``ERMHDR`` currency of a Cyrillic-script country, or text that only makes
sense as cp1251: words made entirely of Cyrillic letters), then cp1252; ``encoding=`` forces
one.

Tables read: PROJECT (one document per project; several projects give several documents,
:func:`pmo.interop.document.combine` makes one program of them), CALENDAR (``clndr_data``,
see :func:`parse_clndr_data`), SCHEDOPTIONS (lag calendar, retained logic / progress
override), PROJWBS (the outline: WBS elements become summary tasks with ids ``wbs:<id>``),
TASK, TASKPRED (``PR_FS``/``PR_SS``/``PR_FF``/``PR_SF``, ``lag_hr_cnt``), RSRC, RSRCRATE,
TASKRSRC, TASKMEMO (notes), UDFTYPE/UDFVALUE and ACTVTYPE/ACTVCODE/TASKACTV (tags). Fields
the document does not model are kept in ``extra`` (``p6.<field>``) and written back.

Constraint codes (``cstr_type``): CS_MSOA start on or after (SNET), CS_MSOB start on or
before (SNLT), CS_MEOA finish on or after (FNET), CS_MEOB finish on or before (FNLT),
CS_MSO start on, CS_MEO finish on, CS_MANDSTART mandatory start, CS_MANDFIN mandatory
finish, CS_ALAP as late as possible.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pmo.engine.calendar import (
    MINUTES_PER_DAY,
    CalendarException,
    WorkingTimes,
    build_index,
    to_minutes,
)
from pmo.engine.plan import LagCalendar, LagUnit, LinkType, ProgressMode
from pmo.errors import FileFormatError, FileLocation, UnsupportedFormat
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
    RateEntry,
    ResourceType,
    Source,
    TagDefinition,
    engine_calendar,
    minutes_to_hours,
    read_bytes,
    resolve_calendars,
    source_name,
)

__all__ = [
    "XerTable",
    "parse_clndr_data",
    "read_xer",
    "read_xer_tables",
    "write_xer",
    "xer_bytes",
]

LINK_TYPES = {"PR_FS": LinkType.FS, "PR_SS": LinkType.SS, "PR_FF": LinkType.FF,
              "PR_SF": LinkType.SF}  # fmt: skip
LINK_CODES = {v: k for k, v in LINK_TYPES.items()}
CONSTRAINTS = {
    "CS_MSOA": Constraint.SNET, "CS_MSOB": Constraint.SNLT, "CS_MEOA": Constraint.FNET,
    "CS_MEOB": Constraint.FNLT, "CS_MSO": Constraint.START_ON, "CS_MEO": Constraint.FINISH_ON,
    "CS_MANDSTART": Constraint.MSO, "CS_MANDFIN": Constraint.MFO, "CS_ALAP": Constraint.ALAP,
    "CS_ASAP": Constraint.ASAP,
}  # fmt: skip
CONSTRAINT_CODES = {v: k for k, v in CONSTRAINTS.items()}
CONSTRAINT_CODES[Constraint.ASAP] = ""
LAG_CALENDARS = {
    "rcal_Predecessor": LagCalendar.PREDECESSOR, "rcal_Successor": LagCalendar.SUCCESSOR,
    "rcal_24Hour": LagCalendar.CONTINUOUS, "rcal_ProjDefault": LagCalendar.PROJECT,
}  # fmt: skip
LAG_CALENDAR_CODES = {v: k for k, v in LAG_CALENDARS.items()}
RESOURCE_TYPES = {"RT_Labor": ResourceType.WORK, "RT_Equip": ResourceType.EQUIPMENT,
                  "RT_Mat": ResourceType.MATERIAL}  # fmt: skip
RESOURCE_CODES = {v: k for k, v in RESOURCE_TYPES.items()}
RESOURCE_CODES[ResourceType.COST] = "RT_Equip"
UDF_TYPES = {"FT_TEXT": "text", "FT_INT": "number", "FT_FLOAT_2_DECIMALS": "number",
             "FT_MONEY": "cost", "FT_START_DATE": "date", "FT_END_DATE": "date",
             "FT_STATICTYPE": "code", "FT_FLOAT": "number"}  # fmt: skip
UDF_CODES = {"text": "FT_TEXT", "number": "FT_FLOAT_2_DECIMALS", "cost": "FT_MONEY",
             "date": "FT_START_DATE", "code": "FT_STATICTYPE", "duration": "FT_TEXT",
             "flag": "FT_TEXT"}  # fmt: skip
_UDF_SCOPES = {"TASK": "task", "RSRC": "resource", "PROJWBS": "wbs", "PROJECT": "project",
               "TASKRSRC": "assignment"}  # fmt: skip
_CYRILLIC_CURRENCIES = frozenset({"RUB", "UAH", "BYN", "BYR", "KZT", "BGN", "RSD", "MKD", "KGS"})
EXCEL_EPOCH = date(1899, 12, 30)  # clndr_data dates are Excel serial day numbers
MEMO_BREAK = "\x7f\x7f"  # P6 writes a line break inside a memo as two DEL characters


# ----------------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------------


@dataclass
class XerTable:
    """One ``%T`` table: field names, rows (lists of strings) and the line of each row."""

    name: str
    fields: tuple[str, ...] = ()
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    line: int = 0

    def index(self) -> dict[str, int]:
        return {f: i for i, f in enumerate(self.fields)}

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        fields = self.fields
        for line, row in zip(self.lines, self.rows, strict=True):
            yield line, dict(zip(fields, row, strict=False))


UTF8_BOM = b"\xef\xbb\xbf"


def _decode(data: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    if encoding:
        if encoding.replace("_", "-").lower() in {"utf-8", "utf8"} and data.startswith(UTF8_BOM):
            data = data[len(UTF8_BOM) :]
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise FileFormatError(f"unknown encoding {encoding!r}", FileLocation(name)) from None
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise FileFormatError(
                f"not {encoding} text (byte {exc.start})", FileLocation(name, line=line)
            ) from None
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    legacy = _guess_legacy_encoding(data)
    return data.decode(legacy, errors="replace"), legacy


_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_WORD_REST = re.compile(rb"[A-Za-z\x80-\xff]*")
_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") | frozenset(
    range(0x80, 0x100)
)
_CYRILLIC_WORD = re.compile(rb"[\xa8\xb8\xc0-\xff]{2,}")


def _guess_legacy_encoding(data: bytes) -> str:
    """cp1251 or cp1252 for a file that is not UTF-8.

    Hints: the ERMHDR currency (last header field) of a country writing Cyrillic, else the
    bytes: in cp1251 every letter of a Russian word is a byte 0xC0-0xFF (or Ё/ё 0xA8/0xB8),
    while western text mixes accented letters with ASCII ones. When most words with a high
    byte are made only of such bytes, the file is cp1251.
    """
    head = data[:400].split(b"\n", 1)[0].rstrip(b"\r").split(b"\t")
    if head and head[-1].strip().decode("ascii", "replace").upper() in _CYRILLIC_CURRENCIES:
        return "cp1251"
    # Words (runs of letters and high bytes) with a high byte, found from the high bytes
    # rather than by visiting every word: a large western file has few of them (SP10: 196
    # in 9 MB), and a Python loop over all its words cost ~0.6 s.
    high = cyrillic = 0
    pos = 0
    while (m := _HIGH_BYTE.search(data, pos)) is not None:
        start = m.start()
        while start > pos and data[start - 1] in _WORD_BYTES:
            start -= 1
        end = _WORD_REST.match(data, m.start()).end()  # type: ignore[union-attr]
        high += 1
        if _CYRILLIC_WORD.fullmatch(data, start, end):
            cyrillic += 1
        pos = end
    if cyrillic and cyrillic * 2 >= high:
        return "cp1251"
    return "cp1252"


def read_xer_tables(
    source: Source,
    *,
    encoding: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> tuple[list[str], dict[str, XerTable], str]:
    """The header fields, the tables by name and the encoding used."""
    fname = source_name(source, name)
    data = read_bytes(source, max_bytes, fname)
    text, used = _decode(data, encoding, fname)
    header, tables = _parse_tables(text, fname)
    return header, tables, used


def _parse_tables(text: str, name: str) -> tuple[list[str], dict[str, XerTable]]:
    lines = text.split("\n")
    if not lines or not lines[0].lstrip("\ufeff").startswith("ERMHDR"):
        raise UnsupportedFormat(
            "not a Primavera XER file (it does not start with ERMHDR)", FileLocation(name, line=1)
        )
    header = lines[0].lstrip("\ufeff").rstrip("\r").split("\t")
    tables: dict[str, XerTable] = {}
    table: XerTable | None = None
    ended = False
    for n, raw in enumerate(lines[1:], start=2):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line:
            continue
        if ended:
            if line.strip():
                raise FileFormatError("text after the %E end marker", FileLocation(name, line=n))
            continue
        tag = line[:2]
        if tag == "%R":
            if table is None or not table.fields:
                raise FileFormatError("%R row before any %T/%F", FileLocation(name, line=n))
            values = line.split("\t")[1:]
            if '""' in line:  # P6 doubles a double quote inside a value
                values = [v.replace('""', '"') for v in values]
            nf = len(table.fields)
            if len(values) < nf:
                values.extend([""] * (nf - len(values)))
            elif len(values) > nf:
                if any(v for v in values[nf:]):
                    raise FileFormatError(
                        f"row has {len(values)} values, %F declares {nf} fields",
                        FileLocation(name, line=n, record=table.name),
                    )
                del values[nf:]
            table.rows.append(values)
            table.lines.append(n)
        elif tag == "%T":
            tname = line[2:].strip()
            if not tname:
                raise FileFormatError("%T without a table name", FileLocation(name, line=n))
            table = tables.setdefault(tname, XerTable(tname, line=n))
        elif tag == "%F":
            if table is None:
                raise FileFormatError("%F before any %T", FileLocation(name, line=n))
            fields = tuple(line.split("\t")[1:])
            if table.fields and table.fields != fields:
                raise FileFormatError(
                    "a table repeats with other fields",
                    FileLocation(name, line=n, record=table.name),
                )
            table.fields = fields
        elif tag == "%E":
            ended = True
        else:
            raise FileFormatError(
                f"unexpected line (not %T, %F, %R or %E): {line[:40]!r}",
                FileLocation(name, line=n, record=table.name if table else None),
            )
    if not ended:
        raise FileFormatError(
            "no %E end marker: the file is truncated", FileLocation(name, line=len(lines))
        )
    return header, tables


# ----------------------------------------------------------------------------------------------
# values
# ----------------------------------------------------------------------------------------------


class _Row:
    """One row as a mapping, with typed getters that name the line and field on error."""

    __slots__ = ("data", "line", "name", "table")

    def __init__(self, name: str, table: str, line: int, data: dict[str, str]) -> None:
        self.name, self.table, self.line, self.data = name, table, line, data

    def fail(self, message: str, column: str) -> FileFormatError:
        return FileFormatError(
            message, FileLocation(self.name, line=self.line, record=self.table, column=column)
        )

    def s(self, key: str) -> str:
        return self.data.get(key, "")

    def num(self, key: str) -> float | None:
        v = self.data.get(key, "")
        if not v:
            return None
        try:
            return float(v)
        except ValueError:
            raise self.fail(f"not a number: {v!r}", key) from None

    def minutes(self, key: str) -> int | None:
        """An hour count (P6 ``*_hr_cnt``, ``*_qty``) as minutes."""
        v = self.num(key)
        return None if v is None else round(v * 60)

    def money(self, key: str) -> Decimal | None:
        v = self.data.get(key, "")
        if not v:
            return None
        try:
            return Decimal(v)
        except InvalidOperation:
            raise self.fail(f"not an amount: {v!r}", key) from None

    def dt(self, key: str) -> datetime | None:
        v = self.data.get(key, "")
        if not v:
            return None
        try:
            return datetime.fromisoformat(v)  # "YYYY-MM-DD HH:MM" (C-fast; seconds allowed)
        except ValueError:
            raise self.fail(f"not a date (YYYY-MM-DD HH:MM): {v!r}", key) from None

    def flag(self, key: str) -> bool:
        return self.data.get(key, "") == "Y"


def _rows(tables: Mapping[str, XerTable], table: str, name: str) -> Iterator[_Row]:
    t = tables.get(table)
    if t is None:
        return
    for line, data in t.records():
        yield _Row(name, table, line, data)


# ----------------------------------------------------------------------------------------------
# calendars: clndr_data
# ----------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\(|\)|[^()]+")


@dataclass
class _Node:
    name: str
    attrs: dict[str, str]
    children: list[_Node]


def _parse_nodes(text: str) -> list[_Node]:
    """P6's nested ``(0||Name(key|value|key|value)(children))`` structure."""
    text = text.replace("\x7f", " ")
    tokens = [t for t in _TOKEN.findall(text) if t.strip() or t in "()"]
    pos = 0

    def node() -> _Node:
        nonlocal pos
        # "(" head "(" attrs ")" "(" children ")" ")"
        if tokens[pos] != "(":
            raise ValueError("expected (")
        pos += 1
        head = tokens[pos].strip() if tokens[pos] not in "()" else ""
        if head:
            pos += 1
        name = head.split("||", 1)[1] if "||" in head else head
        attrs: dict[str, str] = {}
        if tokens[pos] != "(":
            raise ValueError("expected ( before attributes")
        pos += 1
        if tokens[pos] != ")":
            parts = [p.strip() for p in tokens[pos].split("|")]
            attrs = {parts[i]: parts[i + 1] for i in range(0, len(parts) - 1, 2)}
            pos += 1
        if tokens[pos] != ")":
            raise ValueError("expected ) after attributes")
        pos += 1
        children: list[_Node] = []
        if pos < len(tokens) and tokens[pos] == "(":
            pos += 1
            while tokens[pos] == "(":
                children.append(node())
            if tokens[pos] != ")":
                raise ValueError("expected ) after children")
            pos += 1
        if tokens[pos] != ")":
            raise ValueError("expected ) closing a node")
        pos += 1
        return _Node(name.strip(), attrs, children)

    out: list[_Node] = []
    try:
        while pos < len(tokens):
            if tokens[pos].strip() == "":
                pos += 1
                continue
            out.append(node())
    except (IndexError, ValueError) as exc:
        raise ValueError(f"malformed calendar data near token {pos}: {exc}") from None
    return out


def _hhmm(text: str) -> int:
    h, _, m = text.strip().partition(":")
    return int(h) * 60 + int(m or 0)


def _intervals(nodes: Iterable[_Node]) -> WorkingTimes:
    out: list[tuple[int, int]] = []
    for n in nodes:
        if "s" not in n.attrs or "f" not in n.attrs:
            continue
        a, b = _hhmm(n.attrs["s"]), _hhmm(n.attrs["f"])
        if b <= a:
            b += MINUTES_PER_DAY  # "f|00:00" ends at midnight
        out.append((a, min(b, MINUTES_PER_DAY)))
    out.sort()
    merged: list[tuple[int, int]] = []
    for a, b in out:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        elif b > a:
            merged.append((a, b))
    return tuple(merged)


def _serial_date(text: str) -> date:
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    return datetime.fromisoformat(text).date()


def parse_clndr_data(
    text: str,
) -> tuple[tuple[WorkingTimes | None, ...], tuple[CalendarException, ...]]:
    """``clndr_data`` -> (week Monday first, ``None`` = not given; exceptions).

    ``(0||CalendarData()((0||DaysOfWeek()((0||1()(<intervals>))...(0||7()(...))))
    (0||Exceptions()((0||0(d|41519)(<intervals>))...))))``: days 1..7 are Sunday..Saturday,
    an interval is ``(0||0(s|08:00|f|12:00)())`` (``f|00:00`` = midnight), an exception's
    ``d`` is an Excel serial day number (days since 1899-12-30) and no intervals = a
    non-working day.
    """
    week: list[WorkingTimes | None] = [None] * 7
    exceptions: list[CalendarException] = []
    if not text.strip():
        return tuple(week), ()
    roots = _parse_nodes(text)
    stack = list(roots)
    while stack:
        n = stack.pop()
        if n.name == "DaysOfWeek":
            week = [()] * 7
            for d in n.children:
                if d.name.isdigit() and 1 <= int(d.name) <= 7:
                    week[(int(d.name) + 5) % 7] = _intervals(d.children)
        elif n.name == "Exceptions":
            for e in n.children:
                if "d" in e.attrs:
                    day = _serial_date(e.attrs["d"])
                    exceptions.append(CalendarException(day, day, _intervals(e.children)))
        else:
            stack.extend(n.children)
    exceptions.sort(key=lambda e: e.start)
    return tuple(week), tuple(exceptions)


def format_clndr_data(week: Sequence[WorkingTimes], exceptions: Iterable[CalendarException]) -> str:
    """The ``clndr_data`` text of a week (Monday first) and exceptions."""

    def intervals(times: WorkingTimes) -> str:
        return "".join(
            f"(0||{i}(s|{a // 60:02d}:{a % 60:02d}|f|{(b % MINUTES_PER_DAY) // 60:02d}:"
            f"{b % 60:02d})())"
            for i, (a, b) in enumerate(times)
        )

    days = "".join(f"(0||{k}()({intervals(week[(k + 5) % 7])}))" for k in range(1, 8))
    exc: list[str] = []
    i = 0
    for e in exceptions:
        d = e.start
        while d <= e.finish:
            serial = (d - EXCEL_EPOCH).days
            exc.append(f"(0||{i}(d|{serial})({intervals(e.working_times)}))")
            i += 1
            d += timedelta(days=1)
    return (
        f"(0||CalendarData()((0||DaysOfWeek()({days}))(0||VIEW(ShowTotal|Y)())"
        f"(0||Exceptions()({''.join(exc)}))))"
    )


# ----------------------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------------------

_TASK_MODELLED = frozenset(
    {"task_id", "proj_id", "wbs_id", "clndr_id", "phys_complete_pct", "task_code",
     "task_name", "total_float_hr_cnt", "free_float_hr_cnt", "remain_drtn_hr_cnt",
     "target_drtn_hr_cnt", "cstr_date", "act_start_date", "act_end_date", "late_start_date",
     "late_end_date", "early_start_date", "early_end_date", "target_start_date",
     "target_end_date", "cstr_type", "cstr_date2", "cstr_type2", "act_work_qty",
     "remain_work_qty"}
)  # fmt: skip
_WBS_MODELLED = frozenset({"wbs_id", "proj_id", "parent_wbs_id", "wbs_short_name", "wbs_name"})
_RSRC_MODELLED = frozenset(
    {"rsrc_id", "parent_rsrc_id", "clndr_id", "rsrc_name", "rsrc_short_name", "rsrc_type",
     "email_addr", "rsrc_notes"}
)  # fmt: skip
_ASSIGN_MODELLED = frozenset(
    {"taskrsrc_id", "task_id", "proj_id", "rsrc_id", "target_qty_per_hr", "remain_qty",
     "act_reg_qty", "remain_cost", "act_reg_cost", "act_start_date", "act_end_date"}
)  # fmt: skip
_PRED_MODELLED = frozenset(
    {"task_pred_id", "task_id", "pred_task_id", "proj_id", "pred_type", "lag_hr_cnt"}
)  # fmt: skip
_PROJECT_MODELLED = frozenset(
    {"proj_id", "proj_short_name", "clndr_id", "critical_drtn_hr_cnt", "last_recalc_date",
     "plan_start_date", "plan_end_date", "scd_end_date", "add_date"}
)  # fmt: skip


def read_xer(
    source: Source,
    *,
    encoding: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> list[ProjectDocument]:
    """Read an XER file: one :class:`ProjectDocument` per project, in file order.

    Links from an activity of another project in the file are kept in the successor's
    document with ``external=True`` (:func:`~pmo.interop.document.combine` joins the
    documents into a program and makes them internal again). Each document holds the global
    calendars and resources, plus its own project calendars.
    """
    fname = source_name(source, name)
    header, tables, _ = read_xer_tables(source, encoding=encoding, max_bytes=max_bytes, name=name)
    return _Builder(fname, header, tables).documents()


class _Builder:
    def __init__(self, name: str, header: list[str], tables: dict[str, XerTable]) -> None:
        self.name = name
        self.header = header
        self.tables = tables
        self.currency = header[-1].strip() if len(header) > 8 else ""

    def rows(self, table: str) -> Iterator[_Row]:
        return _rows(self.tables, table, self.name)

    def documents(self) -> list[ProjectDocument]:
        projects = list(self.rows("PROJECT"))
        if not projects:
            raise FileFormatError("no PROJECT table: nothing to import", FileLocation(self.name))
        calendars = list(self.rows("CALENDAR"))
        sched = {r.s("proj_id"): r for r in self.rows("SCHEDOPTIONS")}
        wbs_rows = list(self.rows("PROJWBS"))
        task_rows = list(self.rows("TASK"))
        task_project = {r.s("task_id"): r.s("proj_id") for r in task_rows}
        pred_rows = list(self.rows("TASKPRED"))
        resources = self.resources()
        assign_rows = list(self.rows("TASKRSRC"))
        memos: dict[str, list[str]] = {}
        for r in self.rows("TASKMEMO"):
            memos.setdefault(r.s("task_id"), []).append(
                r.s("task_memo").replace(MEMO_BREAK, "\r\n")
            )
        udf_types, udf_values = self.udfs()
        codes_def, task_codes = self.activity_codes()
        docs = []
        for p in projects:
            pid = p.s("proj_id")
            docs.append(
                self.project(
                    p,
                    [c for c in calendars if c.s("proj_id") in ("", pid)],
                    sched.get(pid),
                    [w for w in wbs_rows if w.s("proj_id") == pid],
                    [t for t in task_rows if t.s("proj_id") == pid],
                    [lk for lk in pred_rows if task_project.get(lk.s("task_id")) == pid],
                    resources,
                    [a for a in assign_rows if task_project.get(a.s("task_id")) == pid],
                    memos,
                    (udf_types, udf_values),
                    (codes_def, task_codes),
                )
            )
        return docs

    # -- pieces shared by every project --------------------------------------------------------

    def resources(self) -> list[DocResource]:
        rates: dict[str, list[RateEntry]] = {}
        for r in self.rows("RSRCRATE"):
            rates.setdefault(r.s("rsrc_id"), []).append(
                RateEntry(
                    start=r.dt("start_date"),
                    standard_rate=r.money("cost_per_qty") or Decimal(0),
                    max_units=r.num("max_qty_per_hr"),
                )
            )
        out = []
        for r in self.rows("RSRC"):
            rid = r.s("rsrc_id")
            if not rid:
                raise r.fail("a resource needs an rsrc_id", "rsrc_id")
            own = sorted(rates.get(rid, []), key=lambda x: x.start or datetime.min)
            first = own[0] if own else None
            out.append(
                DocResource(
                    id=rid,
                    name=r.s("rsrc_name"),
                    code=r.s("rsrc_short_name"),
                    type=RESOURCE_TYPES.get(r.s("rsrc_type"), ResourceType.WORK),
                    max_units=first.max_units if first else None,
                    standard_rate=first.standard_rate if first else None,
                    rates=tuple(own),
                    calendar=r.s("clndr_id") or None,
                    parent=r.s("parent_rsrc_id") or None,
                    email=r.s("email_addr"),
                    notes=r.s("rsrc_notes").replace(MEMO_BREAK, "\r\n"),
                    extra=_extra(r, _RSRC_MODELLED),
                )
            )
        return out

    def udfs(
        self,
    ) -> tuple[dict[str, TagDefinition], dict[tuple[str, str], list[tuple[str, str]]]]:
        """UDF definitions by udf_type_id and values by (table, fk_id)."""
        defs: dict[str, TagDefinition] = {}
        tables: dict[str, str] = {}
        for r in self.rows("UDFTYPE"):
            tid = r.s("udf_type_id")
            scope = _UDF_SCOPES.get(r.s("table_name"), r.s("table_name").lower())
            tables[tid] = r.s("table_name")
            defs[tid] = TagDefinition(
                name=r.s("udf_type_label") or r.s("udf_type_name"),
                scope=scope,
                kind="udf",
                data_type=UDF_TYPES.get(r.s("logical_data_type"), "text"),
                source_id=tid,
            )
        values: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for r in self.rows("UDFVALUE"):
            tid = r.s("udf_type_id")
            d = defs.get(tid)
            if d is None:
                continue
            value = r.s("udf_text") or r.s("udf_number") or r.s("udf_date") or r.s("udf_code_id")
            values.setdefault((tables[tid], r.s("fk_id")), []).append((d.name, value))
        return defs, values

    def activity_codes(self) -> tuple[dict[str, TagDefinition], dict[str, list[tuple[str, str]]]]:
        types: dict[str, tuple[str, str]] = {}
        for r in self.rows("ACTVTYPE"):
            types[r.s("actv_code_type_id")] = (r.s("actv_code_type"), r.s("proj_id"))
        values: dict[str, dict[str, str]] = {t: {} for t in types}
        code_of: dict[str, tuple[str, str]] = {}
        for r in self.rows("ACTVCODE"):
            t = r.s("actv_code_type_id")
            values.setdefault(t, {})[r.s("short_name")] = r.s("actv_code_name")
            code_of[r.s("actv_code_id")] = (t, r.s("short_name"))
        defs = {
            t: TagDefinition(
                name=types.get(t, (f"Code {t}", ""))[0],
                scope="task",
                kind="code",
                data_type="code",
                source_id=t,
                values=values.get(t, {}),
            )
            for t in values
        }
        per_task: dict[str, list[tuple[str, str]]] = {}
        for r in self.rows("TASKACTV"):
            hit = code_of.get(r.s("actv_code_id"))
            if hit is None or hit[0] not in defs:
                continue
            per_task.setdefault(r.s("task_id"), []).append((defs[hit[0]].name, hit[1]))
        return defs, per_task

    # -- one project ---------------------------------------------------------------------------

    def project(
        self,
        p: _Row,
        cal_rows: list[_Row],
        sched: _Row | None,
        wbs_rows: list[_Row],
        task_rows: list[_Row],
        pred_rows: list[_Row],
        resources: list[DocResource],
        assign_rows: list[_Row],
        memos: Mapping[str, list[str]],
        udf: tuple[dict[str, TagDefinition], dict[tuple[str, str], list[tuple[str, str]]]],
        codes: tuple[dict[str, TagDefinition], dict[str, list[tuple[str, str]]]],
    ) -> ProjectDocument:
        pid = p.s("proj_id")
        calendars = self.calendars(cal_rows)
        cal_ids = {c.id for c in calendars}
        default_cal = p.s("clndr_id") or next((c.id for c in calendars if c.is_default), None)
        if default_cal not in cal_ids:
            default_cal = calendars[0].id if calendars else None
        project_cal = next((c for c in calendars if c.id == default_cal), None)
        mpd = (project_cal.minutes_per_day if project_cal else None) or 480
        data_date = p.dt("last_recalc_date")

        # options
        lag_cal = LagCalendar.PREDECESSOR  # P6's default
        progress = ProgressMode.RETAINED_LOGIC
        sched_extra: dict[str, str] = {}
        if sched is not None:
            lag_cal = LAG_CALENDARS.get(sched.s("sched_calendar_on_relationship_lag"), lag_cal)
            if sched.flag("sched_progress_override"):
                progress = ProgressMode.PROGRESS_OVERRIDE
            sched_extra = {
                f"p6.sched.{k}": v
                for k, v in sched.data.items()
                if v and k not in ("schedoptions_id", "proj_id")
            }
        udf_defs, udf_values = udf
        code_defs, task_codes = codes

        # WBS outline
        wbs_by_id = {w.s("wbs_id"): w for w in wbs_rows}
        root = next((w for w in wbs_rows if w.flag("proj_node_flag")), None)
        name = root.s("wbs_name") if root else p.s("proj_short_name")
        props = ProjectProperties(
            id=pid,
            name=name,
            code=p.s("proj_short_name"),
            start=p.dt("plan_start_date"),
            finish=p.dt("scd_end_date"),
            status_date=data_date,
            schedule_from_status_date=True,
            must_finish_by=p.dt("plan_end_date"),
            currency=self.currency,
            default_calendar=default_cal,
            minutes_per_day=mpd,
            minutes_per_week=(project_cal.minutes_per_week if project_cal else None) or 5 * mpd,
            honor_constraints=False,  # P6: late constraints only bound the backward pass
            critical_slack=p.minutes("critical_drtn_hr_cnt") or 0,
            lag_calendar=lag_cal,
            progress_mode=progress,
            created=p.dt("add_date"),
            extra={**_extra(p, _PROJECT_MODELLED), **sched_extra},
        )

        def wbs_code(wid: str) -> str:
            parts: list[str] = []
            seen: set[str] = set()
            while wid in wbs_by_id and wid not in seen:
                seen.add(wid)
                w = wbs_by_id[wid]
                parts.append(w.s("wbs_short_name"))
                if w.flag("proj_node_flag"):
                    break
                wid = w.s("parent_wbs_id")
            return ".".join(reversed(parts))

        wbs_children: dict[str, list[_Row]] = {}
        for w in wbs_rows:
            if w is root:
                continue
            parent = w.s("parent_wbs_id")
            if parent not in wbs_by_id:
                parent = root.s("wbs_id") if root else ""
            wbs_children.setdefault(parent, []).append(w)
        task_children: dict[str, list[_Row]] = {}
        for t in task_rows:
            wid = t.s("wbs_id")
            if wid not in wbs_by_id:
                wid = root.s("wbs_id") if root else ""
            task_children.setdefault(wid, []).append(t)

        durations = self.actual_durations(task_rows, calendars, data_date)
        tasks: list[DocTask] = []

        def visit_wbs(w: _Row, level: int, parent: str | None) -> None:
            wid = w.s("wbs_id")
            did = "wbs:" + wid
            tags = dict(udf_values.get(("PROJWBS", wid), []))
            tasks.append(
                DocTask(
                    id=did,
                    name=w.s("wbs_name"),
                    parent=parent,
                    outline_level=level,
                    wbs=wbs_code(wid),
                    code=wbs_code(wid),
                    project=pid,
                    summary=True,
                    wbs_node=True,
                    tags=tags,
                    extra=_extra(w, _WBS_MODELLED),
                )
            )
            # activities first (by Activity ID), then the WBS elements (by sequence number),
            # the order MPXJ and P6's Activities view use
            for t in sorted(task_children.get(wid, []), key=lambda r: r.s("task_code")):
                tasks.append(self.task(t, level + 1, did, durations, memos, udf_values, task_codes))
            for child in sorted(
                wbs_children.get(wid, []),
                key=lambda r: (_int(r.s("seq_num")), r.line),
            ):
                visit_wbs(child, level + 1, did)

        if root is not None:
            visit_wbs(root, 1, None)
        else:  # no project WBS node: activities (and WBS elements) at the top
            for t in sorted(task_children.get("", []), key=lambda r: r.s("task_code")):
                tasks.append(self.task(t, 1, None, durations, memos, udf_values, task_codes))
            for w in sorted(wbs_children.get("", []), key=lambda r: (_int(r.s("seq_num")), r.line)):
                visit_wbs(w, 1, None)
        seen_ids = {t.id for t in tasks}
        if len(seen_ids) != len(tasks):
            dup = next(
                r
                for r in task_rows
                if sum(1 for x in task_rows if x.s("task_id") == r.s("task_id")) > 1
            )
            raise dup.fail(f"task_id {dup.s('task_id')} repeats", "task_id")

        links = []
        for r in pred_rows:
            pred, succ = r.s("pred_task_id"), r.s("task_id")
            kind = r.s("pred_type")
            if kind not in LINK_TYPES:
                raise r.fail(
                    f"unknown relationship type {kind!r} (PR_FS, PR_SS, PR_FF, PR_SF)", "pred_type"
                )
            links.append(
                DocLink(
                    predecessor=pred,
                    successor=succ,
                    type=LINK_TYPES[kind],
                    lag=float(r.minutes("lag_hr_cnt") or 0),
                    lag_unit=LagUnit.WORKING,
                    lag_format="h",
                    id=r.s("task_pred_id"),
                    external=pred not in seen_ids,
                    extra=_extra(r, _PRED_MODELLED),
                )
            )
        assignments = [self.assignment(a) for a in assign_rows]
        used_udfs = {name for (table, _), vals in udf_values.items() for name, _ in vals}
        tags = [d for d in udf_defs.values() if d.name in used_udfs or d.scope == "task"]
        tags += list(code_defs.values())
        resources_tagged = [
            r if not udf_values.get(("RSRC", r.id)) else _with_tags(r, udf_values[("RSRC", r.id)])
            for r in resources
        ]
        return ProjectDocument(
            project=props,
            calendars=calendars,
            tasks=tuple(tasks),
            links=tuple(links),
            resources=tuple(resources_tagged),
            assignments=tuple(assignments),
            tag_definitions=tuple(tags),
            source_format="xer",
        )

    def calendars(self, rows: list[_Row]) -> tuple[DocCalendar, ...]:
        raw = []
        for r in rows:
            cid = r.s("clndr_id")
            if not cid:
                raise r.fail("a calendar needs a clndr_id", "clndr_id")
            try:
                week, exceptions = parse_clndr_data(r.s("clndr_data"))
            except ValueError as exc:
                raise r.fail(str(exc), "clndr_data") from None
            day_hr = r.num("day_hr_cnt")
            week_hr = r.num("week_hr_cnt")
            kind = {"CA_Base": "base", "CA_Rsrc": "resource", "CA_Project": "project"}.get(
                r.s("clndr_type"), "base"
            )
            base = r.s("base_clndr_id") or None
            cal = DocCalendar(
                id=cid,
                name=r.s("clndr_name"),
                exceptions=exceptions,
                base=base,
                kind=kind,
                minutes_per_day=None if day_hr is None else round(day_hr * 60),
                minutes_per_week=None if week_hr is None else round(week_hr * 60),
                is_default=r.flag("default_flag"),
                extra=_extra(r, {"clndr_id", "clndr_name", "base_clndr_id", "clndr_type",
                                 "day_hr_cnt", "week_hr_cnt", "clndr_data", "default_flag"}),
            )  # fmt: skip
            if base is None:  # a base calendar: an unlisted day does not work
                week = tuple(() if d is None else d for d in week)
            raw.append((cal, week))
        return resolve_calendars(raw)

    def actual_durations(
        self, rows: list[_Row], calendars: Sequence[DocCalendar], data_date: datetime | None
    ) -> dict[str, int]:
        """Working minutes from the actual start to the actual finish (in progress: to the
        resume date ``restart_date``, else the data date) on each started activity's
        calendar: the actual duration, as MPXJ computes it."""
        started = [r for r in rows if r.s("act_start_date")]
        if not started:
            return {}
        usable = [c for c in calendars if any(c.week)]
        if not usable:
            return {}
        engine = [engine_calendar(c) for c in usable]
        pos = {c.id: i for i, c in enumerate(usable)}
        spans: list[tuple[str, int, int, int]] = []
        for r in started:
            a = r.dt("act_start_date")
            # P6's resume point (restart_date) ends the actual part of work in progress
            b = r.dt("act_end_date") or r.dt("restart_date") or data_date
            c = pos.get(r.s("clndr_id"))
            if a is None or b is None or c is None:
                continue
            spans.append((r.s("task_id"), c, to_minutes(a), to_minutes(b)))
        if not spans:
            return {}
        arr = np.array([s[1:] for s in spans], dtype=np.int64)
        lo = int(arr[:, 1:].min()) // MINUTES_PER_DAY - 2
        hi = int(arr[:, 1:].max()) // MINUTES_PER_DAY + 2
        if hi - lo > 200 * 366:  # absurd dates: leave those durations unknown
            keep = (arr[:, 2] - arr[:, 1]) < 200 * 366 * MINUTES_PER_DAY
            lo = int(np.min(arr[keep, 1:])) // MINUTES_PER_DAY - 2 if keep.any() else lo
            hi = int(np.max(arr[keep, 1:])) // MINUTES_PER_DAY + 2 if keep.any() else lo
        idx = build_index(engine, lo, hi)
        out: dict[str, int] = {}
        for tid, c, ta, tb in spans:
            if ta < idx.origin or tb >= idx.end:
                continue
            out[tid] = max(0, int(idx.ordinal(c, tb)) - int(idx.ordinal(c, ta)))
        return out

    def task(
        self,
        r: _Row,
        level: int,
        parent: str | None,
        durations: Mapping[str, int],
        memos: Mapping[str, list[str]],
        udf_values: Mapping[tuple[str, str], list[tuple[str, str]]],
        task_codes: Mapping[str, list[tuple[str, str]]],
    ) -> DocTask:
        tid = r.s("task_id")
        if not tid:
            raise r.fail("an activity needs a task_id", "task_id")
        ctype = r.s("cstr_type")
        if ctype and ctype not in CONSTRAINTS:
            raise r.fail(f"unknown constraint type {ctype!r}", "cstr_type")
        ctype2 = r.s("cstr_type2")
        if ctype2 and ctype2 not in CONSTRAINTS:
            raise r.fail(f"unknown constraint type {ctype2!r}", "cstr_type2")
        target = r.minutes("target_drtn_hr_cnt")
        remaining = r.minutes("remain_drtn_hr_cnt")
        actual_start = r.dt("act_start_date")
        actual_finish = r.dt("act_end_date")
        actual = durations.get(tid) if actual_start is not None else None
        if actual_finish is not None:
            duration = actual if actual is not None else target
        elif actual_start is not None:
            duration = (actual or 0) + (remaining or 0)
        else:
            duration = remaining if remaining is not None else target
        # duration % complete, as P6 and MPXJ compute it from the planned and remaining
        pct = 0.0
        if target:
            rem = remaining or 0
            if rem < target:
                pct = (target - rem) * 100.0 / target
        elif r.s("status_code") == "TK_Complete":
            pct = 100.0
        tt = r.s("task_type")
        tags = dict(udf_values.get(("TASK", tid), []))
        tags.update(task_codes.get(tid, []))
        work_a = r.minutes("act_work_qty")
        work_r = r.minutes("remain_work_qty")
        tf = r.minutes("total_float_hr_cnt")
        return DocTask(
            id=tid,
            name=r.s("task_name"),
            parent=parent,
            outline_level=level,
            code=r.s("task_code"),
            project=r.s("proj_id"),
            milestone=tt in ("TT_Mile", "TT_FinMile"),
            duration=duration,
            duration_format="h",
            remaining=remaining,
            actual_duration=actual,
            planned_duration=target,
            planned_start=r.dt("target_start_date"),
            planned_finish=r.dt("target_end_date"),
            constraint_type=CONSTRAINTS[ctype] if ctype else None,
            constraint_date=r.dt("cstr_date"),
            secondary_constraint_type=CONSTRAINTS[ctype2] if ctype2 else None,
            secondary_constraint_date=r.dt("cstr_date2"),
            percent_complete=pct,
            physical_percent_complete=r.num("phys_complete_pct"),
            actual_start=actual_start,
            actual_finish=actual_finish,
            start=actual_start or r.dt("restart_date") or r.dt("early_start_date"),
            finish=actual_finish or r.dt("reend_date") or r.dt("early_end_date"),
            early_start=r.dt("early_start_date"),
            early_finish=r.dt("early_end_date"),
            late_start=r.dt("late_start_date"),
            late_finish=r.dt("late_end_date"),
            total_slack=tf,
            free_slack=r.minutes("free_float_hr_cnt"),
            critical=None,
            notes="\n".join(memos.get(tid, [])),
            calendar=r.s("clndr_id") or None,
            resource_calendars=tt == "TT_Rsrc",
            work=None if work_a is None and work_r is None else (work_a or 0) + (work_r or 0),
            actual_work=work_a,
            tags=tags,
            extra=_extra(r, _TASK_MODELLED),
        )

    def assignment(self, r: _Row) -> DocAssignment:
        act_reg = r.minutes("act_reg_qty")
        act_ot = r.minutes("act_ot_qty")
        rem = r.minutes("remain_qty")
        actual = None if act_reg is None and act_ot is None else (act_reg or 0) + (act_ot or 0)
        cost_a = r.money("act_reg_cost")
        cost_ot = r.money("act_ot_cost")
        cost_r = r.money("remain_cost")
        actual_cost = (
            None
            if cost_a is None and cost_ot is None
            else (cost_a or Decimal(0)) + (cost_ot or Decimal(0))
        )
        return DocAssignment(
            id=r.s("taskrsrc_id"),
            task=r.s("task_id"),
            resource=r.s("rsrc_id"),
            units=r.num("target_qty_per_hr") or 0.0,
            work=None if actual is None and rem is None else (actual or 0) + (rem or 0),
            actual_work=actual,
            remaining_work=rem,
            cost=None
            if actual_cost is None and cost_r is None
            else Decimal(actual_cost or 0) + (cost_r or 0),
            actual_cost=actual_cost,
            start=r.dt("act_start_date") or r.dt("restart_date"),
            finish=r.dt("act_end_date") or r.dt("reend_date"),
            actual_start=r.dt("act_start_date"),
            actual_finish=r.dt("act_end_date"),
            extra=_extra(r, _ASSIGN_MODELLED),
        )


def _extra(r: _Row, modelled: Iterable[str]) -> dict[str, str]:
    skip = set(modelled)
    return {f"p6.{k}": v for k, v in r.data.items() if v and k not in skip}


def _int(text: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        return 0


def _with_tags(r: DocResource, values: list[tuple[str, str]]) -> DocResource:
    return replace(r, tags=dict(values))


# ----------------------------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------------------------

# Field lists of the tables written, in P6's order (as P6 8.x-23 exports them).
_FIELDS: dict[str, tuple[str, ...]] = {
    "CURRTYPE": (
        "curr_id", "decimal_digit_cnt", "curr_symbol", "decimal_symbol", "digit_group_symbol",
        "pos_curr_fmt_type", "neg_curr_fmt_type", "curr_type", "curr_short_name",
        "group_digit_cnt", "base_exch_rate",
    ),
    "UDFTYPE": (
        "udf_type_id", "table_name", "udf_type_name", "udf_type_label", "logical_data_type",
        "super_flag", "indicator_expression", "summary_indicator_expression",
    ),
    "PROJECT": (
        "proj_id", "fy_start_month_num", "rsrc_self_add_flag", "allow_complete_flag",
        "rsrc_multi_assign_flag", "checkout_flag", "project_flag", "step_complete_flag",
        "cost_qty_recalc_flag", "batch_sum_flag", "name_sep_char", "def_complete_pct_type",
        "proj_short_name", "acct_id", "orig_proj_id", "source_proj_id", "base_type_id",
        "clndr_id", "sum_base_proj_id", "task_code_base", "task_code_step", "priority_num",
        "wbs_max_sum_level", "strgy_priority_num", "last_checksum", "critical_drtn_hr_cnt",
        "def_cost_per_qty", "last_recalc_date", "plan_start_date", "plan_end_date",
        "scd_end_date", "add_date", "last_tasksum_date", "fcst_start_date",
        "def_duration_type", "task_code_prefix", "guid", "def_qty_type", "add_by_name",
        "web_local_root_path", "proj_url", "def_rate_type", "add_act_remain_flag",
        "act_this_per_link_flag", "def_task_type", "act_pct_link_flag", "critical_path_type",
        "task_code_prefix_flag", "def_rollup_dates_flag", "use_project_baseline_flag",
        "rem_target_link_flag", "reset_planned_flag", "allow_neg_act_flag", "sum_assign_level",
        "last_fin_dates_id", "last_baseline_update_date", "cr_external_key",
        "apply_actuals_date", "location_id", "loaded_scope_level", "export_flag",
        "new_fin_dates_id", "baselines_to_export", "baseline_names_to_export",
        "next_data_date", "close_period_flag", "sum_refresh_date", "trsrcsum_loaded",
    ),
    "CALENDAR": (
        "clndr_id", "default_flag", "clndr_name", "proj_id", "base_clndr_id", "last_chng_date",
        "clndr_type", "day_hr_cnt", "week_hr_cnt", "month_hr_cnt", "year_hr_cnt",
        "rsrc_private", "clndr_data",
    ),
    "SCHEDOPTIONS": (
        "schedoptions_id", "proj_id", "sched_outer_depend_type", "sched_open_critical_flag",
        "sched_lag_early_start_flag", "sched_retained_logic", "sched_setplantoforecast",
        "sched_float_type", "sched_calendar_on_relationship_lag", "sched_use_expect_end_flag",
        "sched_progress_override", "level_float_thrs_cnt", "level_outer_assign_flag",
        "level_outer_assign_priority", "level_over_alloc_pct", "level_within_float_flag",
        "level_keep_sched_date_flag", "level_all_rsrc_flag",
        "sched_use_project_end_date_for_float", "enable_multiple_longest_path_calc",
        "limit_multiple_longest_path_calc", "max_multiple_longest_path",
        "use_total_float_multiple_longest_paths", "key_activity_for_multiple_longest_paths",
        "LevelPriorityList",
    ),
    "PROJWBS": (
        "wbs_id", "proj_id", "obs_id", "seq_num", "est_wt", "proj_node_flag", "sum_data_flag",
        "status_code", "wbs_short_name", "wbs_name", "phase_id", "parent_wbs_id",
        "ev_user_pct", "ev_etc_user_value", "orig_cost", "indep_remain_total_cost",
        "ann_dscnt_rate_pct", "dscnt_period_type", "indep_remain_work_qty",
        "anticip_start_date", "anticip_end_date", "ev_compute_type", "ev_etc_compute_type",
        "guid", "tmpl_guid", "plan_open_state",
    ),
    "RSRC": (
        "rsrc_id", "parent_rsrc_id", "clndr_id", "role_id", "shift_id", "user_id", "pobs_id",
        "guid", "rsrc_seq_num", "email_addr", "employee_code", "office_phone", "other_phone",
        "rsrc_name", "rsrc_short_name", "rsrc_title_name", "def_qty_per_hr", "cost_qty_type",
        "ot_factor", "active_flag", "auto_compute_act_flag", "def_cost_qty_link_flag",
        "ot_flag", "curr_id", "unit_id", "rsrc_type", "location_id", "rsrc_notes",
        "load_tasks_flag", "level_flag", "last_checksum",
    ),
    "ACTVTYPE": (
        "actv_code_type_id", "actv_short_len", "seq_num", "actv_code_type", "proj_id",
        "wbs_id", "actv_code_type_scope",
    ),
    "RSRCRATE": (
        "rsrc_rate_id", "rsrc_id", "max_qty_per_hr", "cost_per_qty", "start_date",
        "shift_period_id", "cost_per_qty2", "cost_per_qty3", "cost_per_qty4", "cost_per_qty5",
    ),
    "TASK": (
        "task_id", "proj_id", "wbs_id", "clndr_id", "phys_complete_pct", "rev_fdbk_flag",
        "est_wt", "lock_plan_flag", "auto_compute_act_flag", "complete_pct_type", "task_type",
        "duration_type", "status_code", "task_code", "task_name", "rsrc_id",
        "total_float_hr_cnt", "free_float_hr_cnt", "remain_drtn_hr_cnt", "act_work_qty",
        "remain_work_qty", "target_work_qty", "target_drtn_hr_cnt", "target_equip_qty",
        "act_equip_qty", "remain_equip_qty", "cstr_date", "act_start_date", "act_end_date",
        "late_start_date", "late_end_date", "expect_end_date", "early_start_date",
        "early_end_date", "restart_date", "reend_date", "target_start_date", "target_end_date",
        "rem_late_start_date", "rem_late_end_date", "cstr_type", "priority_type",
        "suspend_date", "resume_date", "float_path", "float_path_order", "guid", "tmpl_guid",
        "cstr_date2", "cstr_type2", "driving_path_flag", "act_this_per_work_qty",
        "act_this_per_equip_qty", "external_early_start_date", "external_late_end_date",
        "create_date", "update_date", "create_user", "update_user", "location_id",
    ),
    "ACTVCODE": (
        "actv_code_id", "parent_actv_code_id", "actv_code_type_id", "actv_code_name",
        "short_name", "seq_num", "color", "total_assignments",
    ),
    "TASKMEMO": ("memo_id", "task_id", "memo_type_id", "proj_id", "task_memo"),
    "TASKPRED": (
        "task_pred_id", "task_id", "pred_task_id", "proj_id", "pred_proj_id", "pred_type",
        "lag_hr_cnt", "comments", "float_path", "aref", "arls",
    ),
    "TASKRSRC": (
        "taskrsrc_id", "task_id", "proj_id", "cost_qty_link_flag", "role_id", "acct_id",
        "rsrc_id", "pobs_id", "skill_level", "remain_qty", "target_qty", "remain_qty_per_hr",
        "target_lag_drtn_hr_cnt", "target_qty_per_hr", "act_ot_qty", "act_reg_qty",
        "relag_drtn_hr_cnt", "ot_factor", "cost_per_qty", "target_cost", "act_reg_cost",
        "act_ot_cost", "remain_cost", "act_start_date", "act_end_date", "restart_date",
        "reend_date", "target_start_date", "target_end_date", "rem_late_start_date",
        "rem_late_end_date", "rollup_dates_flag", "target_crv", "remain_crv", "actual_crv",
        "ts_pend_act_end_flag", "guid", "rate_type", "act_this_per_cost", "act_this_per_qty",
        "curv_id", "rsrc_type", "cost_per_qty_source_type", "create_user", "create_date",
        "has_rsrchours", "taskrsrc_sum_id",
    ),
    "TASKACTV": ("task_id", "actv_code_type_id", "actv_code_id", "proj_id"),
    "UDFVALUE": (
        "udf_type_id", "fk_id", "proj_id", "udf_date", "udf_number", "udf_text", "udf_code_id",
    ),
}  # fmt: skip

# Values P6 needs in a row it imports, when the document does not carry them.
_DEFAULTS: dict[str, dict[str, str]] = {
    "PROJECT": {
        "fy_start_month_num": "1", "rsrc_self_add_flag": "Y", "allow_complete_flag": "Y",
        "rsrc_multi_assign_flag": "Y", "checkout_flag": "N", "project_flag": "Y",
        "step_complete_flag": "N", "cost_qty_recalc_flag": "N", "batch_sum_flag": "Y",
        "name_sep_char": ".", "def_complete_pct_type": "CP_Drtn", "task_code_base": "1000",
        "task_code_step": "10", "priority_num": "10", "wbs_max_sum_level": "0",
        "strgy_priority_num": "100", "critical_drtn_hr_cnt": "0", "def_cost_per_qty": "0",
        "def_duration_type": "DT_FixedDUR2", "task_code_prefix": "A", "def_qty_type": "QT_Hour",
        "add_by_name": "pmo", "def_rate_type": "COST_PER_QTY", "add_act_remain_flag": "N",
        "act_this_per_link_flag": "Y", "def_task_type": "TT_Task", "act_pct_link_flag": "N",
        "critical_path_type": "CT_TotFloat", "task_code_prefix_flag": "Y",
        "def_rollup_dates_flag": "Y", "use_project_baseline_flag": "Y",
        "rem_target_link_flag": "Y", "reset_planned_flag": "N", "allow_neg_act_flag": "N",
        "sum_assign_level": "SL_Taskrsrc", "loaded_scope_level": "7", "export_flag": "Y",
    },
    "SCHEDOPTIONS": {
        "sched_outer_depend_type": "SD_Both", "sched_open_critical_flag": "N",
        "sched_lag_early_start_flag": "Y", "sched_retained_logic": "Y",
        "sched_setplantoforecast": "N", "sched_float_type": "FT_FF",
        "sched_use_expect_end_flag": "Y", "level_float_thrs_cnt": "0",
        "level_outer_assign_flag": "N", "level_outer_assign_priority": "5",
        "level_over_alloc_pct": "25", "level_within_float_flag": "N",
        "level_keep_sched_date_flag": "Y", "level_all_rsrc_flag": "Y",
        "sched_use_project_end_date_for_float": "Y",
    },
    "PROJWBS": {
        "seq_num": "0", "est_wt": "1", "sum_data_flag": "N", "status_code": "WS_Open",
        "ev_user_pct": "6", "ev_etc_user_value": "0.88", "orig_cost": "0",
        "indep_remain_total_cost": "0", "ev_compute_type": "EC_Cmp_pct",
        "ev_etc_compute_type": "EE_Rem_hr",
    },
    "RSRC": {
        "def_qty_per_hr": "1", "cost_qty_type": "QT_Hour", "active_flag": "Y",
        "auto_compute_act_flag": "Y", "def_cost_qty_link_flag": "Y", "ot_flag": "N",
        "curr_id": "1",
    },
    "TASK": {
        "rev_fdbk_flag": "N", "est_wt": "1", "lock_plan_flag": "N",
        "auto_compute_act_flag": "N", "complete_pct_type": "CP_Drtn",
        "duration_type": "DT_FixedDUR2", "priority_type": "PT_Normal",
        "driving_path_flag": "N", "act_equip_qty": "0", "remain_equip_qty": "0",
        "target_equip_qty": "0", "target_work_qty": "0", "act_this_per_work_qty": "0",
        "act_this_per_equip_qty": "0",
    },
    "TASKRSRC": {
        "cost_qty_link_flag": "Y", "target_lag_drtn_hr_cnt": "0", "relag_drtn_hr_cnt": "0",
        "act_ot_qty": "0", "act_ot_cost": "0", "rollup_dates_flag": "Y",
        "ts_pend_act_end_flag": "N", "rate_type": "COST_PER_QTY",
        "cost_per_qty_source_type": "ST_Rsrc",
    },
}  # fmt: skip

_INVALID_FIELD = re.compile("[\t\r\n]")


def _field(value: str) -> str:
    """A value as XER text: tabs and line breaks cannot appear, a double quote is doubled."""
    if not value:
        return ""
    value = value.replace("\r\n", MEMO_BREAK).replace("\n", MEMO_BREAK)
    return _INVALID_FIELD.sub(" ", value).replace('"', '""')


def _d(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _h(minutes: float | None) -> str:
    return "" if minutes is None else minutes_to_hours(minutes)


def _money(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _num_text(value: float | None) -> str:
    if value is None:
        return ""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


class _IdMap:
    """Document ids -> integer ids for one XER key space (numeric ids kept when unique)."""

    def __init__(self, start: int = 1) -> None:
        self.map: dict[str, int] = {}
        self.taken: set[int] = set()
        self.next = start

    def reserve(self, ids: Iterable[str]) -> None:
        for i in ids:
            raw = i.split(":", 1)[-1]
            if i not in self.map and raw.isdigit() and int(raw) not in self.taken:
                self.map[i] = int(raw)
                self.taken.add(int(raw))

    def __call__(self, key: str) -> str:
        if key not in self.map:
            while self.next in self.taken:
                self.next += 1
            self.map[key] = self.next
            self.taken.add(self.next)
        return str(self.map[key])


def xer_bytes(
    documents: ProjectDocument | Sequence[ProjectDocument], *, encoding: str | None = None
) -> bytes:
    """The documents (one project each) as one XER file.

    ``encoding``: default cp1252 when every text fits in it (what P6 writes in western
    locales), UTF-8 otherwise; pass ``"cp1251"`` for a Cyrillic P6 installation. UTF-8 is
    written with a byte-order mark: without it MPXJ (and so ProjectLibre) decodes an XER as
    cp1252 and garbles every non-Latin name (tests/interop/test_mpxj_readback.py).
    """
    docs = [documents] if isinstance(documents, ProjectDocument) else list(documents)
    text = "".join(_XerWriter(docs).lines())
    if encoding is None:
        try:
            return text.encode("cp1252")
        except UnicodeEncodeError:
            encoding = "utf-8"
    if encoding.replace("_", "-").lower() in {"utf-8", "utf8"}:
        return UTF8_BOM + text.encode("utf-8")
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise FileFormatError(
            f"text cannot be written as {encoding}: {exc.object[exc.start : exc.end]!r}"
        ) from None


def write_xer(
    documents: ProjectDocument | Sequence[ProjectDocument],
    target: str | Path | BinaryIO,
    *,
    encoding: str | None = None,
) -> None:
    data = xer_bytes(documents, encoding=encoding)
    if isinstance(target, str | Path):
        Path(target).write_bytes(data)
    else:
        target.write(data)


class _XerWriter:
    def __init__(self, docs: list[ProjectDocument]) -> None:
        self.docs = docs
        self.proj = _IdMap()
        self.proj.reserve(d.project.id for d in docs)
        self.cal = _IdMap()
        self.cal.reserve(c.id for d in docs for c in d.calendars)
        self.wbs = _IdMap()
        self.task = _IdMap()
        for d in docs:
            self.wbs.reserve(t.id for t in d.tasks if t.wbs_node)
            self.task.reserve(t.id for t in d.tasks if not t.wbs_node)
        self.rsrc = _IdMap()
        self.rsrc.reserve(r.id for d in docs for r in d.resources)
        self.asg = _IdMap()
        self.asg.reserve(a.id for d in docs for a in d.assignments)
        self.pred = _IdMap()
        self.pred.reserve(lk.id for d in docs for lk in d.links if lk.id)
        self.udf = _IdMap()
        self.code_type = _IdMap()
        for d in docs:
            self.udf.reserve(t.source_id for t in d.tag_definitions if t.kind == "udf")
            self.code_type.reserve(t.source_id for t in d.tag_definitions if t.kind == "code")
        self.code = _IdMap()
        self.memo = _IdMap()
        self.rate = _IdMap()
        self.codes: dict[str, str] = {}
        self.tables: dict[str, list[dict[str, str]]] = {name: [] for name in _FIELDS}

    def lines(self) -> Iterator[str]:
        self.build()
        currency = next((d.project.currency for d in self.docs if d.project.currency), "USD")
        yield (
            f"ERMHDR\t8.0\t{date.today().isoformat()}\tProject\tpmo\tpmo\tdbxDatabaseNoName"
            f"\tProject Management\t{currency}\r\n"
        )
        for name, rows in self.tables.items():
            if not rows:
                continue
            fields = list(_FIELDS[name])
            known = set(fields)
            for row in rows:  # fields kept from a P6 file that the standard list lacks
                for key in row:
                    if key not in known:
                        known.add(key)
                        fields.append(key)
            yield f"%T\t{name}\r\n%F\t" + "\t".join(fields) + "\r\n"
            for row in rows:
                yield "%R\t" + "\t".join(_field(row.get(f, "")) for f in fields) + "\r\n"
        yield "%E\r\n"

    def row(
        self,
        table: str,
        values: Mapping[str, str],
        extra: Mapping[str, str] = {},
        defaults: bool = True,
    ) -> None:
        """Append a row: P6's defaults (not for rows read from an XER file, which carry
        their own values in ``extra``), then ``extra``, then the modelled values."""
        out = dict(_DEFAULTS.get(table, {})) if defaults else {}
        out.update({k[3:]: v for k, v in extra.items() if k.startswith("p6.")})
        out.update({k: v for k, v in values.items() if v is not None})
        self.tables[table].append(out)

    # -- assembling ----------------------------------------------------------------------------

    def build(self) -> None:
        currency = next((d.project.currency for d in self.docs if d.project.currency), "USD")
        symbol = next(
            (d.project.currency_symbol for d in self.docs if d.project.currency_symbol), "$"
        )
        self.row("CURRTYPE", {
            "curr_id": "1", "decimal_digit_cnt": "2", "curr_symbol": symbol,
            "decimal_symbol": ".", "digit_group_symbol": ",", "pos_curr_fmt_type": "#1.1",
            "neg_curr_fmt_type": "(#1.1)", "curr_type": currency, "curr_short_name": currency,
            "group_digit_cnt": "3", "base_exch_rate": "1",
        })  # fmt: skip
        seen_cal: set[str] = set()
        seen_rsrc: set[str] = set()
        seen_tags: dict[tuple[str, str], TagDefinition] = {}
        for d in self.docs:
            for td in d.tag_definitions:
                seen_tags.setdefault((td.kind if td.kind == "code" else "udf", td.name), td)
        # tags present on tasks but without a definition become text UDFs
        for d in self.docs:
            for t in d.tasks:
                for name in t.tags:
                    if ("udf", name) not in seen_tags and ("code", name) not in seen_tags:
                        seen_tags[("udf", name)] = TagDefinition(name=name, scope="task")
        self.udf_defs = {k[1]: v for k, v in seen_tags.items() if k[0] == "udf"}
        self.code_defs = {k[1]: v for k, v in seen_tags.items() if k[0] == "code"}
        for name, td in self.udf_defs.items():
            table = {v: k for k, v in _UDF_SCOPES.items()}.get(td.scope, "TASK")
            uid = self.udf(td.source_id or f"udf:{name}")
            self.row("UDFTYPE", {
                "udf_type_id": uid, "table_name": table, "udf_type_name": f"user_field_{uid}",
                "udf_type_label": name, "logical_data_type": UDF_CODES.get(td.data_type, "FT_TEXT"),
                "super_flag": "N",
            })  # fmt: skip
        self.code_ids: dict[tuple[str, str], str] = {}
        for seq, (name, td) in enumerate(self.code_defs.items(), start=1):
            tid = self.code_type(td.source_id or f"code:{name}")
            values = dict(td.values)
            for d in self.docs:
                for t in d.tasks:
                    if name in t.tags:
                        values.setdefault(t.tags[name], "")
            width = max([len(v) for v in values] + [1])
            self.row("ACTVTYPE", {
                "actv_code_type_id": tid, "actv_short_len": str(width), "seq_num": str(seq),
                "actv_code_type": name, "actv_code_type_scope": "AS_Global",
            })  # fmt: skip
            for k, (short, desc) in enumerate(values.items(), start=1):
                cid = self.code(f"{name}\x00{short}")
                self.code_ids[(name, short)] = cid
                self.row("ACTVCODE", {
                    "actv_code_id": cid, "actv_code_type_id": tid, "actv_code_name": desc,
                    "short_name": short, "seq_num": str(k),
                })  # fmt: skip
        for d in self.docs:
            pid = self.proj(d.project.id or f"project:{id(d)}")
            for c in d.calendars:
                if c.id in seen_cal:
                    continue
                seen_cal.add(c.id)
                self.calendar(c, d, pid)
            for r in d.resources:
                if r.id in seen_rsrc:
                    continue
                seen_rsrc.add(r.id)
                self.resource(r)
        for d in self.docs:
            self.project(d)

    def calendar(self, c: DocCalendar, d: ProjectDocument, pid: str) -> None:
        base = None
        if c.base is not None:
            try:
                base = d.calendar(c.base)
            except KeyError:
                base = None
        own = c.exceptions
        if base is not None and c.exceptions[: len(base.exceptions)] == base.exceptions:
            own = c.exceptions[len(base.exceptions) :]
        week_min = c.minutes_per_week or sum(b - a for day in c.week for a, b in day)
        day_min = c.minutes_per_day or (week_min // max(1, sum(1 for day in c.week if day)))
        kind = {"resource": "CA_Rsrc", "project": "CA_Project"}.get(c.kind, "CA_Base")
        self.row("CALENDAR", {
            "clndr_id": self.cal(c.id),
            "default_flag": "Y" if c.is_default else "N",
            "clndr_name": c.name or f"Calendar {c.id}",
            "proj_id": pid if c.kind == "project" else "",
            "base_clndr_id": self.cal(base.id) if base is not None else "",
            "clndr_type": kind,
            "day_hr_cnt": _h(day_min),
            "week_hr_cnt": _h(week_min),
            "month_hr_cnt": c.extra.get("p6.month_hr_cnt", _h(week_min * 52 / 12)),
            "year_hr_cnt": c.extra.get("p6.year_hr_cnt", _h(week_min * 52)),
            "rsrc_private": c.extra.get("p6.rsrc_private", "N"),
            "clndr_data": format_clndr_data(c.week, _workweek_exceptions(c) + own),
        }, c.extra, defaults=False)  # fmt: skip

    def resource(self, r: DocResource) -> None:
        rid = self.rsrc(r.id)
        self.row("RSRC", {
            "rsrc_id": rid,
            "parent_rsrc_id": self.rsrc(r.parent) if r.parent else "",
            "clndr_id": self.cal(r.calendar) if r.calendar else "",
            "rsrc_name": r.name,
            "rsrc_short_name": r.code or r.name[:20] or f"R{rid}",
            "rsrc_type": RESOURCE_CODES.get(r.type, "RT_Labor"),
            "email_addr": r.email,
            "rsrc_notes": r.notes,
        }, r.extra, defaults=not any(k.startswith("p6.") for k in r.extra))  # fmt: skip
        rates = r.rates or (
            (RateEntry(standard_rate=r.standard_rate or Decimal(0), max_units=r.max_units),)
            if r.standard_rate is not None or r.max_units is not None
            else ()
        )
        for rate in rates:
            self.row("RSRCRATE", {
                "rsrc_rate_id": self.rate(f"{r.id}\x00{len(self.tables['RSRCRATE'])}"),
                "rsrc_id": rid,
                "max_qty_per_hr": _num_text(rate.max_units),
                "cost_per_qty": _money(rate.standard_rate),
                "start_date": _d(rate.start),
                "cost_per_qty2": "0", "cost_per_qty3": "0", "cost_per_qty4": "0",
                "cost_per_qty5": "0",
            })  # fmt: skip
        self.udf_values("RSRC", rid, "", r.tags)

    def udf_values(self, table: str, fk: str, pid: str, tags: Mapping[str, str]) -> None:
        for name, value in tags.items():
            td = self.udf_defs.get(name)
            if td is None:
                continue
            kind = td.data_type
            self.row("UDFVALUE", {
                "udf_type_id": self.udf(td.source_id or f"udf:{name}"),
                "fk_id": fk,
                "proj_id": pid,
                "udf_date": value if kind == "date" else "",
                "udf_number": value if kind in ("number", "cost") else "",
                "udf_text": value if kind not in ("date", "number", "cost", "code") else "",
                "udf_code_id": value if kind == "code" else "",
            })  # fmt: skip

    def project(self, d: ProjectDocument) -> None:
        p = d.project
        pid = self.proj(p.id or f"project:{id(d)}")
        cal = d.project_calendar
        tasks = d.tasks
        parents = {t.parent for t in tasks if t.parent is not None}
        by_id = {t.id: t for t in tasks}
        # the outline: WBS elements (P6) or summary tasks (MSPDI) -> PROJWBS, the rest -> TASK
        wbs_like = {t.id for t in tasks if t.wbs_node or t.id in parents}
        roots = [t for t in tasks if t.parent is None and t.id in wbs_like]
        root_id: str
        if len(roots) == 1 and (roots[0].wbs_node or roots[0].outline_level == 0):
            root_id = roots[0].id
        else:
            root_id = f"wbs:project:{pid}"
        code = p.code or (p.name or f"P{pid}")[:40]
        if root_id not in by_id:
            self.row("PROJWBS", {
                "wbs_id": self.wbs(root_id), "proj_id": pid, "proj_node_flag": "Y",
                "wbs_short_name": code, "wbs_name": p.name or code, "seq_num": "0",
            })  # fmt: skip
        proj_extra = {k: v for k, v in p.extra.items() if not k.startswith("p6.sched.")}
        self.row("PROJECT", {
            "proj_id": pid,
            "proj_short_name": code,
            "clndr_id": self.cal(cal.id) if cal is not None else "",
            "critical_drtn_hr_cnt": _h(p.critical_slack),
            "last_recalc_date": _d(p.status_date),
            "plan_start_date": _d(p.start),
            "plan_end_date": _d(p.must_finish_by),
            "scd_end_date": _d(p.finish),
            "add_date": _d(p.created),
        }, proj_extra, defaults=d.source_format != "xer")  # fmt: skip
        sched = {k[len("p6.sched.") :]: v for k, v in p.extra.items() if k.startswith("p6.sched.")}
        sched.update({
            "schedoptions_id": pid, "proj_id": pid,
            "sched_calendar_on_relationship_lag": LAG_CALENDAR_CODES.get(
                p.lag_calendar, "rcal_Predecessor"),
            "sched_progress_override": "Y" if p.progress_mode == ProgressMode.PROGRESS_OVERRIDE
            else "N",
        })  # fmt: skip
        p6 = d.source_format == "xer"
        default_options = (
            p.lag_calendar == LagCalendar.PREDECESSOR
            and p.progress_mode == ProgressMode.RETAINED_LOGIC
        )
        if not p6 or len(sched) > 4 or not default_options:
            self.row("SCHEDOPTIONS", sched, defaults=not p6)
        # Activity IDs for tasks without one, in outline order (P6 sorts activities by them)
        plain = [t for t in tasks if t.id not in wbs_like and not t.code]
        width = len(str(10 * len(plain) + 1000))
        self.codes = {t.id: f"A{1000 + 10 * k:0{width}d}" for k, t in enumerate(plain)}
        seq = 0
        for t in tasks:
            if t.id not in wbs_like:
                continue
            seq += 1
            parent = t.parent if t.parent in wbs_like else (None if t.id == root_id else root_id)
            wid = self.wbs(t.id)
            short = t.extra.get("p6.wbs_short_name") or (
                t.code.rsplit(".", 1)[-1] if t.code else (t.outline_number or t.wbs or t.id)
            )
            values = {
                "wbs_id": wid, "proj_id": pid,
                "proj_node_flag": "Y" if t.id == root_id else "N",
                "wbs_short_name": short if t.id != root_id else (short if t.wbs_node else code),
                "wbs_name": t.name or (p.name or code if t.id == root_id else short),
                "parent_wbs_id": self.wbs(parent) if parent is not None else "",
            }  # fmt: skip
            if not p6:
                values["seq_num"] = str(seq * 10)
            self.row("PROJWBS", values, t.extra, defaults=not p6)
            self.udf_values("PROJWBS", wid, pid, t.tags)
        for t in tasks:
            if t.id in wbs_like:
                continue
            parent = t.parent if t.parent in wbs_like else root_id
            self.activity(t, pid, self.wbs(parent), p6, d)
        pred_proj = {t.id: pid for t in tasks}
        for lk in d.links:
            if lk.successor in wbs_like or lk.predecessor in wbs_like:
                continue  # P6 links activities only
            if lk.predecessor not in self.task.map or lk.successor not in by_id:
                continue
            lag = lk.lag
            if lk.lag_unit == LagUnit.PERCENT:  # P6 has no percent lag: of the predecessor
                pred = by_id.get(lk.predecessor)
                lag = lk.lag / 100.0 * ((pred.duration or 0) if pred else 0)
            self.row("TASKPRED", {
                "task_pred_id": self.pred(lk.id or f"link:{lk.predecessor}:{lk.successor}"),
                "task_id": self.task(lk.successor),
                "pred_task_id": self.task(lk.predecessor),
                "proj_id": pid,
                "pred_proj_id": pred_proj.get(lk.predecessor) or lk.extra.get("p6.pred_proj_id")
                or pid,
                "pred_type": LINK_CODES[lk.type],
                "lag_hr_cnt": _h(round(lag)),
            }, lk.extra)  # fmt: skip
        for a in d.assignments:
            if a.task not in by_id or a.task in wbs_like or a.resource not in self.rsrc.map:
                continue
            self.assignment(a, pid, p6)

    def activity(self, t: DocTask, pid: str, wid: str, p6: bool, d: ProjectDocument) -> None:
        tid = self.task(t.id)
        extra = t.extra
        complete = t.actual_finish is not None
        if "p6.task_type" in extra:
            task_type = extra["p6.task_type"]
        elif t.milestone:
            task_type = "TT_FinMile"
        else:
            task_type = "TT_Task"
        remaining = t.remaining
        if remaining is None and t.duration is not None:
            remaining = 0 if complete else round(t.duration * (1 - t.percent_complete / 100))
        planned = t.planned_duration if t.planned_duration is not None else t.duration
        status = "TK_Complete" if complete else ("TK_Active" if t.actual_start else "TK_NotStart")
        values = {
            "task_id": tid,
            "proj_id": pid,
            "wbs_id": wid,
            "clndr_id": self.cal(t.calendar) if t.calendar else (
                self.cal(d.project_calendar.id) if d.project_calendar is not None else ""),
            "phys_complete_pct": _num_text(t.physical_percent_complete)
            if t.physical_percent_complete is not None else "",
            "task_type": task_type,
            "status_code": extra.get("p6.status_code", status),
            "task_code": t.code or self.codes.get(t.id, f"A{tid}"),
            "task_name": t.name,
            "total_float_hr_cnt": _h(t.total_slack),
            "free_float_hr_cnt": _h(t.free_slack),
            "remain_drtn_hr_cnt": _h(remaining),
            "target_drtn_hr_cnt": _h(planned),
            "cstr_date": _d(t.constraint_date),
            "cstr_type": CONSTRAINT_CODES.get(t.constraint_type, "") if t.constraint_type else "",
            "cstr_date2": _d(t.secondary_constraint_date),
            "cstr_type2": CONSTRAINT_CODES.get(t.secondary_constraint_type, "")
            if t.secondary_constraint_type else "",
            "act_start_date": _d(t.actual_start),
            "act_end_date": _d(t.actual_finish),
            "early_start_date": _d(t.early_start),
            "early_end_date": _d(t.early_finish),
            "late_start_date": _d(t.late_start),
            "late_end_date": _d(t.late_finish),
            "target_start_date": _d(t.planned_start if t.planned_start else
                                    (None if p6 else t.start)),
            "target_end_date": _d(t.planned_finish if t.planned_finish else
                                  (None if p6 else t.finish)),
            "act_work_qty": _h(t.actual_work),
            "remain_work_qty": _h(None if t.work is None else t.work - (t.actual_work or 0)),
        }  # fmt: skip
        if not p6 and not complete:
            values["restart_date"] = _d(t.start if t.actual_start is None else t.early_start)
            values["reend_date"] = _d(t.finish)
        if t.deadline is not None and not values["cstr_type"]:
            values["cstr_type"], values["cstr_date"] = "CS_MEOB", _d(t.deadline)
        self.row("TASK", values, extra, defaults=not p6)
        if t.notes:
            self.row("TASKMEMO", {
                "memo_id": self.memo(t.id), "task_id": tid, "memo_type_id": "1",
                "proj_id": pid, "task_memo": t.notes,
            })  # fmt: skip
        for name, value in t.tags.items():
            if name in self.code_defs:
                cid = self.code_ids.get((name, value))
                if cid is not None:
                    self.row("TASKACTV", {
                        "task_id": tid,
                        "actv_code_type_id": self.code_type(
                            self.code_defs[name].source_id or f"code:{name}"),
                        "actv_code_id": cid, "proj_id": pid,
                    })  # fmt: skip
        self.udf_values("TASK", tid, pid, {k: v for k, v in t.tags.items() if k in self.udf_defs})

    def assignment(self, a: DocAssignment, pid: str, p6: bool) -> None:
        extra = a.extra
        ot_min = round(float(extra.get("p6.act_ot_qty") or 0) * 60)
        ot_cost = Decimal(extra.get("p6.act_ot_cost") or 0)
        values = {
            "taskrsrc_id": self.asg(a.id),
            "task_id": self.task(a.task),
            "proj_id": pid,
            "rsrc_id": self.rsrc(a.resource),
            "target_qty_per_hr": _num_text(a.units),
            "remain_qty": _h(a.remaining_work if a.remaining_work is not None else (
                None if a.work is None else a.work - (a.actual_work or 0))),
            "act_reg_qty": _h(None if a.actual_work is None else a.actual_work - ot_min),
            "act_reg_cost": _money(None if a.actual_cost is None else a.actual_cost - ot_cost),
            "remain_cost": _money(None if a.cost is None else a.cost - (a.actual_cost or 0)),
            "act_start_date": _d(a.actual_start),
            "act_end_date": _d(a.actual_finish),
        }  # fmt: skip
        if not p6:
            values["target_qty"] = _h(a.work)
            if a.actual_start is None:
                values["restart_date"] = _d(a.start)
            if a.actual_finish is None:
                values["reend_date"] = _d(a.finish)
        self.row("TASKRSRC", values, extra, defaults=not p6)


def _workweek_exceptions(c: DocCalendar) -> tuple[CalendarException, ...]:
    """MSPDI work weeks as P6 exceptions (P6 has no work weeks)."""
    out: list[CalendarException] = []
    for ww in c.work_weeks:
        d = ww.start
        while d <= ww.finish:
            times = ww.week[d.weekday()]
            if times is not None and times != c.week[d.weekday()]:
                out.append(CalendarException(d, d, times, ww.name))
            d += timedelta(days=1)
    return tuple(out)
