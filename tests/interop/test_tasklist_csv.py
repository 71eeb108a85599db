"""CSV task lists in Microsoft Project's notation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pmo.engine.calendar import Calendar
from pmo.engine.cpm import schedule
from pmo.engine.plan import ConstraintType, LagUnit, Link, LinkType
from pmo.errors import FileFormatError
from pmo.interop.tasklist_csv import (
    format_duration,
    format_lag,
    format_predecessors,
    parse_duration,
    parse_lag,
    parse_predecessors,
    parse_tasklist_csv,
    read_tasklist_plan,
)


@pytest.mark.parametrize(
    ("text", "minutes", "elapsed"),
    [
        ("5", 2400, False),
        ("5d", 2400, False),
        ("5 days", 2400, False),
        ("1.5d", 720, False),
        ("4h", 240, False),
        ("30m", 30, False),
        ("2w", 4800, False),
        ("1mo", 9600, False),
        ("2ed", 2880, True),
        ("3eh", 180, True),
        ("1ew", 10080, True),
        ("5d?", 2400, False),
        ("0", 0, False),
    ],
)
def test_durations(text: str, minutes: int, elapsed: bool) -> None:
    assert parse_duration(text) == (minutes, elapsed)


@pytest.mark.parametrize("bad", ["", "d", "5x", "-1d", "five"])
def test_bad_durations(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_duration_and_lag_formatting_round_trips() -> None:
    for minutes in (0, 2400, 240, 45, 720):
        assert parse_duration(format_duration(minutes)) == (minutes, False)
    assert format_duration(2880, elapsed=True) == "2ed"
    assert parse_lag("-20%") == (-20.0, LagUnit.PERCENT)
    assert parse_lag("+3ed") == (4320.0, LagUnit.ELAPSED)
    assert parse_lag("-1d") == (-480.0, LagUnit.WORKING)
    assert format_lag(-480, LagUnit.WORKING) == "-1d"
    assert format_lag(20, LagUnit.PERCENT) == "+20%"


def test_predecessor_notation() -> None:
    ids = {"3", "5", "7", "4", "A", "BOSS"}
    got = parse_predecessors("3,5SS+2d,7FF-1d, 4FS-20%, A SF+4h, BOSS, BOSSFS+1ed", ids)
    assert got == [
        ("3", LinkType.FS, 0.0, LagUnit.WORKING),
        ("5", LinkType.SS, 960.0, LagUnit.WORKING),
        ("7", LinkType.FF, -480.0, LagUnit.WORKING),
        ("4", LinkType.FS, -20.0, LagUnit.PERCENT),
        ("A", LinkType.SF, 240.0, LagUnit.WORKING),
        ("BOSS", LinkType.FS, 0.0, LagUnit.WORKING),
        ("BOSS", LinkType.FS, 1440.0, LagUnit.ELAPSED),
    ]
    with pytest.raises(ValueError, match="unknown task"):
        parse_predecessors("9", ids)
    links = [
        Link("5", "x", LinkType.SS, 960),
        Link("3", "x"),
        Link("4", "x", lag=-20, lag_unit=LagUnit.PERCENT),
    ]
    assert format_predecessors(links) == "5SS+2d,3,4FS-20%"


CSV = """id,name,duration,predecessors,constraint_type,constraint_date
1,Design,5d,,,
2,Build,3d,1,,
3,Test,2d,"1SS+1d",SNET,2026-01-07
4,Done,0,"2,3",,
"""


def test_read_a_task_list(tmp_path: Path) -> None:
    tasks, links = parse_tasklist_csv(CSV, "plan.csv")
    assert [t.id for t in tasks] == ["1", "2", "3", "4"]
    assert tasks[0].duration == 2400 and tasks[3].is_milestone
    assert tasks[2].constraint_type == ConstraintType.SNET
    assert tasks[2].constraint_date == datetime(2026, 1, 7)
    assert [(lk.predecessor, lk.successor, lk.type) for lk in links] == [
        ("1", "2", LinkType.FS),
        ("1", "3", LinkType.SS),
        ("2", "4", LinkType.FS),
        ("3", "4", LinkType.FS),
    ]
    path = tmp_path / "plan.csv"
    path.write_text(CSV)
    plan = read_tasklist_plan(path, Calendar.standard(), datetime(2026, 1, 5))
    r = schedule(plan)
    assert r.task("3").early_start == datetime(2026, 1, 7, 8)
    assert r.project_finish == datetime(2026, 1, 14, 17)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("name,duration\nA,1d\n", "line 1"),
        ("id,duration\n1,1d\n1,2d\n", "line 3, record 1, field id"),
        ("id,duration\n1,abc\n", "line 2, record 1, field duration"),
        ("id,duration,predecessors\n1,1d,\n2,1d,9\n", "line 3, record 2, field predecessors"),
        ("id,duration,predecessors\n1,1d,\n2,1d,1XX+1d\n", "line 3, record 2, field predecessors"),
        ("id,duration,constraint_date\n1,1d,tomorrow\n", "line 2, record 1, field constraint_date"),
        ("id,duration\n1,1d,extra\n", "line 2"),
        ("", "line 1"),
    ],
)
def test_errors_name_the_line_and_field(text: str, where: str) -> None:
    with pytest.raises(FileFormatError) as err:
        parse_tasklist_csv(text, "plan.csv")
    assert f"plan.csv, {where}" in err.value.message
