"""Project files on the command line: `pmo import FILE --check` without a database, import
into an organisation, `pmo export PROJECT --format`, `pmo schedule` of MSPDI/XER, `pmo convert`."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pmo.cli import app

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not present")
runner = CliRunner()
TASK_LINKS = SAMPLES / "mspdi" / "mpxj__task-links-project2003-mspdi.xml"
MULTI_XER = SAMPLES / "xer" / "aspose__MultiprojectWithExternal.xer"


def pmo(*args: str) -> Any:
    return runner.invoke(app, list(args))


def said(text: str) -> str:
    return " ".join(text.split())


@needs_samples
def test_check_needs_no_database() -> None:
    """file -> document -> engine -> report; Django is never imported."""
    code = (
        "import sys; from typer.testing import CliRunner; from pmo.cli import app\n"
        f"r = CliRunner().invoke(app, ['import', {str(TASK_LINKS)!r}, '--check'])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert 'django' not in sys.modules, 'django imported'\n"
        "print(r.stdout)"
    )
    env = {"PMO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr
    out = said(done.stdout)
    assert "mspdi, 1 project(s)" in out
    assert "17/17 tasks identical to the minute (100.00 %)" in out


@needs_samples
def test_check_lists_the_tasks_that_differ_and_prints_json() -> None:
    sample = SAMPLES / "mspdi" / "aspose__Software-Development-Plan.mspdi.xml"
    result = pmo("import", str(sample), "--check", "--limit", "5")
    assert result.exit_code == 0, result.output
    out = said(result.stdout)
    assert "tasks identical to the minute" in out and "87 tasks" in out
    result = pmo("import", str(MULTI_XER), "--check", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format"] == "xer" and len(doc["projects"]) == 2
    assert {"compared", "identical", "tasks"} <= set(doc["projects"][0]["fidelity"])


def test_check_of_a_bad_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("ID,Name,Duration\n1,A,soon\n", encoding="utf-8")
    result = pmo("import", str(bad), "--check")
    assert result.exit_code == 2
    assert "bad.csv, line 2" in said(result.stderr) and "Duration" in result.stderr
    result = pmo("import", str(bad))
    assert result.exit_code == 2 and "give --org" in said(result.stderr)


@needs_samples
@pytest.mark.django_db
def test_import_into_an_organisation_and_export(two_orgs: dict[str, Any], tmp_path: Path) -> None:
    from pmo.core.models import AuditEvent
    from pmo.projects.models import Project, Task

    check = pmo("import", str(TASK_LINKS), "--org", "acme", "--check")
    assert check.exit_code == 0, check.output
    assert "would create: 1 project(s), 16 tasks, 8 links" in said(check.stdout)
    assert not Project.objects.filter(code="LINKS").exists()

    result = pmo("import", str(TASK_LINKS), "--org", "acme", "--code", "LINKS", "--name", "Links")
    assert result.exit_code == 0, result.output
    project = Project.objects.get(code="LINKS")
    assert project.portfolio_id == two_orgs["acme"]["portfolio"].pk
    assert Task.objects.filter(project=project).count() == 16
    assert AuditEvent.objects.filter(object_type="projects.task", username="import").count() == 16
    # the stored project, rescheduled, against the dates MS Project stored
    assert "LINKS after the import, pmo against the file: 16/16 tasks identical" in said(
        result.stdout
    )

    for fmt, ext in (("mspdi", "xml"), ("xer", "xer"), ("xlsx", "xlsx"), ("csv", "csv")):
        out = tmp_path / f"links.{ext}"
        done = pmo("export", "LINKS", "--format", fmt, "--out", str(out))
        assert done.exit_code == 0, done.output
        assert out.stat().st_size > 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "links.csv").read_text("utf-8-sig"))))
    assert len(rows) == 16 and rows[0]["Name"] == "Task 1"
    ics = pmo("export", "LINKS", "--format", "ics", "--out", "-")
    assert ics.exit_code == 0 and ics.stdout.startswith("BEGIN:VCALENDAR")
    # the exported MSPDI imports back
    again = pmo("import", str(tmp_path / "links.xml"), "--org", "acme", "--json")
    assert again.exit_code == 0, again.output
    again_result = json.loads(again.stdout)
    assert again_result["counts"]["tasks"] == 16
    assert again_result["schedule"]["identical"] == again_result["schedule"]["compared"] == 16
    # the organisation export still works, with or without --format json
    org = pmo("export", "acme", "--out", str(tmp_path / "acme.json"))
    assert org.exit_code == 0, org.output
    assert json.loads((tmp_path / "acme.json").read_text())["organisation"]["code"] == "acme"
    assert pmo("export", "acme", "--format", "json", "--out", "-").exit_code == 0


@pytest.mark.django_db
def test_import_errors(two_orgs: dict[str, Any], tmp_path: Path) -> None:
    from pmo.portfolio.models import Portfolio

    plan = tmp_path / "plan.csv"
    plan.write_text("ID,Name,Duration\n1,A,1d\n", encoding="utf-8")
    unknown = pmo("import", str(plan), "--org", "nowhere")
    assert unknown.exit_code == 2 and "nowhere" in said(unknown.stderr)
    Portfolio.objects.create(
        organisation=two_orgs["acme"]["org"], code="second", name="Second", currency="EUR"
    )
    ambiguous = pmo("import", str(plan), "--org", "acme")
    assert ambiguous.exit_code == 2 and "--portfolio" in said(ambiguous.stderr)
    wrong = pmo("import", str(plan), "--org", "acme", "--portfolio", "zzz")
    assert wrong.exit_code == 2 and "acme-pf" in said(wrong.stderr)
    ok = pmo("import", str(plan), "--org", "acme", "--portfolio", "second")
    assert ok.exit_code == 0, ok.output
    assert pmo("export", "nothing", "--format", "xer", "--out", "-").exit_code == 2
    organisation_doc = tmp_path / "org.json"
    organisation_doc.write_text("{}", encoding="utf-8")
    mixed = pmo("import", str(organisation_doc), "--org", "acme")
    assert mixed.exit_code == 2 and "project files" in said(mixed.stderr)


@needs_samples
def test_schedule_reads_mspdi_and_xer_with_the_files_task_ids() -> None:
    result = pmo("schedule", str(TASK_LINKS), "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    uids = [r["id"] for r in rows]
    assert uids[:3] == ["0", "1", "2"] and len(rows) == 17  # MSPDI UIDs
    assert rows[1]["early_start"] == "2014-10-17T08:00:00"
    result = pmo("schedule", str(MULTI_XER))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {t["id"] for t in doc["tasks"]} == {"133031", "133085", "133086"}  # XER task_id


@needs_samples
def test_convert(tmp_path: Path) -> None:
    from pmo.interop.mspdi import read_mspdi
    from pmo.interop.xer import read_xer

    xer = tmp_path / "links.xer"
    done = pmo("convert", str(TASK_LINKS), "--to", "xer", "--out", str(xer))
    assert done.exit_code == 0, done.output
    (doc,) = read_xer(xer)
    assert len(doc.links) == 8
    xml = tmp_path / "multi.xml"
    assert pmo("convert", str(MULTI_XER), "--to", "mspdi", "--out", str(xml)).exit_code == 0
    assert len(read_mspdi(xml).tasks) >= 3
    assert pmo("convert", str(TASK_LINKS), "--to", "csv", "--out", "-").stdout.count("\n") == 18
    bad = pmo("convert", str(tmp_path / "none.xml"), "--to", "xer", "--out", "-")
    assert bad.exit_code == 2 and "cannot read" in said(bad.stderr)
