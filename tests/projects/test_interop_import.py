"""Importing project files through the service: every sample, counts against the expected
files, one transaction, audit, roles, calendars and resources reused, size limit, .mpp."""

from __future__ import annotations

import csv
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pmo.errors import (
    CircularDependency,
    Conflict,
    FileFormatError,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedFormat,
)

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
FILES = (
    sorted((SAMPLES / "mspdi").glob("*.xml")) + sorted((SAMPLES / "xer").glob("*.xer"))
    if SAMPLES.is_dir()
    else []
)
needs_samples = pytest.mark.skipif(not FILES, reason="../shared/samples is not present")
pytestmark = pytest.mark.django_db


def expected(sample: Path, kind: str) -> list[dict[str, str]]:
    name = sample.name.replace(".mspdi.xml", ".mpp")
    with (SAMPLES / "expected" / f"{name}.{kind}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def acme(two_orgs: dict[str, Any], make_user: Any) -> dict[str, Any]:
    from pmo.core.access import Access

    data = two_orgs["acme"]
    user = make_user("importer", data["org"], "pmo_admin")
    return {**data, "user": user, "access": Access(user)}


def do_import(acme: dict[str, Any], path: Path, **options: Any) -> Any:
    from pmo.projects.interop_import import ImportOptions, do_import_project_file

    return do_import_project_file(
        acme["access"], acme["portfolio"], path.read_bytes(), path.name, ImportOptions(**options)
    )


def counts() -> dict[str, int]:
    from django.apps import apps

    return {m._meta.label_lower: m._default_manager.count() for m in apps.get_models()}


@needs_samples
@pytest.mark.parametrize("sample", FILES, ids=lambda p: p.name)
def test_every_sample_imports_with_the_tasks_and_links_of_the_expected_file(
    sample: Path, acme: dict[str, Any]
) -> None:
    """The file's rows, less its project row (MS Project's project summary task, UID 0 at
    outline level 0; P6's project WBS node): that row is the pmo project itself."""
    from pmo.projects.models import Dependency, Project, Task

    result = do_import(acme, sample)
    rows = expected(sample, "tasks")
    if sample.suffix == ".xer":
        root, rows = rows[0], rows[1:]
        projects = Project.objects.filter(pk__in=result.project_ids)
        project = projects.get() if len(projects) == 1 else projects.get(code=root["activity_id"])
    else:
        rows = [r for r in rows if r["outline_level"] != "0"]
        (pk,) = result.project_ids
        project = Project.objects.get(pk=pk)
    tasks = list(Task.objects.filter(project=project))
    assert len(tasks) == len(rows)
    assert Counter(t.name for t in tasks) == Counter(r["name"] for r in rows) or sample.name == (
        "aspose__encoding1251.xer"  # MPXJ read that file as cp1252 (see test_xer)
    )
    milestones = {r["name"] for r in rows if r["milestone"] == "True" and r["summary"] != "True"}
    assert {t.name for t in tasks if t.is_milestone} == milestones
    relations = expected(sample, "relations")
    pairs = {(r["predecessor_unique_id"], r["successor_unique_id"]) for r in relations}
    links = Dependency.objects.filter(successor__project=project, predecessor__project=project)
    assert links.count() == len(pairs)  # P6 may link a pair twice (two types): pmo keeps one
    # rescheduled with pmo's engine; a P6 WBS element only rolls up the activities under it
    # (an empty one has no dates)
    leaves = [t for t in tasks if not t.is_summary and t.activity_type != "wbs_element"]
    assert all(t.early_start is not None for t in leaves)
    assert project.scheduled_start is not None or not leaves


@needs_samples
def test_the_6260_activity_xer_keeps_what_the_engine_needs(acme: dict[str, Any]) -> None:
    """SP10 through the service: the rows, the audit, P6's scheduling options and task kinds,
    the tags; and the stored project, rescheduled from the database, gives P6's dates for the
    same activities as the file-level check does (early dates of 2,967 of 3,471 before it kept
    P6's rules, start milestones, Finish On late bounds, expected finishes, WBS elements)."""
    from pmo.core.models import AuditEvent
    from pmo.interop.fidelity import check_fidelity
    from pmo.interop.xer import read_xer
    from pmo.projects.models import Baseline, BaselineTask, Dependency, Project, Task
    from pmo.resources.models import Assignment

    sample = SAMPLES / "xer" / "pyp6xer__SP10_cost_loaded.xer"
    started = time.perf_counter()
    result = do_import(acme, sample)
    seconds = time.perf_counter() - started
    print(
        f"\nSP10_cost_loaded.xer (6,260 activities and WBS elements, 5,966 relationships): "
        f"imported and rescheduled in {seconds:.2f} s through the service "
        f"(the stored project gives P6's dates for {result.schedule_identical} of "
        f"{result.schedule_compared} open activities)"
    )
    (pk,) = result.project_ids
    project = Project.objects.get(pk=pk)
    assert project.code == "HS2-LWM-IMP-040-20" and project.currency == "GBP"
    assert project.status_date is not None and str(project.status_date) == "2017-09-16"
    tasks = Task.objects.filter(project=project)
    assert tasks.count() == 6259 == result.counts["tasks"]
    assert Dependency.objects.filter(successor__project=project).count() == result.counts["links"]
    assert Assignment.objects.filter(task__project=project).count() == 692
    baseline = Baseline.objects.get(project=project)
    assert baseline.number == 0 and baseline.name == "P6 planned dates"
    assert BaselineTask.objects.filter(baseline=baseline).count() == 3994
    assert tasks.filter(actual_start__isnull=False).exists()
    # one audit event per created row
    audited = Counter(
        AuditEvent.objects.filter(organisation=acme["org"], action="create").values_list(
            "object_type", flat=True
        )
    )
    assert audited["projects.task"] == 6259
    assert audited["projects.dependency"] == result.counts["links"]
    assert audited["projects.baselinetask"] == 3994
    assert audited["resources.assignment"] == 692
    assert audited["orgs.calendar"] == result.counts["calendars"]

    # P6's scheduling options (SCHEDOPTIONS, PROJECT) on the project
    assert (
        project.scheduling_convention,
        project.lag_calendar,
        project.progress_mode,
        project.honor_constraint_dates,
        project.start_lag_from_early_start,
        project.use_expected_finish,
        project.schedule_from_status_date,
    ) == ("p6", "predecessor", "retained_logic", False, True, True, True)
    # what each activity is and its constraints, as in the file (WBS elements less the
    # project's own node)
    assert Counter(tasks.values_list("activity_type", flat=True)) == {
        "task": 2635,
        "finish_milestone": 1037,
        "start_milestone": 319,
        "level_of_effort": 3,
        "wbs_element": 2265,
    }
    assert Counter(
        tasks.exclude(constraint_type="ASAP").values_list("constraint_type", flat=True)
    ) == {
        "FINISH_ON": 786,
        "ALAP": 381,
        "SNET": 256,
        "START_ON": 4,
    }
    assert tasks.filter(expected_finish__isnull=False).count() == 225

    # the stored project against the file: the same activities differ as in the file-level
    # check (what the engine does not reproduce of P6, docs/interop.md), none more
    file_report = check_fidelity(read_xer(sample)[0])
    ((code, stored),) = result.schedule
    assert code == project.code
    assert stored.compared == file_report.compared == 3471
    assert stored.identical == file_report.identical >= 3426
    assert {t.task_id for t in stored.tasks} == {t.task_id for t in file_report.tasks}

    # a few activities, by Activity ID: P6's dates (the file's), stored by pmo's reschedule
    by_code = {t.wbs: t for t in tasks.exclude(activity_type="wbs_element")}

    def dates(activity: str) -> tuple[Any, ...]:
        t = by_code[activity]
        moments = (t.early_start, t.early_finish, t.late_start, t.late_finish)
        return (*(v.replace(tzinfo=None) if v else None for v in moments), t.total_float_minutes)

    at = datetime
    # Finish On: the date bounds the late finish (P6 stores -86 h of float)
    assert by_code["P1EWCC-KM-FTM-1000"].constraint_type == "FINISH_ON"
    assert dates("P1EWCC-KM-FTM-1000") == (
        at(2019, 11, 5, 14),
        at(2019, 11, 5, 14),
        at(2019, 10, 25, 16),
        at(2019, 10, 25, 16),
        -5160,
    )
    # a start milestone sits at the start of the next working period
    assert by_code["P1EWCC-PWP01-9970"].activity_type == "start_milestone"
    assert dates("P1EWCC-PWP01-9970") == (
        at(2017, 9, 18, 8),
        at(2017, 9, 18, 8),
        at(2022, 8, 29, 8),
        at(2022, 8, 29, 8),
        619200,
    )
    # level of effort: its dates span its neighbours'
    assert by_code["P1EWCC-PWP09-1020"].activity_type == "level_of_effort"
    assert dates("P1EWCC-PWP09-1020") == (
        at(2017, 12, 8, 16),
        at(2018, 4, 4, 16),
        at(2017, 11, 1, 8),
        at(2018, 2, 23, 17),
        -13380,
    )
    # work in progress that P6 finishes on its expected finish (P6 stores the remaining
    # start, pmo the actual start: the finishes and float are compared)
    expected = by_code["COST-1060"]
    assert expected.expected_finish.replace(tzinfo=None) == at(2017, 11, 30, 17)
    _, early_finish, _, late_finish, total_float = dates("COST-1060")
    assert (early_finish, late_finish, total_float) == (
        at(2017, 11, 30, 17),
        at(2023, 1, 13, 17),
        641280,
    )

    # P6's activity codes and user-defined fields are tags, the definitions on the project
    assert expected.tags == {"HS2 Filter": "y", "COST LOADED": "UDF_G2", "Fusion - WPS": "AW4"}
    assert expected.notes == ""
    kinds = {d["name"]: (d["kind"], len(d["values"])) for d in project.tag_definitions}
    assert kinds["Fusion - WPS"] == ("code", 36) and kinds["COST LOADED"][0] == "udf"


@needs_samples
@pytest.mark.parametrize("sample", [f for f in FILES if "SP10" not in f.name], ids=lambda p: p.name)
def test_the_stored_project_reschedules_as_the_file_does(
    sample: Path, acme: dict[str, Any]
) -> None:
    """After the import, pmo's schedule of the database rows differs from the file's dates
    for exactly the tasks the file-level check finds (none for these samples but the one
    activity scheduled against another project): nothing the engine uses is lost. MS
    Project's resource calendars (legacy-sample: a task on a day and a night shift) and
    status date options are among what the rows keep."""
    from pmo.interop.fidelity import check_fidelity
    from pmo.interop.projectfile import read_project_file
    from pmo.projects.models import Project

    _, docs = read_project_file(sample.read_bytes(), sample.name)
    result = do_import(acme, sample)
    stored = dict(result.schedule)
    for project_id, doc in zip(result.project_ids, docs, strict=True):
        project = Project.objects.get(pk=project_id)
        in_file = check_fidelity(doc)
        if project.code not in stored:  # nothing but the project's own row
            assert result.counts["tasks"] == 0 and in_file.compared <= 1
            continue
        report = stored[project.code]
        assert {t.task_id for t in report.tasks} == {t.task_id for t in in_file.tasks}
        # MS Project's project summary task (UID 0) is the pmo project, not a task
        assert report.compared == in_file.compared - (1 if sample.suffix == ".xml" else 0)
        assert report.identical == report.compared - len(report.tasks)


@needs_samples
def test_several_projects_become_a_program_with_their_cross_links(acme: dict[str, Any]) -> None:
    from pmo.portfolio.models import Program
    from pmo.projects.models import Dependency, Project

    result = do_import(acme, SAMPLES / "xer" / "aspose__MultiprojectWithExternal.xer")
    assert len(result.project_ids) == 2 and result.program_id is not None
    program = Program.objects.get(pk=result.program_id)
    assert program.portfolio_id == acme["portfolio"].pk
    projects = Project.objects.filter(pk__in=result.project_ids)
    assert {p.program_id for p in projects} == {program.pk}
    cross = Dependency.objects.filter(successor__project__in=projects).exclude(
        predecessor__project_id=models_f("successor__project_id")
    )
    assert cross.count() == 1


def models_f(name: str) -> Any:
    from django.db.models import F

    return F(name)


def test_a_corrupt_file_creates_nothing_and_names_the_line(acme: dict[str, Any]) -> None:
    from pmo.projects.interop_import import do_import_project_file

    before = counts()
    truncated = (
        b"ERMHDR\t8.0\t2024-01-01\tProject\tadmin\tAdmin\tdbx\tProject Management\tUSD\n"
        b"%T\tPROJECT\n%F\tproj_id\n%R\t1\n"
    )
    with pytest.raises(FileFormatError, match="line"):
        do_import_project_file(acme["access"], acme["portfolio"], truncated, "broken.xer")
    bad_xml = b"<?xml version='1.0'?>\n<Project xmlns='http://schemas.microsoft.com/project'>\n<Tasks><Task><UID>1</UID>\n<Duration>soon</Duration></Task></Tasks></Project>"
    with pytest.raises(FileFormatError) as err:
        do_import_project_file(acme["access"], acme["portfolio"], bad_xml, "bad.xml")
    assert err.value.location.line is not None and err.value.location.column == "Duration"
    with pytest.raises(UnsupportedFormat):
        do_import_project_file(acme["access"], acme["portfolio"], b"\x00\x01garbage", "x.bin")
    assert counts() == before


def test_a_failure_after_the_first_rows_undoes_everything(
    acme: dict[str, Any], monkeypatch: Any
) -> None:
    from pmo.projects import interop_import
    from pmo.projects.interop_import import do_import_project_file

    cycle = b"ID,Name,Duration,Predecessors\n1,A,1d,2\n2,B,1d,1\n"
    before = counts()
    with pytest.raises(CircularDependency):
        do_import_project_file(acme["access"], acme["portfolio"], cycle, "cycle.csv")
    assert counts() == before

    def boom(*args: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(interop_import, "_schedule", boom)
    ok = b"ID,Name,Duration,Predecessors,Resource Names\n1,A,1d,,Ann\n2,B,1d,1,Ann\n"
    with pytest.raises(RuntimeError):
        do_import_project_file(acme["access"], acme["portfolio"], ok, "ok.csv")
    assert counts() == before


def test_roles(two_orgs: dict[str, Any], make_user: Any) -> None:
    from pmo.core.access import Access
    from pmo.projects.interop_import import ImportOptions, do_import_project_file

    acme = two_orgs["acme"]
    data = b"ID,Name,Duration,Predecessors,Resource Names\n1,A,2d,,Ann\n2,B,1d,1,\n"
    viewer = Access(make_user("viewer", acme["org"], "executive_viewer"))
    member = Access(make_user("member", acme["org"], "team_member"))
    pm = Access(make_user("pm", acme["org"], "project_manager"))
    before = counts()
    with pytest.raises(PermissionDenied):
        do_import_project_file(viewer, acme["portfolio"], data, "a.csv")
    with pytest.raises(PermissionDenied):
        do_import_project_file(member, acme["portfolio"], data, "a.csv")
    with pytest.raises(PermissionDenied, match="resources"):  # a new resource: the pool's
        do_import_project_file(pm, acme["portfolio"], data, "a.csv")
    assert counts() == before
    # without new resources, the project manager's import goes through (the Standard
    # calendar of the file is the organisation's own)
    result = do_import_project_file(
        pm, acme["portfolio"], data, "a.csv", ImportOptions(resources="match")
    )
    assert result.counts["tasks"] == 2 and result.counts["calendars"] == 0
    assert any("not in the pool" in w for w in result.warnings)


def test_calendars_need_a_pmo_admin(two_orgs: dict[str, Any], make_user: Any) -> None:
    from pmo.core.access import Access
    from pmo.projects.interop_import import do_import_project_file

    acme = two_orgs["acme"]
    manager = Access(make_user("pfm", acme["org"], "portfolio_manager"))
    data = (SAMPLES / "xer" / "mpxj__percent-complete-8.4.xer").read_bytes() if FILES else None
    if data is None:
        pytest.skip("../shared/samples is not present")
    with pytest.raises(PermissionDenied, match="only a PMO admin may create calendars"):
        do_import_project_file(manager, acme["portfolio"], data, "p.xer")


@needs_samples
def test_a_second_import_reuses_calendars_and_matches_resources(acme: dict[str, Any]) -> None:
    from pmo.orgs.models import Calendar
    from pmo.projects.models import Project
    from pmo.resources.models import Resource

    sample = SAMPLES / "mspdi" / "mpxj__mspdiresource.xml"
    first = do_import(acme, sample)
    calendars = Calendar.objects.filter(organisation=acme["org"]).count()
    resources = Resource.objects.filter(organisation=acme["org"]).count()
    second = do_import(acme, sample)
    assert Calendar.objects.filter(organisation=acme["org"]).count() == calendars
    assert Resource.objects.filter(organisation=acme["org"]).count() == resources
    assert second.counts["resources"] == 0
    assert second.counts["resources_matched"] == first.counts["resources"]
    codes = Project.objects.filter(pk__in=first.project_ids + second.project_ids).values_list(
        "code", flat=True
    )
    assert len(set(codes)) == 2  # the second got a "-2" code
    with pytest.raises(Conflict, match="code"):
        do_import(acme, sample, code=codes[0])


def test_the_upload_limit(acme: dict[str, Any], settings: Any) -> None:
    from pmo.projects.interop_import import do_import_project_file

    settings.MAX_UPLOAD_MB = 0
    with pytest.raises(PayloadTooLarge, match="PMO_MAX_UPLOAD_MB"):
        do_import_project_file(
            acme["access"], acme["portfolio"], b"ID,Name,Duration\n1,A,1d\n", "a.csv"
        )


def test_a_task_list_with_a_mapping(acme: dict[str, Any]) -> None:
    from pmo.projects.interop_import import ImportOptions, do_import_project_file
    from pmo.projects.models import Dependency, Task
    from pmo.resources.models import Assignment

    data = b"Ref;Job;Days;After;Who\nA;Survey;2;;Ann\nB;Dig;3;A;Ann[50%]\nC;Done;0;B;\n"
    options = ImportOptions(
        mapping={"id": "Ref", "name": "Job", "duration": "Days", "predecessors": "After"}
        | {"resources": "Who"},
        code="DIG",
        name="Digging",
    )
    result = do_import_project_file(acme["access"], acme["portfolio"], data, "dig.csv", options)
    tasks = {t.name: t for t in Task.objects.filter(project_id=result.project_ids[0])}
    assert tasks["Dig"].duration_minutes == 3 * 480 and tasks["Done"].is_milestone
    assert Dependency.objects.filter(successor=tasks["Dig"], predecessor=tasks["Survey"]).exists()
    assignment = Assignment.objects.get(task=tasks["Dig"])
    assert str(assignment.units) == "0.50" and assignment.resource.name == "Ann"
    assert tasks["Dig"].early_start is not None


# ----------------------------------------------------------------------------------------------
# .mpp through MPXJ (optional: needs the 'mpp' extra and Java)
# ----------------------------------------------------------------------------------------------


def _mpxj_ready() -> bool:
    from pmo.interop.mpp import mpxj_status

    return mpxj_status()[0]


@pytest.mark.skipif(not FILES or not _mpxj_ready(), reason="MPXJ (pmo[mpp]) or Java missing")
def test_an_mpp_file_imports_through_mpxj(acme: dict[str, Any]) -> None:
    from pmo.projects.models import Baseline, Task

    sample = SAMPLES / "mpp" / "aspose__Software-Development.mpp"
    result = do_import(acme, sample)
    rows = [r for r in expected(sample, "tasks") if r["outline_level"] != "0"]
    tasks = Task.objects.filter(project_id=result.project_ids[0])
    assert tasks.count() == len(rows)
    assert Counter(tasks.values_list("name", flat=True)) == Counter(r["name"] for r in rows)
    assert Baseline.objects.filter(project_id=result.project_ids[0], number=0).exists()
    assert tasks.filter(actual_start__isnull=False).exists()  # the file has progress


def test_without_mpxj_an_mpp_file_is_refused_clearly(
    acme: dict[str, Any], monkeypatch: Any
) -> None:
    from pmo.interop import mpp
    from pmo.projects.interop_import import do_import_project_file

    monkeypatch.setattr(mpp, "_jar_folder", lambda: None)
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    with pytest.raises(UnsupportedFormat, match=r"pmo\[mpp\]") as err:
        do_import_project_file(acme["access"], acme["portfolio"], data, "plan.mpp")
    assert err.value.http_status == 415
    monkeypatch.setattr(mpp, "_jar_folder", lambda: Path("/nonexistent"))
    monkeypatch.setattr(mpp, "_java", lambda: None)
    with pytest.raises(UnsupportedFormat, match="Java"):
        do_import_project_file(acme["access"], acme["portfolio"], data, "plan.mpp")
