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
from pmo.interop.document import DocAssignment, DocResource, ResourceType
from pmo.interop.plan_json import (
    PlanFile,
    plan_file_from_dict,
    plan_from_dict,
    plan_to_dict,
    read_plan_file,
    read_plan_json,
    write_plan_json,
)

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
        ({"resources": [{"name": "no id"}]}, "record resources[0], field id"),
        (
            {"resources": [{"id": "R", "max_units": "lots"}]},
            "record resources[0] (R), field max_units",
        ),
        ({"resources": [{"id": "R", "max_units": -1}]}, "field max_units"),
        ({"resources": [{"id": "R", "type": "robot"}]}, "record resources[0] (R), field type"),
        ({"resources": [{"id": "R", "calendar": "nope"}]}, "field calendar"),
        ({"resources": [{"id": "R"}, {"id": "R"}]}, "record resources[1] (R), field id"),
        ({"assignments": [{"task": "Z", "resource": "R"}]}, "record assignments[0], field task"),
        (
            {"assignments": [{"task": "A", "resource": "R"}]},
            "record assignments[0], field resource",
        ),
        ({"tasks": [{"id": "A", "levelled_start": "soon"}]}, "field levelled_start"),
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


RESOURCES = {
    "resources": [
        {"id": "alice", "name": "Alice", "max_units": 1, "calendar": "7d"},
        {"id": "crane", "name": "Crane", "type": "equipment", "max_units": 2},
        {"id": "sand", "type": "material"},
    ],
    "assignments": [
        {"task": "A", "resource": "alice", "units": 0.5},
        {"id": "x", "task": "B", "resource": "crane"},
    ],
}


def test_resources_and_assignments_are_read() -> None:
    pf = plan_file_from_dict({**DOC, **RESOURCES})
    assert pf.resources == (
        DocResource("alice", "Alice", type=ResourceType.WORK, max_units=1.0, calendar="7d"),
        DocResource("crane", "Crane", type=ResourceType.EQUIPMENT, max_units=2.0),
        DocResource("sand", "", type=ResourceType.MATERIAL, max_units=1.0),
    )
    assert pf.assignments == (
        DocAssignment("1", "A", "alice", 0.5),
        DocAssignment("x", "B", "crane", 1.0),
    )
    # the plan itself is the one a file without resources gives
    assert plan_to_dict(pf.plan) == plan_to_dict(plan_from_dict(DOC))


def test_resources_round_trip_and_older_files_write_as_before(tmp_path: Path) -> None:
    pf = plan_file_from_dict({**DOC, **RESOURCES})
    path = tmp_path / "with.json"
    write_plan_json(pf, path)
    again = read_plan_file(path)
    assert again.resources == pf.resources and again.assignments == pf.assignments
    written = json.loads(path.read_text())
    assert written["assignments"][0] == {"id": "1", "task": "A", "resource": "alice", "units": 0.5}
    # a plan without resources writes no resources/assignments keys (files stay as they were)
    write_plan_json(plan_from_dict(DOC), tmp_path / "without.json")
    assert "resources" not in json.loads((tmp_path / "without.json").read_text())
    assert read_plan_file(tmp_path / "without.json").resources == ()


def test_levelled_start_holds_the_task_back_when_scheduled(tmp_path: Path) -> None:
    doc = {**DOC, "tasks": [{"id": "A", "duration": "2d"}, {"id": "B", "duration": "1d"}]}
    doc["links"] = [{"predecessor": "A", "successor": "B"}]
    doc["tasks"][0]["levelled_start"] = "2026-01-12T08:00:00"
    pf = plan_file_from_dict(doc)
    assert dict(pf.levelled) == {"A": datetime(2026, 1, 12, 8)}
    # the plan as given is untouched; the plan to schedule holds A back (and B follows)
    assert schedule(pf.plan).task("A").start == datetime(2026, 1, 5, 8)
    r = schedule(plan_from_dict(doc))
    assert r.task("A").start == datetime(2026, 1, 12, 8)
    assert r.task("B").start == datetime(2026, 1, 14, 8)
    path = tmp_path / "levelled.json"
    write_plan_json(PlanFile(pf.plan, levelled=pf.levelled), path)
    assert json.loads(path.read_text())["tasks"][0]["levelled_start"] == "2026-01-12T08:00:00"
    assert read_plan_file(path).levelled == {"A": datetime(2026, 1, 12, 8)}
