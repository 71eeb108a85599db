"""``pmo schedule FILE`` (file command, no database)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmo.cli import app

PSPLIB = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "psplib"
J301_1 = PSPLIB / "j30" / "j301_1.sm"
runner = CliRunner()

TASKS = """id,name,duration,predecessors
1,Design,5d,
2,Build,3d,1
3,Test,2d,"1SS+1d"
4,Done,0,"2,3"
"""
FIELDS = [
    "id", "name", "early_start", "early_finish", "late_start", "late_finish",
    "total_float_days", "free_float_days", "critical",
]  # fmt: skip


@pytest.fixture
def task_csv(tmp_path: Path) -> Path:
    path = tmp_path / "plan.csv"
    path.write_text(TASKS)
    return path


def test_json_output_is_exactly_the_documented_record(task_csv: Path) -> None:
    res = runner.invoke(app, ["schedule", str(task_csv), "--start", "2026-01-05"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert list(out) == ["project_start", "project_finish", "duration_days", "tasks"]
    assert out["project_start"] == "2026-01-05T08:00:00"
    assert out["project_finish"] == "2026-01-14T17:00:00"
    assert out["duration_days"] == 8
    assert [list(t) for t in out["tasks"]] == [FIELDS] * 4
    t = {x["id"]: x for x in out["tasks"]}
    assert t["1"]["early_finish"] == "2026-01-09T17:00:00"
    assert t["2"]["early_start"] == "2026-01-12T08:00:00"
    assert t["3"] == {
        "id": "3", "name": "Test",
        "early_start": "2026-01-06T08:00:00", "early_finish": "2026-01-07T17:00:00",
        "late_start": "2026-01-13T08:00:00", "late_finish": "2026-01-14T17:00:00",
        "total_float_days": 5, "free_float_days": 5, "critical": False,
    }  # fmt: skip
    assert [x["critical"] for x in out["tasks"]] == [True, True, False, True]


def test_csv_output_has_the_same_columns(task_csv: Path) -> None:
    res = runner.invoke(
        app, ["schedule", str(task_csv), "--start", "2026-01-05", "--format", "csv"]
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0]) == FIELDS
    assert rows[2]["total_float_days"] == "5.0" and rows[2]["critical"] == "false"


def test_continuous_calendar_works_every_day(task_csv: Path) -> None:
    res = runner.invoke(
        app, ["schedule", str(task_csv), "--start", "2026-01-05", "--calendar", "continuous"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["project_finish"] == "2026-01-12T17:00:00"  # 8 days from Monday incl. weekend
    assert out["duration_days"] == 8


def test_default_start_is_the_first_working_day_from_today(task_csv: Path) -> None:
    res = runner.invoke(app, ["schedule", str(task_csv)])
    assert res.exit_code == 0, res.output
    start = datetime.fromisoformat(json.loads(res.stdout)["project_start"])
    assert start.date() >= date.today() and start.weekday() < 5 and start.hour == 8


@pytest.mark.skipif(not J301_1.is_file(), reason="shared PSPLIB data is not present")
def test_psplib_file_uses_job_numbers() -> None:
    res = runner.invoke(
        app, ["schedule", str(J301_1), "--start", "2026-01-05", "--calendar", "continuous"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["duration_days"] == 38  # mpm_time_critical_path of j301_1 in bounds.csv
    assert [t["id"] for t in out["tasks"]] == [str(j) for j in range(1, 33)]


def test_json_plan_input(tmp_path: Path) -> None:
    doc = {
        "project_start": "2026-01-05",
        "tasks": [{"id": "a", "name": "A", "duration": "2d"}, {"id": "b", "duration": "1d"}],
        "links": [{"predecessor": "a", "successor": "b", "type": "SS", "lag": "+1d"}],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    res = runner.invoke(app, ["schedule", str(path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["project_finish"] == "2026-01-06T17:00:00"
    # detected by content too
    other = tmp_path / "plan.txt"
    other.write_text(json.dumps(doc))
    res = runner.invoke(app, ["schedule", str(other), "--start", "2026-01-12"])
    assert json.loads(res.stdout)["project_finish"] == "2026-01-13T17:00:00"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name,duration,predecessors\n1,a,1x,\n", "plan.csv, line 2, record 1, field duration"),
        ("id,name,duration,predecessors\n1,a,1d,2\n2,b,1d,1\n", "Circular dependency"),
        ("id,name,duration,predecessors\n1,a,1d,9\n", "field predecessors"),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(text)
    res = runner.invoke(app, ["schedule", str(path), "--start", "2026-01-05"])
    assert res.exit_code == 2
    assert res.stdout == ""
    assert message in res.stderr
    assert res.stderr.strip().count("\n") == 0
    if "Circular" in message:
        assert "plan.csv" in res.stderr
        assert "1 → 2 → 1" in res.stderr or "2 → 1 → 2" in res.stderr


def test_missing_file_and_bad_start(tmp_path: Path) -> None:
    res = runner.invoke(app, ["schedule", str(tmp_path / "nope.csv")])
    assert res.exit_code == 2 and "no such file" in res.stderr
    path = tmp_path / "plan.csv"
    path.write_text(TASKS)
    res = runner.invoke(app, ["schedule", str(path), "--start", "05/01/2026"])
    assert res.exit_code == 2 and "--start" in res.stderr


def test_schedule_command_never_imports_django(task_csv: Path) -> None:
    code = (
        "import sys, typer\n"
        "from pmo.commands import schedule as s\n"
        "app = typer.Typer()\n"
        "s.register(app)\n"
        "from typer.testing import CliRunner\n"
        f"r = CliRunner().invoke(app, [{str(task_csv)!r}, '--start', '2026-01-05'])\n"
        "assert r.exit_code == 0, r.output\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'ninja', 'psycopg')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
