"""pmo's JSON plan format: read, write, round trip, errors."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from pmo.engine.calendar import Calendar, CalendarException
from pmo.engine.cpm import schedule
from pmo.engine.plan import ConstraintType, LagUnit, Link, LinkType, Plan, Task
from pmo.errors import FileFormatError
from pmo.interop.plan_json import plan_from_dict, plan_to_dict, read_plan_json, write_plan_json

DOC = {
    "format": "pmo-plan",
    "version": 1,
    "project_start": "2026-01-05",
    "calendar": "std",
    "calendars": [
        {
            "id": "std",
            "name": "Standard",
            "week": ["08:00-12:00,13:00-17:00"] * 5 + ["", ""],
            "exceptions": [{"start": "2026-01-07", "finish": "2026-01-07", "name": "closed"}],
        },
        {"id": "7d", "week": ["08:00-16:00"] * 7, "minutes_per_day": 480},
    ],
    "tasks": [
        {"id": "A", "duration": "2d"},
        {"id": "B", "duration": "1d", "calendar": "7d"},
        {"id": "C", "duration": "4h", "deadline": "2026-01-09T12:00:00"},
        {"id": "S", "name": "phase"},
        {
            "id": "D",
            "duration": "1d",
            "parent": "S",
            "constraint_type": "FNET",
            "constraint_date": "2026-01-12T17:00",
        },
    ],
    "links": [
        {"predecessor": "A", "successor": "B", "type": "FS", "lag": "+1d"},
        {"predecessor": "A", "successor": "C", "type": "SS", "lag": "-10%"},
    ],
}


def test_read_and_schedule(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(DOC))
    plan = read_plan_json(path)
    assert [c.id for c in plan.calendars] == ["std", "7d"]
    assert plan.calendars[0].exceptions[0].start == date(2026, 1, 7)
    r = schedule(plan)
    # A: Mon 5, Tue 6; B on the 7-day calendar: Wed 7 is the lag, Thu 8 the work
    assert r.task("A").early_finish == datetime(2026, 1, 6, 17)
    assert r.task("B").early_start == datetime(2026, 1, 8, 8)
    assert r.task("B").early_finish == datetime(2026, 1, 8, 16)
    assert r.task("D").early_finish == datetime(2026, 1, 12, 17)


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    cal = Calendar.standard().with_exceptions(
        [CalendarException(date(2026, 1, 1), date(2026, 1, 2), ((480, 720),), "short")]
    )
    tasks = [
        Task("A", "Alpha", 960, actual_start=datetime(2026, 1, 5, 8), percent_complete=50),
        Task("B", "Beta", 2880, elapsed=True, constraint_type=ConstraintType.MSO,
             constraint_date=datetime(2026, 1, 9, 8)),
        Task("S"),
        Task("C", duration=90, parent="S", remaining=30, deadline=datetime(2026, 2, 1)),
    ]  # fmt: skip
    links = [Link("A", "B", LinkType.FF, -480), Link("B", "C", LinkType.SF, 25, LagUnit.PERCENT),
             Link("A", "C", lag=1440, lag_unit=LagUnit.ELAPSED)]  # fmt: skip
    plan = Plan.from_records(
        tasks, links, [cal], datetime(2026, 1, 5), status_date=datetime(2026, 1, 6)
    )
    path = tmp_path / "out.json"
    write_plan_json(plan, path)
    again = read_plan_json(path)
    assert plan_to_dict(again) == plan_to_dict(plan)
    assert again.status_date == datetime(2026, 1, 6)
    a = schedule(plan)
    b = schedule(again)
    assert a.records() == b.records()


def test_holidays_shortcut() -> None:
    doc = {**DOC, "calendars": [{"id": "std", "holidays": {"country": "FR", "years": [2026]}}]}
    doc["tasks"] = [{"id": "A", "duration": "1d"}]
    doc["links"] = []
    plan = plan_from_dict(doc)
    assert any(e.start == date(2026, 7, 14) for e in plan.calendars[0].exceptions)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"project_start": None}, "field project_start"),
        ({"project_start": "soon"}, "field project_start"),
        ({"format": "other"}, "format"),
        ({"calendar": "nope"}, "field calendar"),
        ({"tasks": [{"id": "A", "duration": "2x"}]}, "record tasks[0] (A), field duration"),
        ({"tasks": [{"id": "A", "constraint_type": "SOON"}]}, "field constraint_type"),
        ({"links": [{"predecessor": "A", "successor": "Z"}]}, "record links[0], field successor"),
        ({"links": [{"predecessor": "A", "successor": "B", "type": "XX"}]}, "field type"),
        ({"links": [{"predecessor": "A", "successor": "B", "lag": "1q"}]}, "field lag"),
        ({"calendars": [{"id": "c", "week": ["x"] * 7}]}, "record calendars[0]"),
    ],
)
def test_errors_name_the_record_and_field(change: dict[str, object], where: str) -> None:
    with pytest.raises(FileFormatError) as err:
        plan_from_dict({**DOC, **change}, "plan.json")
    assert where in err.value.message


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "tasks": [\n')
    with pytest.raises(FileFormatError, match=r"bad\.json, line"):
        read_plan_json(path)
