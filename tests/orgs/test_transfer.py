"""Organisation export and import: complete, id-free, round-trips exactly, all or nothing."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction

from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.errors import Conflict, PermissionDenied, ValidationFailed
from pmo.finance.models import BudgetLine, CostLine, EvmSnapshot, ExchangeRate, TimesheetEntry
from pmo.governance.models import ChangeRequest, Decision, LessonLearned, StageGate, StatusReport
from pmo.orgs.models import Calendar, CalendarException, Membership, Organisation
from pmo.orgs.transfer import (
    FORMAT,
    NOT_EXPORTED,
    SECTIONS,
    delete_organisation,
    export_organisation,
    import_organisation,
    json_path,
)
from pmo.portfolio.models import Portfolio, Program, StrategicObjective
from pmo.projects.models import Baseline, BaselineTask, Dependency, Project, Task
from pmo.resources.models import (
    Assignment,
    CostRate,
    Resource,
    ResourceSkill,
    Skill,
    TaskSkillRequirement,
)
from pmo.risks.models import Issue, Risk

UTC = dt.UTC
pytestmark = pytest.mark.django_db


def _user(username: str, **names: str) -> Any:
    user = get_user_model()(username=username, **names)
    user.set_unusable_password()  # no slow password hashing in these tests
    user.save()
    return user


def _everything(code: str = "north") -> Organisation:
    """One or more rows in every section, with forward self-references and odd values."""
    org = Organisation.objects.create(code=code, name="North", country="FR", currency="EUR")
    cal = Calendar.objects.create(organisation=org, name="Standard", country="FR")
    portfolio = Portfolio.objects.create(organisation=org, code="PF", name="PF", currency="EUR")
    program = Program.objects.create(organisation=org, portfolio=portfolio, code="PG", name="PG")
    project = Project.objects.create(
        organisation=org,
        portfolio=portfolio,
        program=program,
        code="P1",
        name="P1",
        currency="EUR",
        calendar=cal,
    )
    t1 = Task.objects.create(organisation=org, project=project, name="Design", position=1)
    t2 = Task.objects.create(organisation=org, project=project, name="Build", position=2)
    Dependency.objects.create(organisation=org, predecessor=t1, successor=t2)
    pm = _user(f"{code}-pm", first_name="Zoë", last_name="Müller", email="zoe@north.example")
    viewer = _user(f"{code}-viewer")
    Membership.objects.create(user=pm, organisation=org, role="project_manager", project=project)
    Membership.objects.create(user=viewer, organisation=org, role="executive_viewer")
    org.default_calendar = cal
    org.save()
    cal.working_week = [[[480, 720], [780, 1020]]] * 5 + [[[540, 720]], []]
    cal.save()
    CalendarException.objects.create(
        organisation=org,
        calendar=cal,
        name="Shutdown",
        start_date=dt.date(2026, 8, 3),
        end_date=dt.date(2026, 8, 14),
    )
    CalendarException.objects.create(
        organisation=org,
        calendar=cal,
        name="Short day",
        start_date=dt.date(2026, 12, 24),
        end_date=dt.date(2026, 12, 24),
        working_intervals=[[480, 720]],
    )
    child = StrategicObjective.objects.create(organisation=org, code="SO1.1", name="Child")
    parent = StrategicObjective.objects.create(
        organisation=org, code="SO1", name="Parent", weight=Decimal("12.5")
    )
    child.parent = parent  # a parent created after its child
    child.save()
    portfolio.objectives.set([parent])
    program.objectives.set([child, parent])
    project.objectives.set([child])
    project.manager = pm
    project.planned_start = dt.date(2026, 1, 5)
    project.budget = Decimal("1234567.8")
    project.save()
    summary = Task.objects.create(
        organisation=org, project=project, name="Phase 1", position=0, is_summary=True
    )
    Task.objects.filter(pk__in=[t1.pk, t2.pk]).update(parent=summary)
    milestone = Task.objects.create(
        organisation=org,
        project=project,
        name="Go-live",
        position=3,
        is_milestone=True,
        duration_minutes=0,
        constraint_type="MSO",
        constraint_date=dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        deadline=dt.datetime(2026, 3, 6, 17, 0, tzinfo=UTC),
        actual_start=dt.datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC),
    )
    Dependency.objects.create(
        organisation=org, predecessor=t2, successor=milestone, type="SS", lag=-240
    )
    baseline = Baseline.objects.create(organisation=org, project=project, number=0, saved_by=pm)
    Baseline.objects.filter(pk=baseline.pk).update(saved_at=dt.datetime(2025, 12, 1, 9, tzinfo=UTC))
    BaselineTask.objects.create(
        baseline=baseline,
        task=t1,
        start=dt.datetime(2026, 1, 5, 8, tzinfo=UTC),
        finish=dt.datetime(2026, 1, 9, 17, tzinfo=UTC),
        duration_minutes=2400,
        cost=Decimal("99.99"),
    )
    skill = Skill.objects.create(organisation=org, name="Welding")
    resource = Resource.objects.create(
        organisation=org, code="R1", name="Zoë Müller", user=pm, currency="EUR", calendar=cal
    )
    Resource.objects.create(
        organisation=org, code="CRANE", name="Crane", kind="equipment", currency="EUR"
    )
    ResourceSkill.objects.create(resource=resource, skill=skill, proficiency=5)
    TaskSkillRequirement.objects.create(
        organisation=org, task=t2, skill=skill, min_proficiency=4, units=Decimal("1.5")
    )
    CostRate.objects.create(
        organisation=org,
        resource=resource,
        effective_from=dt.date(2026, 1, 1),
        standard_rate=Decimal("80"),
    )
    Assignment.objects.create(
        organisation=org, task=t1, resource=resource, units=Decimal("0.5"), work_minutes=1200
    )
    BudgetLine.objects.create(
        organisation=org,
        project=project,
        category="labour",
        month=dt.date(2026, 1, 1),
        amount=Decimal("1000"),
        currency="EUR",
    )
    BudgetLine.objects.create(
        organisation=org,
        portfolio=portfolio,
        category="management_reserve",
        month=dt.date(2026, 1, 1),
        amount=Decimal("5"),
        currency="EUR",
    )
    CostLine.objects.create(
        organisation=org,
        project=project,
        task=t1,
        kind="actual",
        category="material",
        date=dt.date(2026, 2, 1),
        amount=Decimal("-12.30"),
        currency="EUR",
    )
    ExchangeRate.objects.create(
        organisation=org,
        currency="EUR",
        to_currency="GBP",
        effective_date=dt.date(2026, 1, 1),
        rate=Decimal("0.8512"),
    )
    TimesheetEntry.objects.create(
        organisation=org,
        resource=resource,
        task=t1,
        week_start=dt.date(2026, 1, 5),
        hours=Decimal("7.5"),
        state="approved",
        reviewed_by=viewer,
    )
    Risk.objects.create(
        organisation=org, project=project, task=t2, code="R-1", title="Rain", owner=pm
    )
    Risk.objects.create(organisation=org, program=program, code="R-2", title="Budget cut")
    Issue.objects.create(organisation=org, project=project, code="I-1", title="Late delivery")
    ChangeRequest.objects.create(
        organisation=org,
        project=project,
        code="CR-1",
        title="More scope",
        cost_impact=Decimal("10"),
    )
    Decision.objects.create(
        organisation=org,
        portfolio=portfolio,
        code="D-1",
        title="Go",
        decided_on=dt.date(2026, 1, 2),
    )
    StageGate.objects.create(
        organisation=org, project=project, name="Gate 1", planned_date=dt.date(2026, 1, 1)
    )
    StatusReport.objects.create(
        organisation=org,
        project=project,
        period_end=dt.date(2026, 1, 31),
        author=pm,
        summary="Fine ✓",
    )
    LessonLearned.objects.create(organisation=org, title="Plan rain", project=project)
    LessonLearned.objects.create(organisation=org, title="Org-wide lesson")
    money = {k: Decimal("100.00") for k in ("bac", "pv", "ev", "ac", "sv", "cv")}
    EvmSnapshot.objects.create(
        organisation=org,
        project=project,
        status_date=dt.date(2026, 2, 27),
        currency="EUR",
        spi=Decimal("0.954321"),
        curve=[{"date": "2026-01-30", "pv": "10.00", "ev": "9.00", "ac": "11.00"}],
        # Task ids inside JSON: the export turns them into positions, the import back.
        tasks=[
            {"task_id": t2.pk, "wbs": "1.2", "name": "Build", "ev": "1.00"},
            {"task_id": 987654321, "wbs": "9", "name": "since deleted"},
        ],
        **money,
    )
    return org


def _counts() -> dict[str, int]:
    return {
        "orgs": Organisation.objects.count(),
        "users": get_user_model().objects.count(),
        "tasks": Task.objects.count(),
        "audit": AuditEvent.objects.count(),
        "exceptions": CalendarException.objects.count(),
        "memberships": Membership.objects.count(),
    }


def _wipe(org: Organisation, usernames: list[str]) -> None:
    delete_organisation(org)
    get_user_model().objects.filter(username__in=usernames).delete()


USERS = ["north-pm", "north-viewer"]


@pytest.fixture(scope="module")
def sample(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    """The export of ``_everything()``, made once, in a transaction rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        doc = json.loads(json.dumps(export_organisation(_everything())))
        transaction.set_rollback(True)
    return doc


def test_every_model_of_an_organisation_is_exported():
    """A new model holding organisation data must be added to the export (SECTIONS)."""
    exported = {s.model for s in SECTIONS} | {Organisation}
    missing = []
    for model in apps.get_models():
        if not model.__module__.startswith("pmo.") or model._meta.label_lower in NOT_EXPORTED:
            continue
        refs = {
            f.related_model
            for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and f.remote_field.on_delete is models.CASCADE
        }
        if refs & exported and model not in exported:
            missing.append(model._meta.label)
    assert not missing, f"not exported: {missing}"


def test_every_many_to_many_relation_is_exported():
    exported = {s.model for s in SECTIONS}
    for section in SECTIONS:
        for field in section.model._meta.many_to_many:
            through = field.remote_field.through
            if through._meta.auto_created:
                assert field.name in section.m2m, f"{section.key}.{field.name}"
            else:
                assert through in exported, through._meta.label


def test_round_trip_gives_the_same_document(two_orgs: dict[str, Any]):
    org = _everything()
    first = export_organisation(org)
    assert first["format"] == FORMAT and first["version"] == 1
    for section in SECTIONS:
        assert first[section.key], f"the test data has no {section.key}"
    # JSON-able, and no database ids: refs are positions, users are names.
    first = json.loads(json.dumps(first))
    pm = {"username": "north-pm", "first_name": "Zoë", "last_name": "Müller"}
    assert first["users"] == [
        {**pm, "email": "zoe@north.example"},
        {"username": "north-viewer", "first_name": "", "last_name": "", "email": ""},
    ]
    assert first["organisation"] == {
        "code": "north",
        "name": "North",
        "country": "FR",
        "currency": "EUR",
        "default_calendar": 0,
    }
    tasks = first["tasks"]
    assert [t["name"] for t in tasks] == ["Design", "Build", "Phase 1", "Go-live"]
    assert tasks[0]["parent"] == 2 and tasks[0]["project"] == 0
    assert tasks[3]["constraint_date"] == "2026-03-02T08:30:00+00:00"
    assert tasks[3]["actual_start"] == "2026-03-02T08:00:00.123456+00:00"
    assert first["objectives"][0]["parent"] == 1
    assert first["programs"][0]["objectives"] == [0, 1]
    assert first["projects"][0]["budget"] == "1234567.80"
    assert first["exchange_rates"][0]["rate"] == "0.85120000"
    assert first["cost_lines"][0]["amount"] == "-12.30"
    assert first["memberships"][0] == {
        "user": "north-pm",
        "role": "project_manager",
        "portfolio": None,
        "project": 0,
    }
    assert first["baselines"][0]["saved_at"] == "2025-12-01T09:00:00+00:00"
    assert "id" not in tasks[0] and "version" not in tasks[0] and "created_at" not in tasks[0]
    snapshot = first["evm_snapshots"][0]
    assert snapshot["tasks"] == [
        {"task": 1, "wbs": "1.2", "name": "Build", "ev": "1.00"},
        {"task": None, "wbs": "9", "name": "since deleted"},
    ]
    assert snapshot["spi"] == "0.954321" and snapshot["project"] == 0

    before = _counts()
    _wipe(org, USERS)
    imported = import_organisation(copy.deepcopy(first))
    second = export_organisation(imported)
    assert second == first
    stored = EvmSnapshot.objects.get(organisation=imported)
    build = Task.objects.get(organisation=imported, name="Build")
    assert [t["task_id"] for t in stored.tasks] == [build.pk, None]
    # Missing users were created without a usable password; the other orgs are untouched.
    user = get_user_model().objects.get(username="north-pm")
    assert not user.has_usable_password() and user.email == "zoe@north.example"
    assert Project.objects.filter(organisation=two_orgs["globex"]["org"]).count() == 1
    after = _counts()
    assert after["tasks"] == before["tasks"] and after["memberships"] == before["memberships"]


def test_existing_users_are_kept_as_they_are(sample: dict[str, Any]):
    existing = _user("north-pm", first_name="Zoe", email="other@example.org")
    org = import_organisation(sample)
    existing.refresh_from_db()
    assert existing.email == "other@example.org"
    assert Membership.objects.get(organisation=org, role="project_manager").user == existing
    assert get_user_model().objects.filter(username="north-viewer").exists()


def test_import_records_one_audit_event_per_row(sample: dict[str, Any]):
    root = _user("root")
    root.is_superuser = True
    root.save()
    imported = import_organisation(sample, Access(root))
    events = AuditEvent.objects.filter(organisation=imported)
    rows = sum(len(sample[s.key]) for s in SECTIONS) + 1 + len(sample["users"])
    assert events.count() == rows
    assert set(events.values_list("username", flat=True)) == {"root"}
    assert set(events.values_list("action", flat=True)) == {"create"}
    portfolio_event = events.get(object_type="portfolio.portfolio")
    so1 = StrategicObjective.objects.get(organisation=imported, code="SO1")
    assert portfolio_event.changes["objectives"] == [None, [so1.pk]]
    org_event = events.get(object_type="orgs.organisation")
    assert org_event.changes["default_calendar_id"][1] == imported.default_calendar_id


def test_import_refuses_an_existing_code_and_non_administrators(
    sample: dict[str, Any], two_orgs: dict[str, Any]
):
    admin = _user("acme-admin")
    Membership.objects.create(user=admin, organisation=two_orgs["acme"]["org"], role="pmo_admin")
    doc = export_organisation(two_orgs["acme"]["org"])
    before = _counts()
    with pytest.raises(Conflict, match="already exists"):
        import_organisation(doc)
    with pytest.raises(PermissionDenied):
        import_organisation(sample, Access(admin))
    assert _counts() == before


def _mutated(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target: Any = out
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


_DELETE = object()

BAD_DOCUMENTS = [
    # (where, new value, expected error path, words in the message)
    (("tasks", 1, "project"), 7, ("tasks", 1, "project"), "no projects[7]"),
    (("tasks", 1, "parent"), "Phase 1", ("tasks", 1, "parent"), "expected a position"),
    (("tasks", 0, "duration_minutes"), "480", ("tasks", 0, "duration_minutes"), "integer"),
    (("tasks", 0, "duration_minutes"), -5, ("tasks", 0, "duration_minutes"), "greater"),
    (("tasks", 0, "is_milestone"), "no", ("tasks", 0, "is_milestone"), "true or false"),
    (("tasks", 0, "name"), _DELETE, ("tasks", 0, "name"), "required"),
    (("tasks", 0, "colour"), "red", ("tasks", 0, "colour"), "unknown key"),
    (("tasks", 3, "deadline"), "2026-03-06T17:00:00", ("tasks", 3, "deadline"), "time zone"),
    (("tasks", 3, "deadline"), "next week", ("tasks", 3, "deadline"), "ISO date-time"),
    (("projects", 0, "budget"), 12.5, ("projects", 0, "budget"), "decimal as a string"),
    (("projects", 0, "budget"), "lots", ("projects", 0, "budget"), "not a decimal"),
    (("projects", 0, "budget"), "1.234", ("projects", 0, "budget"), "decimal places"),
    (("projects", 0, "phase"), "dreaming", ("projects", 0, "phase"), "not a valid choice"),
    (("projects", 0, "planned_start"), "5/1/2026", ("projects", 0, "planned_start"), "ISO date"),
    (("projects", 0, "objectives"), [0, 9], ("projects", 0, "objectives", 1), "no objectives"),
    (("projects", 0, "manager"), "nobody", ("projects", 0, "manager"), "not in $.users"),
    (("calendars", 0, "working_week"), [[]], ("calendars", 0, "working_week"), "7 days"),
    (("objectives", 1, "parent"), 0, ("objectives", 0, "parent"), "cycle"),
    (("tasks", 2, "parent"), 0, ("tasks", 0, "parent"), "cycle"),
    (("skills", 0), "Welding", ("skills", 0), "expected an object"),
    (("risks", 1, "code"), "R-1", ("risks", 1, "code"), "duplicate"),
    (("dependencies", 0, "successor"), 0, ("dependencies", 0), "itself"),
    (("memberships", 0, "role"), "king", ("memberships", 0, "role"), "not a valid choice"),
    (("users", 0, "username"), "bad name!", ("users", 0, "username"), "username"),
    (("organisation", "code"), "Not a slug!", ("organisation", "code"), "slug"),
    (("organisation", "country"), _DELETE, ("organisation", "country"), "required"),
    (("version",), 2, ("version",), "not supported"),
    (("version",), "1", ("version",), "integer"),
    (("format",), "something else", ("format",), "not a pmo organisation"),
    (("tasks",), {"a": 1}, ("tasks",), "expected a list"),
    (("risks",), _DELETE, ("risks",), "required"),
    (("extra",), [], ("extra",), "unknown key"),
    (("evm_snapshots", 0, "tasks", 0, "task"), 4, ("evm_snapshots", 0, "tasks", 0, "task"), "no"),
]


@pytest.mark.parametrize(("where", "value", "path", "words"), BAD_DOCUMENTS)
def test_a_bad_document_names_the_path_and_creates_nothing(
    sample: dict[str, Any], where: Any, value: Any, path: Any, words: str
):
    bad = _mutated(sample, where, value)
    before = _counts()
    with pytest.raises(ValidationFailed) as info:
        import_organisation(bad)
    paths = {e.path: e.message for e in info.value.errors}
    assert path in paths, info.value.message
    assert words.lower() in paths[path].lower()
    assert json_path(path) in info.value.message
    assert _counts() == before


def test_a_dependency_cycle_is_refused(sample: dict[str, Any]):
    doc = copy.deepcopy(sample)
    doc["dependencies"].append({**doc["dependencies"][0], "predecessor": 3, "successor": 0})
    with pytest.raises(ValidationFailed, match="cycle"):
        import_organisation(doc)
    assert not Organisation.objects.filter(code="north").exists()


def test_a_failure_while_writing_leaves_nothing_half_written(sample: dict[str, Any]):
    """Model rules checked during the write (end before start) roll everything back."""
    doc = copy.deepcopy(sample)
    doc["calendar_exceptions"][0]["end_date"] = "2020-01-01"
    before = _counts()
    with pytest.raises(ValidationFailed) as info:
        import_organisation(doc)
    assert info.value.errors[0].path == ("calendar_exceptions", 0, "end_date")
    assert _counts() == before
    assert not get_user_model().objects.filter(username="north-pm").exists()


def test_many_errors_are_reported_together(sample: dict[str, Any]):
    doc = copy.deepcopy(sample)
    for task in doc["tasks"]:
        task["duration_minutes"] = "long"
    with pytest.raises(ValidationFailed) as info:
        import_organisation(doc)
    assert [e.path for e in info.value.errors] == [
        ("tasks", i, "duration_minutes") for i in range(4)
    ]
    with pytest.raises(ValidationFailed, match=r"expected a JSON object"):
        import_organisation([doc])


@pytest.mark.slow
def test_demo_organisation_round_trip():
    """The biggest organisation of the demo: export, remove, import, export again."""
    from pmo.demo.catalogue import ORGS
    from pmo.demo.generate import load_demo

    load_demo(seed=11)
    org = Organisation.objects.get(code="thames")
    first = json.loads(json.dumps(export_organisation(org)))
    assert len(first["tasks"]) > 1000 and len(first["dependencies"]) > 1000
    users = [u["username"] for u in first["users"]]
    assert "thames.pm" in users
    spec = next(o for o in ORGS if o.code == "thames")
    assert {f"thames.{u.key}" for u in spec.users} <= set(users)
    _wipe(org, users)
    imported = import_organisation(first)
    assert export_organisation(imported) == first
    # The other organisations are untouched and the imported one is isolated.
    assert Organisation.objects.count() == 3
    assert (
        not Task.objects.filter(organisation=imported)
        .exclude(project__organisation=imported)
        .exists()
    )
