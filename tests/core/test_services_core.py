"""The generic write services: uniqueness, locking, references, many-to-many, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from pmo.errors import Conflict, NotFound, StaleVersion, ValidationFailed


@pytest.fixture
def acme(two_orgs: dict[str, Any], make_user: Any) -> dict[str, Any]:
    from pmo.core.access import Access

    data = two_orgs["acme"]
    user = make_user("admin", data["org"])
    return {**data, "user": user, "access": Access(user)}


def _paths(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[Any, ...]]:
    return [e.path for e in exc.value.errors]


def test_duplicate_is_a_conflict_naming_the_field(
    acme: dict[str, Any], two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.core.access import Access
    from pmo.core.services import do_create, do_update
    from pmo.risks.models import Risk

    access = acme["access"]
    data = {"project_id": acme["project"].pk, "code": "R-1", "title": "late steel"}
    first = do_create(access, Risk, data)
    with pytest.raises(Conflict) as exc:
        do_create(access, Risk, {**data, "title": "other"})
    assert exc.value.message == "code: a risk with this code already exists"
    assert exc.value.http_status == 409
    second = do_create(access, Risk, {**data, "code": "R-2"})
    with pytest.raises(Conflict):
        do_update(access, second, {"code": "R-1"}, 1)
    do_update(access, first, {"title": "renamed, same code"}, 1)  # itself is no clash
    # The same code in another organisation is fine.
    globex = two_orgs["globex"]
    other = Access(make_user("g", globex["org"]))
    do_create(other, Risk, {**data, "project_id": globex["project"].pk})
    assert Risk.objects.filter(code="R-1").count() == 2


def test_a_race_past_the_check_still_names_the_field(acme: dict[str, Any]) -> None:
    from pmo.core.services import _integrity_conflict
    from pmo.projects.models import Project

    project = acme["project"]
    clone = Project(
        organisation=project.organisation,
        portfolio=project.portfolio,
        code=project.code,
        name="clone",
        currency="EUR",
    )
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        clone.save()
    conflict = _integrity_conflict(Project, exc.value)
    assert conflict.message == "code: a project with this code already exists"


def test_delete_locks_the_row_and_checks_the_version(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_delete, do_update
    from pmo.projects.models import Task

    access = acme["access"]
    task = acme["tasks"][1]
    do_update(access, Task.objects.get(pk=task.pk), {"name": "v2"}, 1)
    with pytest.raises(StaleVersion) as exc:
        do_delete(access, task, 1)
    assert exc.value.current_version == 2
    assert Task.objects.filter(pk=task.pk).exists()
    with CaptureQueriesContext(connection) as queries:
        do_delete(access, task, 2)
    assert not Task.objects.filter(pk=task.pk).exists()
    if connection.features.has_select_for_update:
        locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
        assert locks and "projects_task" in locks[0]
    with pytest.raises(NotFound):
        do_delete(access, task, 2)


def test_delete_of_a_row_still_used_is_a_conflict(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_delete
    from pmo.portfolio.models import Portfolio

    with pytest.raises(Conflict) as exc:
        do_delete(acme["access"], acme["portfolio"], 1)
    assert "projects" in exc.value.message
    assert Portfolio.objects.filter(pk=acme["portfolio"].pk).exists()


def test_references_are_resolved_within_the_writer_s_organisations(
    acme: dict[str, Any], two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.core.services import do_create
    from pmo.projects.models import Project, Task
    from pmo.resources.models import Skill

    access = acme["access"]
    globex = two_orgs["globex"]
    with pytest.raises(ValidationFailed) as exc:
        do_create(access, Task, {"project_id": globex["project"].pk, "name": "x"})
    assert _paths(exc) == [("project_id",)]
    with pytest.raises(ValidationFailed) as exc:
        do_create(access, Skill, {"organisation_id": globex["org"].pk, "name": "x"})
    assert _paths(exc) == [("organisation_id",)]
    # A user who is not a member reads exactly like a user who does not exist.
    outsider = make_user("outsider")
    messages = []
    for user_id in (outsider.pk, 999_999):
        with pytest.raises(ValidationFailed) as exc:
            do_create(
                access,
                Project,
                {
                    "portfolio_id": acme["portfolio"].pk,
                    "code": f"P{user_id}",
                    "name": "x",
                    "currency": "EUR",
                    "manager_id": user_id,
                },
            )
        assert _paths(exc) == [("manager_id",)]
        messages.append(exc.value.errors[0].message.replace(str(user_id), "N"))
    assert messages[0] == messages[1]


def test_resource_skills_are_written_checked_and_audited(
    acme: dict[str, Any], two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.core.access import Access
    from pmo.core.models import AuditEvent
    from pmo.core.services import do_create
    from pmo.resources.models import Resource, ResourceSkill, Skill
    from pmo.resources.services import do_set_skills

    access = acme["access"]
    weld = do_create(access, Skill, {"organisation_id": acme["org"].pk, "name": "weld"})
    paint = do_create(access, Skill, {"organisation_id": acme["org"].pk, "name": "paint"})
    base = {"organisation_id": acme["org"].pk, "code": "R1", "name": "Ann", "currency": "EUR"}
    ann = do_create(access, Resource, {**base, "skills": [{"skill_id": weld.pk}]})
    assert list(ResourceSkill.objects.values_list("skill_id", "proficiency")) == [(weld.pk, 3)]
    ann = do_set_skills(
        access, ann, [{"skill_id": paint.pk, "proficiency": 5}, {"skill_id": weld.pk}], 1
    )
    assert sorted(ResourceSkill.objects.values_list("skill_id", "proficiency")) == sorted(
        [(weld.pk, 3), (paint.pk, 5)]
    )
    event = AuditEvent.objects.filter(object_id=ann.pk, action="update").get()
    assert event.changes["skills"][1] == sorted(
        [{"skill_id": weld.pk, "proficiency": 3}, {"skill_id": paint.pk, "proficiency": 5}],
        key=lambda d: d["skill_id"],
    )
    globex = two_orgs["globex"]
    foreign = do_create(
        Access(make_user("g", globex["org"])),
        Skill,
        {"organisation_id": globex["org"].pk, "name": "weld"},
    )
    bad = [{"skill_id": weld.pk}, {"skill_id": weld.pk}, {"skill_id": foreign.pk}]
    with pytest.raises(ValidationFailed) as exc:
        do_set_skills(access, ann, [*bad, {"skill_id": paint.pk, "proficiency": 0}], 2)
    assert _paths(exc) == [
        ("skills", 1, "skill_id"),
        ("skills", 2, "skill_id"),
        ("skills", 3, "proficiency"),
    ]
    assert ResourceSkill.objects.count() == 2


def test_write_needs_the_role_before_anything_is_validated(
    acme: dict[str, Any], make_user: Any
) -> None:
    from pmo.core.access import Access
    from pmo.core.services import do_create
    from pmo.errors import PermissionDenied
    from pmo.projects.models import Task

    viewer = Access(make_user("viewer", acme["org"], "executive_viewer"))
    with pytest.raises(PermissionDenied):
        do_create(
            viewer,
            Task,
            {"project_id": acme["project"].pk, "name": "", "constraint_type": "bogus"},
        )
    assert not Task.objects.filter(name="").exists()


def test_every_write_is_audited_with_the_organisation(acme: dict[str, Any]) -> None:
    from pmo.core.models import AuditEvent
    from pmo.core.services import do_create
    from pmo.finance.models import ExchangeRate

    rate = do_create(
        acme["access"],
        ExchangeRate,
        {
            "organisation_id": acme["org"].pk,
            "currency": "EUR",
            "to_currency": "USD",
            "effective_date": dt.date(2026, 1, 1),
            "rate": "1.08",
        },
    )
    event = AuditEvent.objects.get(object_type="finance.exchangerate", object_id=rate.pk)
    assert event.organisation_id == acme["org"].pk
    assert event.changes["rate"] == [None, "1.08"]
