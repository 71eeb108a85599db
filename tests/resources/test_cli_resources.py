"""``pmo capacity``, ``pmo staff``, ``pmo level-project``, ``pmo level-run`` on the database."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from pmo.cli import app
from pmo.projects.models import Task
from pmo.resources.models import Assignment, LevellingRun, Resource, ResourceSkill, Skill

pytestmark = pytest.mark.django_db

runner = CliRunner()


def pmo(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_help_lists_the_commands_without_loading_django() -> None:
    code = (
        "import sys; from pmo.cli import app; import pmo.commands.resources; "
        "from typer.testing import CliRunner; r = CliRunner().invoke(app, ['--help']); "
        "assert 'django' not in sys.modules; print(r.output)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for command in ("capacity", "staff", "level-project", "level-portfolio", "level-run"):
        assert command in done.stdout


def test_capacity_as_csv_and_json(plan: dict[str, Any]) -> None:
    Assignment.objects.create(
        organisation=plan["org"], task=plan["tasks"][2], resource=plan["alice"], work_minutes=480
    )
    args = ["capacity", "acme", "--by", "week", "--from", "2026-03-02", "--to", "2026-03-15"]
    result = pmo(*args, "--format", "csv", "--user", "boss")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["label"], r["period_start"], r["capacity_hours"], r["demand_hours"], r["over"])
            for r in rows] == [
        ("Alice Martin", "2026-03-02", "40.0", "48.0", "1"),
        ("Alice Martin", "2026-03-09", "40.0", "0.0", "0"),
    ]  # fmt: skip
    result = pmo(*args, "--format", "json", "--user", "boss", "--group", "role")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["group"] == "role"
    result = pmo(*args, "--user", "boss")
    assert result.exit_code == 0 and "120%" in result.stdout and "1 over-allocated" in result.stdout
    result = pmo("capacity", "nope", "--user", "boss")
    assert result.exit_code == 2 and "not found" in result.output
    result = pmo("capacity", "globex", "--user", "boss")  # boss is not a member of globex
    assert result.exit_code == 2


def test_level_project_propose_accept_and_undo(plan: dict[str, Any]) -> None:
    result = pmo("level-project", "LEV", "--format", "json", "--user", "boss")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["status"] == "proposed" and run["moved"] >= 1
    (move,) = [m for m in run["moves"] if m["resource_delay_days"]]
    assert move["resource"] == "Alice Martin"
    assert Task.objects.get(pk=move["task_id"]).levelled_start is None
    result = pmo("level-run", "accept", str(run["id"]), "--user", "boss")
    assert result.exit_code == 0, result.output
    assert "Accepted" in result.stdout
    assert Task.objects.get(pk=move["task_id"]).levelled_start is not None
    result = pmo("level-run", "undo", str(run["id"]), "--user", "boss")
    assert result.exit_code == 0, result.output
    assert Task.objects.get(pk=move["task_id"]).levelled_start is None
    # in one go
    result = pmo("level-project", "LEV", "--accept", "--engine", "heuristic", "--user", "boss")
    assert result.exit_code == 0, result.output
    assert LevellingRun.objects.filter(status="accepted").count() == 1
    assert "Alice" in result.stdout and "finish 2026-03-04 17:00 → 2026-03-06 17:00" in " ".join(
        result.stdout.split()
    )
    result = pmo("level-project", "NOPE", "--user", "boss")
    assert result.exit_code == 2 and "no project" in result.output


def test_level_portfolio(plan: dict[str, Any]) -> None:
    result = pmo("level-portfolio", "acme-pf", "--format", "json", "--user", "boss")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["scope"] == "acme-pf"


def test_staff_suggests_and_applies(plan: dict[str, Any]) -> None:
    org = plan["org"]
    skill = Skill.objects.create(organisation=org, name="Painting")
    role = Resource.objects.create(
        organisation=org, code="PAINTER", name="Painter", kind="role", currency="EUR"
    )
    ResourceSkill.objects.create(resource=role, skill=skill, proficiency=3)
    bob = Resource.objects.create(organisation=org, code="bob", name="Bob", currency="EUR")
    ResourceSkill.objects.create(resource=bob, skill=skill, proficiency=4)
    painting = plan["tasks"][2]
    Assignment.objects.create(organisation=org, task=painting, resource=role, work_minutes=480)
    result = pmo("staff", "LEV", "--format", "json", "--user", "boss")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [s["choice"] for s in body["slots"]] == ["Bob"]
    assert Assignment.objects.filter(task=painting, resource=role).exists()
    result = pmo("staff", "LEV", "--apply", "--user", "boss")
    assert result.exit_code == 0, result.output
    assert "Applied: 1 assignment" in result.stdout
    assert not Assignment.objects.filter(task=painting, resource=role).exists()
    assert Assignment.objects.get(task=painting, resource=bob).work_minutes == 480


def test_level_project_shows_parts_of_days(half_days: Any) -> None:
    half_days(linked=False)
    result = pmo("level-project", "HALF", "--format", "json", "--user", "boss")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert (run["makespan_days"], run["lower_bound_days"]) == (1, 1)
    (move,) = run["moves"]
    assert move["delay_days"] == 0.5 and move["new_start"] == "2026-03-02T13:00:00"
    result = pmo("level-project", "HALF", "--user", "boss")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "+0.5" in text and "makespan 1 working days (lower bound 1, optimal)" in text
