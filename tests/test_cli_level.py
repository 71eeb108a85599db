"""``pmo level`` and ``pmo bench psplib`` (file commands, no database)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmo.cli import app
from pmo.engine.level import LevelProblem, check_schedule
from pmo.interop.psplib import read_sm

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


def test_level_other_formats_are_refused_clearly(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    res = runner.invoke(app, ["level", str(plan)])
    assert res.exit_code == 2
    assert ".sm" in res.stderr and "interop" in res.stderr


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
