"""CSV task lists in Microsoft Project's notation.

Columns (header row required, names case-insensitive, order free):

* ``id`` - the task's id, any text without commas; predecessors refer to it;
* ``name``;
* ``duration`` - a number and a unit as Microsoft Project writes them: ``5`` or ``5d`` (working
  days), ``4h``, ``30m``, ``2w``, ``1mo``; an ``e`` before the unit means elapsed time
  (``2ed`` = 48 hours of calendar time, 24 h x 7 d). A trailing ``?`` (estimated) is ignored;
* ``predecessors`` - comma-separated links: ``3`` (finish-to-start), ``5SS+2d``, ``7FF-1d``,
  ``4FS-20%`` (lead of 20 % of task 4's duration), ``2FS+3ed`` (elapsed lag);

and optionally ``parent`` (id of the summary task), ``constraint_type`` (ASAP, ALAP, SNET,
SNLT, FNET, FNLT, MSO, MFO), ``constraint_date``, ``deadline``, ``actual_start``,
``actual_finish`` (ISO dates or date-times) and ``percent_complete``.

Days, weeks and months convert with the calendar's minutes per day, 5 days per week and 20
days per month (Microsoft Project's defaults); elapsed units with 24 h days, 7-day weeks and
30-day months.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from pmo.engine.calendar import DEFAULT_MINUTES_PER_DAY, Calendar
from pmo.engine.plan import ConstraintType, LagUnit, Link, LinkType, Plan, Task
from pmo.errors import FileFormatError, FileLocation

_UNITS: dict[str, str] = {}  # unit spelling -> canonical unit ("e" prefix: elapsed)
for _names, _unit in (
    (("m", "min", "mins", "minute", "minutes"), "minute"),
    (("h", "hr", "hrs", "hour", "hours"), "hour"),
    (("d", "dy", "dys", "day", "days"), "day"),
    (("w", "wk", "wks", "week", "weeks"), "week"),
    (("mo", "mon", "mons", "month", "months"), "month"),
):
    for _n in _names:
        _UNITS[_n] = _unit
        _UNITS["e" + _n] = "e" + _unit

_NUMBER_UNIT = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-zA-Z%]*)\s*\??\s*$")
_PRED = re.compile(r"^(?P<id>.*?)\s*(?P<type>FS|SS|FF|SF)?\s*(?P<lag>[+-].*)?$", re.IGNORECASE)


def duration_minutes(
    number: float, unit: str, minutes_per_day: int = DEFAULT_MINUTES_PER_DAY
) -> tuple[int, bool]:
    """(minutes, elapsed) of ``number`` ``unit`` (a key of Microsoft Project's unit names)."""
    kind = _UNITS[unit.lower()]
    elapsed = kind.startswith("e")
    base = kind[1:] if elapsed else kind
    if elapsed:
        per = {"minute": 1, "hour": 60, "day": 1440, "week": 7 * 1440, "month": 30 * 1440}
    else:
        d = minutes_per_day
        per = {"minute": 1, "hour": 60, "day": d, "week": 5 * d, "month": 20 * d}
    return round(number * per[base]), elapsed


def parse_duration(text: str, minutes_per_day: int = DEFAULT_MINUTES_PER_DAY) -> tuple[int, bool]:
    """``"5d"`` -> (2400, False); ``"2ed"`` -> (2880, True); a bare number is days."""
    m = _NUMBER_UNIT.match(text)
    if not m or (m[2] and m[2].lower() not in _UNITS):
        raise ValueError(f"not a duration: {text!r}")
    return duration_minutes(float(m[1]), m[2] or "d", minutes_per_day)


def format_duration(
    minutes: int, elapsed: bool = False, minutes_per_day: int = DEFAULT_MINUTES_PER_DAY
) -> str:
    """The shortest exact spelling: ``2400`` -> ``"5d"``, ``90`` -> ``"90m"``."""
    e = "e" if elapsed else ""
    day = 1440 if elapsed else minutes_per_day
    sign = "-" if minutes < 0 else ""
    a = abs(int(minutes))
    if a % day == 0:
        return f"{sign}{a // day}{e}d"
    if a % 60 == 0:
        return f"{sign}{a // 60}{e}h"
    return f"{sign}{a}{e}m"


def parse_lag(text: str, minutes_per_day: int = DEFAULT_MINUTES_PER_DAY) -> tuple[float, LagUnit]:
    """``"+2d"`` -> (960, WORKING), ``"-20%"`` -> (-20, PERCENT), ``"3ed"`` -> (4320, ELAPSED)."""
    t = text.replace(" ", "")
    sign = -1 if t.startswith("-") else 1
    t = t.lstrip("+-")
    if t.endswith("%"):
        try:
            return sign * float(t[:-1]), LagUnit.PERCENT
        except ValueError:
            raise ValueError(f"not a lag: {text!r}") from None
    minutes, elapsed = parse_duration(t, minutes_per_day)
    return float(sign * minutes), LagUnit.ELAPSED if elapsed else LagUnit.WORKING


def format_lag(lag: float, unit: LagUnit, minutes_per_day: int = DEFAULT_MINUTES_PER_DAY) -> str:
    if unit == LagUnit.PERCENT:
        return f"{lag:+g}%"
    text = format_duration(int(lag), unit == LagUnit.ELAPSED, minutes_per_day)
    return text if text.startswith("-") else "+" + text


def parse_predecessors(
    text: str, known: Iterable[str], minutes_per_day: int = DEFAULT_MINUTES_PER_DAY
) -> list[tuple[str, LinkType, float, LagUnit]]:
    """``"3,5SS+2d,7FF-1d"`` -> [(id, type, lag, unit), ...]; ids must be in ``known``."""
    ids = set(known)
    out: list[tuple[str, LinkType, float, LagUnit]] = []
    for raw in text.split(","):
        token = raw.strip()
        if not token:
            continue
        if token in ids:
            out.append((token, LinkType.FS, 0.0, LagUnit.WORKING))
            continue
        m = _PRED.match(token)
        if not m or not m["id"]:
            raise ValueError(f"not a predecessor: {token!r} (e.g. 3, 5SS+2d, 7FF-1d, 4FS-20%)")
        if m["id"] not in ids:
            raise ValueError(f"unknown task {m['id']!r} in {token!r}")
        kind = LinkType[m["type"].upper()] if m["type"] else LinkType.FS
        lag, unit = (0.0, LagUnit.WORKING)
        if m["lag"]:
            lag, unit = parse_lag(m["lag"], minutes_per_day)
        out.append((m["id"], kind, lag, unit))
    return out


def format_predecessors(
    links: Iterable[Link], minutes_per_day: int = DEFAULT_MINUTES_PER_DAY
) -> str:
    parts = []
    for lk in links:
        s = lk.predecessor
        if lk.type != LinkType.FS or lk.lag:
            s += lk.type.name
        if lk.lag:
            s += format_lag(lk.lag, lk.lag_unit, minutes_per_day)
        parts.append(s)
    return ",".join(parts)


def parse_when(text: str) -> datetime:
    """ISO date or date-time (naive); a date alone means its midnight."""
    t = text.strip()
    try:
        return datetime.fromisoformat(t)
    except ValueError:
        return datetime.combine(date.fromisoformat(t), datetime.min.time())


def read_tasklist_csv(
    path: str | Path, minutes_per_day: int = DEFAULT_MINUTES_PER_DAY
) -> tuple[list[Task], list[Link]]:
    """Tasks and links of a CSV task list (see the module docstring)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError("not a UTF-8 text file", FileLocation(p.name)) from exc
    except OSError as exc:
        raise FileFormatError(f"cannot read: {exc.strerror}", FileLocation(p.name)) from exc
    return parse_tasklist_csv(text, p.name, minutes_per_day)


def parse_tasklist_csv(
    text: str, name: str = "input", minutes_per_day: int = DEFAULT_MINUTES_PER_DAY
) -> tuple[list[Task], list[Link]]:
    reader = csv.reader(text.splitlines())
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise FileFormatError("empty file", FileLocation(name, line=1)) from None
    for required in ("id", "duration"):
        if required not in header:
            raise FileFormatError(f"no {required!r} column in the header", FileLocation(name, 1))
    rows: list[tuple[int, dict[str, str]]] = []
    for record in reader:
        if not any(c.strip() for c in record):
            continue
        if len(record) > len(header):
            raise FileFormatError(
                f"{len(record)} fields for {len(header)} columns (quote predecessor lists)",
                FileLocation(name, reader.line_num),
            )
        rows.append((reader.line_num, dict(zip(header, (c.strip() for c in record), strict=False))))
    ids: dict[str, int] = {}
    for line, row in rows:
        tid = row.get("id", "")
        if not tid:
            raise FileFormatError("empty id", FileLocation(name, line, column="id"))
        if tid in ids:
            raise FileFormatError(
                f"duplicate id (first on line {ids[tid]})", FileLocation(name, line, tid, "id")
            )
        ids[tid] = line
    tasks: list[Task] = []
    links: list[Link] = []
    for line, row in rows:
        tid = row["id"]

        def where(column: str, _line: int = line, _tid: str = tid) -> FileLocation:
            return FileLocation(name, _line, _tid, column)

        try:
            dur, elapsed = parse_duration(row.get("duration") or "0", minutes_per_day)
        except ValueError as exc:
            raise FileFormatError(str(exc), where("duration")) from None
        try:
            preds = parse_predecessors(row.get("predecessors", ""), ids, minutes_per_day)
        except ValueError as exc:
            raise FileFormatError(str(exc), where("predecessors")) from None
        links.extend(Link(p, tid, kind, lag, unit) for p, kind, lag, unit in preds)
        extra: dict[str, object] = {}
        parent = row.get("parent", "")
        if parent:
            if parent not in ids:
                raise FileFormatError(f"unknown task {parent!r}", where("parent"))
            extra["parent"] = parent
        ctype = row.get("constraint_type", "").upper()
        if ctype:
            if ctype not in ConstraintType.__members__:
                raise FileFormatError(
                    f"unknown constraint type {ctype!r}", where("constraint_type")
                )
            extra["constraint_type"] = ConstraintType[ctype]
        for column in ("constraint_date", "deadline", "actual_start", "actual_finish"):
            value = row.get(column, "")
            if value:
                try:
                    extra[column] = parse_when(value)
                except ValueError:
                    raise FileFormatError(f"not a date: {value!r}", where(column)) from None
        pct = row.get("percent_complete", "").rstrip("%")
        if pct:
            try:
                extra["percent_complete"] = float(pct)
            except ValueError:
                raise FileFormatError(f"not a number: {pct!r}", where("percent_complete")) from None
        tasks.append(
            Task(
                id=tid,
                name=row.get("name", ""),
                duration=dur,
                elapsed=elapsed,
                is_milestone=dur == 0,
                **extra,  # type: ignore[arg-type]
            )
        )
    return tasks, links


def read_tasklist_plan(path: str | Path, calendar: Calendar, project_start: datetime) -> Plan:
    """A plan of a CSV task list on one calendar (durations in its minutes per day)."""
    tasks, links = read_tasklist_csv(path, calendar.minutes_per_day)
    return Plan.from_records(tasks, links, [calendar], project_start)
