"""iCalendar writer: RFC 5545 line ends, folding at 75 octets, escaping, UID and DTSTAMP."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from pmo.interop.ical import Event, calendar_bytes, escape_text, events_of, fold_line, unfold

STAMP = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    return data[:-2].split(b"\r\n")


def test_every_line_ends_with_crlf_and_has_at_most_75_octets() -> None:
    long_name = "Réception définitive des travaux — lot 3 " * 6 + "✓"
    data = calendar_bytes(
        [Event(uid="m-1@acme.pmo", summary=long_name, start=date(2026, 5, 4))], stamp=STAMP
    )
    assert b"\n" not in data.replace(b"\r\n", b"")  # no bare LF anywhere
    lines = _lines(data)
    assert all(len(line) <= 75 for line in lines), [len(x) for x in lines]
    assert any(line.startswith(b" ") for line in lines)  # folded
    text = data.decode("utf-8")  # never split inside a UTF-8 character
    (event,) = events_of(text)
    assert event["SUMMARY"] == escape_text(long_name)


def test_fold_counts_octets_not_characters() -> None:
    line = "SUMMARY:" + "é" * 100  # 2 octets each
    folded = fold_line(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert unfold(folded + "\r\n") == [line]
    assert fold_line("SHORT:x") == "SHORT:x"


def test_text_values_are_escaped() -> None:
    assert escape_text("a,b;c\\d\nline") == "a\\,b\\;c\\\\d\\nline"
    assert escape_text("x\r\ny") == "x\\ny"
    data = calendar_bytes(
        [
            Event(
                uid="a@pmo",
                summary="Go/no-go; phase 2, part A",
                start=date(2026, 1, 5),
                description="first line\nsecond, with comma",
                categories=("Milestone", "ERP,1"),
            )
        ],
        stamp=STAMP,
    )
    (event,) = events_of(data.decode())
    assert event["SUMMARY"] == "Go/no-go\\; phase 2\\, part A"
    assert event["DESCRIPTION"] == "first line\\nsecond\\, with comma"
    assert event["CATEGORIES"] == "Milestone,ERP\\,1"


def test_required_properties_uid_and_utc_dtstamp() -> None:
    data = calendar_bytes(
        [
            Event(uid="task-7@acme.pmo", summary="Design review", start=date(2026, 1, 5)),
            Event(
                uid="task-8@acme.pmo",
                summary="Build",
                start=datetime(2026, 1, 5, 8),
                end=datetime(2026, 1, 9, 17),
            ),
            Event(
                uid="task-9@acme.pmo", summary="Aware", start=datetime(2026, 1, 5, 8, tzinfo=UTC)
            ),
        ],
        name="ERP milestones",
        stamp=STAMP,
    )
    lines = unfold(data.decode())
    assert lines[:3] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//pmo//Project Management Office//EN",
    ]
    assert lines[-1] == "END:VCALENDAR"
    assert "X-WR-CALNAME:ERP milestones" in lines
    events = events_of(data.decode())
    assert [e["UID"] for e in events] == ["task-7@acme.pmo", "task-8@acme.pmo", "task-9@acme.pmo"]
    for e in events:
        assert re.fullmatch(r"\d{8}T\d{6}Z", e["DTSTAMP"]) and e["DTSTAMP"] == "20260302T093000Z"
    # all day: DATE values, DTEND exclusive (the next day)
    assert events[0]["DTSTART;VALUE=DATE"] == "20260105"
    assert events[0]["DTEND;VALUE=DATE"] == "20260106"
    # naive date-times are floating local times (no Z); aware ones are UTC
    assert events[1]["DTSTART"] == "20260105T080000" and events[1]["DTEND"] == "20260109T170000"
    assert events[2]["DTSTART"] == "20260105T080000Z"
    assert data.count(b"BEGIN:VEVENT") == data.count(b"END:VEVENT") == 3


def test_an_empty_calendar_is_still_valid() -> None:
    lines = unfold(calendar_bytes([], stamp=STAMP).decode())
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
