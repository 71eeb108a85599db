"""iCalendar (RFC 5545) feeds: a project's milestones, one person's assignments.

Pure text building, no database: a service turns tasks into :class:`Event` values and
:func:`calendar_bytes` writes the ``VCALENDAR``. What RFC 5545 asks of a writer, and calendar
applications check:

* lines end with CRLF (section 3.1);
* a content line longer than 75 octets is *folded*: split into lines of at most 75 octets
  (UTF-8 bytes, never inside a multi-byte character), each continuation starting with one
  space (3.1);
* TEXT values escape backslash, semicolon, comma and line breaks (``\\\\ \\; \\, \\n``,
  3.3.11);
* every event has a ``UID`` (stable: the same task gives the same UID in every download, so a
  subscribed calendar updates the event instead of adding a copy) and a ``DTSTAMP`` in UTC
  (3.8.4.7, 3.8.7.2).

Plans are in wall-clock time (as in MS Project and P6), so a naive ``datetime`` is written as
a *floating* local time (``DTSTART:20260105T080000``, no ``Z``, no zone): 08:00 shows as 08:00
wherever the calendar is opened. An aware ``datetime`` is written in UTC (``...Z``). A
``date`` makes an all-day event (``DTSTART;VALUE=DATE:20260105``; ``DTEND`` is exclusive).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["Event", "calendar_bytes", "escape_text", "fold_line"]

PRODID = "-//pmo//Project Management Office//EN"
MAX_OCTETS = 75


@dataclass(frozen=True)
class Event:
    """One ``VEVENT``. ``start``/``end``: ``date`` (all day; ``end`` exclusive, default the
    next day) or ``datetime`` (naive: floating local time; aware: UTC); ``end`` defaults to
    ``start`` for a timed event (a moment, e.g. a milestone)."""

    uid: str
    summary: str
    start: date | datetime
    end: date | datetime | None = None
    description: str = ""
    location: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()
    status: str = ""  # TENTATIVE, CONFIRMED or CANCELLED
    last_modified: datetime | None = None
    transparent: bool = True  # does not block free/busy time


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): ``\\``, ``;``, ``,`` and line breaks escaped."""
    out = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    out = out.replace("\r\n", "\n").replace("\r", "\n")
    return out.replace("\n", "\\n")


def fold_line(line: str) -> str:
    """``line`` folded into physical lines of at most 75 octets joined by CRLF + space
    (the leading space of a continuation counts in its 75); never splits a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= MAX_OCTETS:
        return line
    parts: list[str] = []
    start = 0
    limit = MAX_OCTETS
    while start < len(data):
        end = min(start + limit, len(data))
        # back off to a character boundary (a continuation byte is 0b10xxxxxx)
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start = end
        limit = MAX_OCTETS - 1  # continuation lines start with a space
    return "\r\n ".join(parts)


def _utc(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _when(name: str, value: date | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return f"{name}:{value.strftime('%Y%m%dT%H%M%S')}"
        return f"{name}:{_utc(value)}"
    return f"{name};VALUE=DATE:{value.strftime('%Y%m%d')}"


def _event_lines(event: Event, stamp: str) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{escape_text(event.uid)}", f"DTSTAMP:{stamp}"]
    start, end = event.start, event.end
    lines.append(_when("DTSTART", start))
    if isinstance(start, datetime):
        if end is None or not isinstance(end, datetime) or end < start:
            end = start
        lines.append(_when("DTEND", end))
    else:
        if isinstance(end, datetime):
            end = end.date()
        if end is None or end <= start:
            end = start + timedelta(days=1)
        lines.append(_when("DTEND", end))
    lines.append(f"SUMMARY:{escape_text(event.summary)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in event.categories))
    if event.status:
        lines.append(f"STATUS:{event.status.upper()}")
    if event.last_modified is not None:
        lines.append(f"LAST-MODIFIED:{_utc(event.last_modified)}")
    lines.append(f"TRANSP:{'TRANSPARENT' if event.transparent else 'OPAQUE'}")
    lines.append("END:VEVENT")
    return lines


def calendar_bytes(
    events: Iterable[Event],
    *,
    name: str = "",
    description: str = "",
    stamp: datetime | None = None,
    prodid: str = PRODID,
    refresh_hours: int | None = 1,
) -> bytes:
    """A ``VCALENDAR`` of ``events`` as UTF-8 bytes (CRLF line ends, folded lines).

    ``stamp``: the ``DTSTAMP`` of every event (default: now, UTC). ``name`` and
    ``description`` become ``NAME``/``X-WR-CALNAME`` (RFC 7986 and the form calendar
    applications read); ``refresh_hours`` how often a subscriber should fetch the feed again.
    """
    when = _utc(stamp or datetime.now(UTC))
    lines: list[str] = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name:
        lines += [f"NAME:{escape_text(name)}", f"X-WR-CALNAME:{escape_text(name)}"]
    if description:
        lines += [
            f"DESCRIPTION:{escape_text(description)}",
            f"X-WR-CALDESC:{escape_text(description)}",
        ]
    if refresh_hours:
        lines += [
            f"REFRESH-INTERVAL;VALUE=DURATION:PT{refresh_hours}H",
            f"X-PUBLISHED-TTL:PT{refresh_hours}H",
        ]
    for event in events:
        lines.extend(_event_lines(event, when))
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines).encode("utf-8")


def unfold(text: str) -> list[str]:
    """The content lines of an iCalendar text (continuations joined): for tests and tools."""
    out: list[str] = []
    for line in text.split("\r\n"):
        if line.startswith((" ", "\t")) and out:
            out[-1] += line[1:]
        elif line:
            out.append(line)
    return out


def events_of(text: str) -> Sequence[dict[str, str]]:
    """Each ``VEVENT`` as ``{property name (with parameters): raw value}``."""
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            events.append(current)
            current = None
        elif current is not None:
            key, _, value = line.partition(":")
            current[key] = value
    return events
