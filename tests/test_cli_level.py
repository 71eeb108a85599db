"""``pmo level`` and ``pmo bench psplib`` (file commands, no database)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pmo.cli import app
from pmo.engine.cpm import schedule
from pmo.engine.level import LevelProblem, check_schedule
from pmo.engine.plan import LinkType
from pmo.interop.document import (
    DocAssignment,
    DocCalendar,
    DocLink,
    DocResource,
    DocTask,
    ProjectDocument,
    ProjectProperties,
    schedule_options,
    to_plan,
)
from pmo.interop.fidelity import check_fidelity
from pmo.interop.mspdi import read_mspdi, write_mspdi
from pmo.interop.plan_json import read_plan_file, read_plan_json
from pmo.interop.psplib import read_sm
from pmo.interop.xer import read_xer, write_xer

PSPLIB = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "psplib"
J301_1 = PSPLIB / "j30" / "j301_1.sm"

needs_data = pytest.mark.skipif(not J301_1.is_file(), reason="shared PSPLIB data is not present")
runner = CliRunner()


@needs_data
def test_level_json_is_exactly_the_documented_record() -> None:
    res = runner.invoke(app, ["level", str(J301_1), "--format", "json", "--time-limit", "20"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert list(out) == ["makespan", "lower_bound", "optimal", "engine", "seconds", "starts"]
    assert out["makespan"] == 43 and out["lower_bound"] == 43 and out["optimal"] is True
    assert out["engine"] == "exact"
    inst = read_sm(J301_1)
    assert sorted(out["starts"], key=int) == [str(j) for j in range(1, inst.n_jobs + 1)]
    starts = [out["starts"][str(j + 1)] for j in range(inst.n_jobs)]
    problem = LevelProblem.from_successors(
        inst.durations, inst.successors, inst.demands, inst.capacities
    )
    assert check_schedule(problem, starts) == []
    assert max(s + int(d) for s, d in zip(starts, inst.durations, strict=True)) == 43


@needs_data
def test_level_table_explains_moves() -> None:
    res = runner.invoke(app, ["level", str(J301_1), "--engine", "heuristic"])
    assert res.exit_code == 0, res.output
    assert "makespan" in res.stdout and "waiting for resource" in res.stdout


def test_level_a_bad_json_plan_names_the_file_and_the_field(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    res = runner.invoke(app, ["level", str(plan)])
    assert res.exit_code == 2
    assert "plan.json" in res.stderr and "project_start is required" in res.stderr


def test_level_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sm"
    bad.write_text("not a psplib file\n")
    res = runner.invoke(app, ["level", str(bad)])
    assert res.exit_code == 2
    assert "bad" in res.stderr


@needs_data
def test_bench_psplib_checks_and_compares(tmp_path: Path) -> None:
    sets = tmp_path / "data" / "j30"
    sets.mkdir(parents=True)
    for name in ("j301_1.sm", "j301_2.sm", "j30opt.sm"):
        shutil.copy(PSPLIB / "j30" / name, sets / name)
    (sets / "notes.sm").write_text("nothing to see\n")
    shutil.copy(PSPLIB / "bounds.csv", tmp_path / "bounds.csv")  # found in a parent folder
    res = runner.invoke(
        app, ["bench", "psplib", str(sets), "--format", "csv", "--time-limit", "20"]
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["instance"] for r in rows] == ["j301_1", "j301_2", "ALL"]
    for r in rows[:2]:
        assert r["feasible"] == "true" and r["optimal"] == "true"
        assert r["makespan"] == r["best_known"] and float(r["gap_pct"]) == 0
    assert rows[0]["critical_path"] == "38"
    assert rows[2]["optimal"] == "2" and rows[2]["feasible"] == "2"
    assert "skipped" in res.stderr


def test_file_commands_do_not_import_django() -> None:
    code = (
        "import sys; from pmo.cli import app; "
        "import pmo.commands.level, pmo.engine.level, pmo.engine.level_exact; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------
# MSPDI, XER and pmo JSON plans
# ---------------------------------------------------------------------------------------------
#
# The small plan, on the standard calendar (Mon-Fri 08:00-12:00, 13:00-17:00) from Monday
# 2026-03-02: Alice does Design (2 d) and Build (3 d), both free to start on Monday; Test
# (1 d, Bob) follows Build; Docs (2 d) and Review (1 d) each take half of Bob on Monday.
# Unlevelled, Alice works twice on Monday and Tuesday. By hand: Design first puts Build on
# Wed-Fri and Test on the next Monday (6 days); Build first keeps Build Mon-Wed and Test on
# Thursday and puts Design on Thu-Fri (5 days, Alice's 5 days of work: optimal). So Design
# moves 3 working days, from Mon 2 to Thu 5 March, and nothing else moves (Bob's two halves
# fit in one Bob).

MONDAY = datetime(2026, 3, 2, 8)


def small_document() -> ProjectDocument:
    def task(uid: str, name: str, days: int) -> DocTask:
        return DocTask(id=uid, name=name, duration=days * 480)

    return ProjectDocument(
        project=ProjectProperties(
            id="P1", name="Small", code="SMALL", start=MONDAY, default_calendar="1"
        ),
        calendars=(DocCalendar(id="1", name="Standard", is_default=True),),
        tasks=(
            task("1", "Design", 2),
            task("2", "Build", 3),
            task("3", "Test", 1),
            task("4", "Docs", 2),
            task("5", "Review", 1),
        ),
        links=(DocLink("2", "3", LinkType.FS),),
        resources=(DocResource("10", "Alice"), DocResource("11", "Bob")),
        assignments=(
            DocAssignment("a1", "1", "10", 1.0),
            DocAssignment("a2", "2", "10", 1.0),
            DocAssignment("a3", "3", "11", 1.0),
            DocAssignment("a4", "4", "11", 0.5),
            DocAssignment("a5", "5", "11", 0.5),
        ),
    )


def over_allocations(doc: ProjectDocument, dates: dict[str, tuple[datetime, datetime]]) -> list:
    """Independent check: for each resource, the moments where the units of the tasks
    working at once exceed its max units (tasks as [start, finish) intervals)."""
    out = []
    max_units = {r.id: r.max_units or 1.0 for r in doc.resources}
    for rid, cap in max_units.items():
        events = []
        for a in doc.assignments:
            if a.resource == rid and a.task in dates:
                start, finish = dates[a.task]
                events += [(start, a.units), (finish, -a.units)]
        used = 0.0
        for moment, delta in sorted(events, key=lambda e: (e[0], e[1])):
            used += delta
            if used > cap + 1e-9:
                out.append((rid, moment, used))
    return out


def links_hold(doc: ProjectDocument, dates: dict[str, tuple[datetime, datetime]]) -> bool:
    return all(dates[lk.successor][0] >= dates[lk.predecessor][1] for lk in doc.links)


def level_json_of(path: Path, *extra: str) -> dict[str, Any]:
    res = runner.invoke(app, ["level", str(path), "--engine", "exact", "--format", "json", *extra])
    assert res.exit_code == 0, res.output
    return dict(json.loads(res.stdout))


PROPOSAL_KEYS = [
    "file", "format", "engine", "optimal", "seconds", "tasks_levelled", "moved",
    "makespan_days", "lower_bound_days", "project_finish_before", "project_finish_after",
    "peak_overallocation_before", "peak_overallocation_after", "moves", "warnings", "out",
]  # fmt: skip
MOVE_KEYS = [
    "id", "code", "name", "old_start", "old_finish", "new_start", "new_finish", "shift_days",
    "resource_delay_days", "precedence_delay_days", "resource_id", "resource", "blocked_on",
    "competing", "predecessors", "reason",
]  # fmt: skip


def test_level_mspdi_moves_the_hand_computed_task_and_writes_the_levelling_back(
    tmp_path: Path,
) -> None:
    src = tmp_path / "small.xml"
    write_mspdi(small_document(), src)
    out = level_json_of(src, "--out", str(tmp_path / "levelled.xml"))
    assert list(out) == PROPOSAL_KEYS
    assert (out["format"], out["engine"], out["optimal"]) == ("mspdi", "exact", True)
    assert out["makespan_days"] == 5 and out["lower_bound_days"] == 5
    assert out["project_finish_before"] == "2026-03-05T17:00:00"
    assert out["project_finish_after"] == "2026-03-06T17:00:00"
    assert out["peak_overallocation_before"] == {
        "resource_id": "10", "resource": "Alice", "day": "2026-03-02",
        "used_units": 2.0, "max_units": 1.0, "excess_units": 1.0,
    }  # fmt: skip
    assert out["peak_overallocation_after"] is None
    (move,) = out["moves"]
    assert list(move) == MOVE_KEYS
    assert (move["id"], move["name"], move["shift_days"]) == ("1", "Design", 3)
    assert (move["old_start"], move["new_start"]) == ("2026-03-02T08:00:00", "2026-03-05T08:00:00")
    assert move["new_finish"] == "2026-03-06T17:00:00"
    assert (move["resource_id"], move["resource"]) == ("10", "Alice")
    assert move["competing"] == [{"id": "2", "name": "Build"}]
    assert "waiting for Alice" in move["reason"]

    # the written file reads back with the new dates and MS Project's levelling delay
    back = read_mspdi(tmp_path / "levelled.xml")
    design = back.task("1")
    assert (design.start, design.finish) == (datetime(2026, 3, 5, 8), datetime(2026, 3, 6, 17))
    # 3 working days after the early start its predecessors give (none: Monday 08:00)
    assert (design.levelling_delay, design.levelling_delay_format) == (3 * 480, "d")
    assert back.task("2").levelling_delay == 0
    xml = (tmp_path / "levelled.xml").read_text()
    assert "<LevelingDelay>14400</LevelingDelay><LevelingDelayFormat>7</LevelingDelayFormat>" in xml
    dates = {t.id: (t.start, t.finish) for t in back.tasks if t.start and t.finish}
    assert set(dates) == {"1", "2", "3", "4", "5"}
    assert over_allocations(back, dates) == [] and links_hold(back, dates)
    # ... while with Design at its old dates Alice works twice from Monday 08:00
    old = (datetime.fromisoformat(move["old_start"]), datetime.fromisoformat(move["old_finish"]))
    assert [(r, m) for r, m, _ in over_allocations(back, {**dates, "1": old})] == [("10", MONDAY)]


def test_a_levelled_mspdi_file_schedules_to_the_levelled_dates(tmp_path: Path) -> None:
    """``pmo schedule`` applies the leveling delay ``pmo level --out`` wrote, as MS Project
    does: the file schedules to the proposal's dates, and its stored dates are pmo's."""
    src, out = tmp_path / "small.xml", tmp_path / "levelled.xml"
    write_mspdi(small_document(), src)
    proposal = level_json_of(src, "--out", str(out))
    res = runner.invoke(app, ["schedule", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in json.loads(res.stdout)["tasks"]}
    for move in proposal["moves"]:
        assert rows[move["id"]]["early_start"] == move["new_start"]
        assert rows[move["id"]]["early_finish"] == move["new_finish"]
    assert rows["1"]["early_start"] == "2026-03-05T08:00:00"  # Design, 3 days after Monday
    assert json.loads(res.stdout)["project_finish"] == proposal["project_finish_after"]
    # the same file without its delays schedules Design on Monday again
    back = read_mspdi(out)
    plain = schedule(to_plan(back, levelling_delays=False), schedule_options(back))
    assert plain.task("1").early_start == MONDAY
    assert check_fidelity(back).percent_identical == 100.0


def test_level_table_lists_moves_totals_and_reasons(tmp_path: Path) -> None:
    src = tmp_path / "small.xml"
    write_mspdi(small_document(), src)
    res = runner.invoke(app, ["level", str(src), "--engine", "heuristic"])
    assert res.exit_code == 0, res.output
    text = res.stdout
    assert "1 of 5 task(s) moved" in text
    assert "project finish 2026-03-05 17:00 -> 2026-03-06 17:00" in text
    assert "peak over-allocation Alice 2 of 1 unit(s) on 2026-03-02 -> none" in text
    assert "start 2026-03-02 08:00 -> 2026-03-05 08:00" in text and "shift +3" in text


def test_level_xer_reports_activity_ids_and_writes_new_dates(tmp_path: Path) -> None:
    src = tmp_path / "small.xer"
    write_xer(small_document(), src)
    codes = {t.id: t.code for t in read_xer(src)[0].tasks}
    out = level_json_of(src, "--out", str(tmp_path / "levelled.xer"))
    assert out["format"] == "xer"
    (move,) = out["moves"]
    assert (move["id"], move["code"], move["shift_days"]) == ("1", codes["1"], 3)
    (back,) = read_xer(tmp_path / "levelled.xer")
    design = back.task("1")
    assert (design.start, design.finish) == (datetime(2026, 3, 5, 8), datetime(2026, 3, 6, 17))
    assert design.early_start == datetime(2026, 3, 5, 8)
    dates = {t.id: (t.start, t.finish) for t in back.tasks if t.start and not t.wbs_node}
    assert over_allocations(back, dates) == [] and links_hold(back, dates)


def test_level_xer_project_option_picks_one_project(tmp_path: Path) -> None:
    src = tmp_path / "small.xer"
    write_xer(small_document(), src)
    (doc,) = read_xer(src)
    assert level_json_of(src, "--project", doc.project.id)["moved"] == 1
    res = runner.invoke(app, ["level", str(src), "--project", "nope"])
    assert res.exit_code == 2
    assert "small.xer" in res.stderr and "no project 'nope'" in res.stderr
    assert doc.project.id in res.stderr


PLAN = {
    "format": "pmo-plan",
    "version": 1,
    "project_start": "2026-03-02T08:00:00",
    "tasks": [
        {"id": "D", "name": "Design", "duration": "2d"},
        {"id": "B", "name": "Build", "duration": "3d"},
        {"id": "T", "name": "Test", "duration": "1d"},
    ],
    "links": [{"predecessor": "B", "successor": "T"}],
    "resources": [{"id": "alice", "name": "Alice", "max_units": 1}],
    "assignments": [
        {"task": "D", "resource": "alice", "units": 1},
        {"task": "B", "resource": "alice", "units": 1},
    ],
}


def test_level_json_plan_writes_levelled_starts_that_schedule_reads_back(tmp_path: Path) -> None:
    src = tmp_path / "plan.json"
    src.write_text(json.dumps(PLAN))
    out = level_json_of(src, "--out", str(tmp_path / "levelled.json"))
    (move,) = out["moves"]
    assert (move["id"], move["shift_days"], move["new_start"]) == ("D", 3, "2026-03-05T08:00:00")
    assert out["peak_overallocation_after"] is None
    back = read_plan_file(tmp_path / "levelled.json")
    assert dict(back.levelled) == {"D": datetime(2026, 3, 5, 8)}
    assert [r.name for r in back.resources] == ["Alice"] and len(back.assignments) == 2
    result = schedule(read_plan_json(tmp_path / "levelled.json"))
    assert result.task("D").start == datetime(2026, 3, 5, 8)
    assert result.task("D").finish == datetime(2026, 3, 6, 17)
    assert result.task("B").start == MONDAY
    # levelling the levelled file again starts from the plan, not from the levelled starts
    again = level_json_of(tmp_path / "levelled.json")
    assert [m["id"] for m in again["moves"]] == ["D"]


def test_level_a_file_without_resources_says_there_is_nothing_to_level(tmp_path: Path) -> None:
    plan = {k: v for k, v in PLAN.items() if k not in ("resources", "assignments")}
    src = tmp_path / "plan.json"
    src.write_text(json.dumps(plan))
    res = runner.invoke(app, ["level", str(src)])
    assert res.exit_code == 2
    assert "plan.json" in res.stderr and "nothing to level" in res.stderr
    assert "Traceback" not in res.output


def test_level_bad_files_name_what_and_where(tmp_path: Path) -> None:
    plan = dict(PLAN, assignments=[{"task": "D", "resource": "bob"}])
    src = tmp_path / "plan.json"
    src.write_text(json.dumps(plan))
    res = runner.invoke(app, ["level", str(src)])
    assert res.exit_code == 2
    assert "plan.json, record assignments[0], field resource: unknown resource 'bob'" in res.stderr
    broken = tmp_path / "broken.xml"
    broken.write_text("<Project><Tasks><Task></Project>")
    res = runner.invoke(app, ["level", str(broken)])
    assert res.exit_code == 2 and "broken.xml" in res.stderr
    res = runner.invoke(app, ["level", str(tmp_path / "missing.xml")])
    assert res.exit_code == 2 and "missing.xml" in res.stderr and "no such file" in res.stderr


def test_level_out_is_refused_for_psplib(tmp_path: Path) -> None:
    sm = tmp_path / "x.sm"
    sm.write_text("not used\n")
    res = runner.invoke(app, ["level", str(sm), "--out", str(tmp_path / "o.xml")])
    assert res.exit_code == 2 and "--out" in res.stderr
