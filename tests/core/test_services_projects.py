"""Checks and hooks of projects, tasks and dependencies."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from pmo.errors import CircularDependency, ValidationFailed


@pytest.fixture
def acme(two_orgs: dict[str, Any], make_user: Any) -> dict[str, Any]:
    from pmo.core.access import Access

    data = two_orgs["acme"]
    return {**data, "access": Access(make_user("admin", data["org"]))}


def _paths(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[Any, ...]]:
    return [e.path for e in exc.value.errors]


def test_project_program_must_be_in_its_portfolio(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_create, do_update
    from pmo.portfolio.models import Portfolio
    from pmo.projects.models import Project

    access = acme["access"]
    other = do_create(
        access,
        Portfolio,
        {"organisation_id": acme["org"].pk, "code": "pf2", "name": "n", "currency": "EUR"},
    )
    base = {"code": "P2", "name": "n", "currency": "EUR", "program_id": acme["program"].pk}
    with pytest.raises(ValidationFailed) as exc:
        do_create(access, Project, {**base, "portfolio_id": other.pk})
    assert _paths(exc) == [("program_id",)]
    with pytest.raises(ValidationFailed) as exc:
        do_update(access, acme["project"], {"portfolio_id": other.pk}, 1)
    assert _paths(exc) == [("program_id",)]
    moved = do_update(access, acme["project"], {"portfolio_id": other.pk, "program_id": None}, 1)
    assert moved.version == 2
    with pytest.raises(ValidationFailed) as exc:
        do_update(
            access,
            moved,
            {"planned_start": dt.date(2026, 5, 1), "planned_finish": dt.date(2026, 4, 1)},
            2,
        )
    assert _paths(exc) == [("planned_finish",)]


def test_program_cannot_leave_its_projects_behind(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_create, do_update
    from pmo.portfolio.models import Portfolio

    access = acme["access"]
    other = do_create(
        access,
        Portfolio,
        {"organisation_id": acme["org"].pk, "code": "pf2", "name": "n", "currency": "EUR"},
    )
    with pytest.raises(ValidationFailed) as exc:
        do_update(access, acme["program"], {"portfolio_id": other.pk}, 1)
    assert _paths(exc) == [("portfolio_id",)]


def test_task_parent_rules(acme: dict[str, Any], two_orgs: dict[str, Any]) -> None:
    from pmo.core.services import do_create, do_update
    from pmo.projects.models import Project, Task

    access = acme["access"]
    design, build = acme["tasks"]
    other = Project.objects.create(
        organisation=acme["org"], portfolio=acme["portfolio"], code="P2", name="n", currency="EUR"
    )
    far = Task.objects.create(organisation=acme["org"], project=other, name="Far")
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            access, Task, {"project_id": acme["project"].pk, "parent_id": far.pk, "name": "x"}
        )
    assert _paths(exc) == [("parent_id",)]
    # design → build is linked: MS Project refuses to make a task the sub-task of a task it
    # is linked to (the summary would wait for itself)
    with pytest.raises(ValidationFailed) as exc:
        do_update(access, build, {"parent_id": design.pk}, 1)
    assert _paths(exc) == [("parent_id",)] and "own sub-task" in exc.value.errors[0].message
    build.refresh_from_db()
    assert build.parent_id is None
    acme["dependency"].delete()
    do_update(access, build, {"parent_id": design.pk}, 1)
    with pytest.raises(ValidationFailed) as exc:
        do_update(access, Task.objects.get(pk=design.pk), {"parent_id": build.pk}, 1)
    assert _paths(exc) == [("parent_id",)] and "below" in exc.value.errors[0].message
    with pytest.raises(ValidationFailed) as exc:
        do_update(access, Task.objects.get(pk=design.pk), {"parent_id": design.pk}, 1)
    assert _paths(exc) == [("parent_id",)]


def test_summary_flag_is_kept_in_sync(acme: dict[str, Any]) -> None:
    from pmo.core.models import AuditEvent
    from pmo.core.services import do_create, do_delete, do_update
    from pmo.projects.models import Task

    access = acme["access"]
    design, build = acme["tasks"]
    project = acme["project"].pk
    a = do_create(access, Task, {"project_id": project, "parent_id": design.pk, "name": "a"})
    b = do_create(access, Task, {"project_id": project, "parent_id": design.pk, "name": "b"})
    design.refresh_from_db()
    assert design.is_summary and design.version == 1  # derived: the version does not move
    flips = AuditEvent.objects.filter(object_id=design.pk, object_type="projects.task")
    assert [e.changes for e in flips] == [{"is_summary": [False, True]}]
    do_delete(access, a, 1)
    assert Task.objects.get(pk=design.pk).is_summary  # b is still under it
    do_update(access, b, {"parent_id": build.pk}, 1)
    assert not Task.objects.get(pk=design.pk).is_summary
    assert Task.objects.get(pk=build.pk).is_summary
    do_update(access, Task.objects.get(pk=b.pk), {"parent_id": None}, 2)
    assert not Task.objects.get(pk=build.pk).is_summary


def test_constraint_dates_and_actuals(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_update

    access = acme["access"]
    task = acme["tasks"][0]
    when = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    for kind in ("SNET", "SNLT", "FNET", "FNLT", "MSO", "MFO"):
        with pytest.raises(ValidationFailed) as exc:
            do_update(access, task, {"constraint_type": kind}, 1)
        assert _paths(exc) == [("constraint_date",)]
    for kind in ("ASAP", "ALAP"):
        with pytest.raises(ValidationFailed) as exc:
            do_update(access, task, {"constraint_type": kind, "constraint_date": when}, 1)
        assert _paths(exc) == [("constraint_date",)]
    task = do_update(access, task, {"constraint_type": "MSO", "constraint_date": when}, 1)
    with pytest.raises(ValidationFailed) as exc:
        do_update(
            access,
            task,
            {"actual_start": when, "actual_finish": when - dt.timedelta(hours=1)},
            2,
        )
    assert _paths(exc) == [("actual_finish",)]
    # 100 % without an actual finish is accepted: only ranges are checked.
    task = do_update(access, task, {"percent_complete": 100}, 2)
    assert task.version == 3


def test_find_cycle_names_the_loop_in_order() -> None:
    from pmo.projects.services import find_cycle

    edges = [(1, 2), (2, 3), (3, 4), (2, 5)]
    assert find_cycle(edges, 4, 1) == [4, 1, 2, 3]
    assert find_cycle(edges, 1, 4) is None
    assert find_cycle(edges, 5, 2) == [5, 2]
    assert find_cycle([], 7, 7) == [7]


def test_cycle_check_is_fast_on_a_5000_task_project(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_create
    from pmo.projects.models import Dependency, Project, Task

    access = acme["access"]
    org = acme["org"]
    big = Project.objects.create(
        organisation=org, portfolio=acme["portfolio"], code="BIG", name="big", currency="EUR"
    )
    n = 5000
    Task.objects.bulk_create(
        Task(organisation=org, project=big, name=f"T{i}", position=i) for i in range(n)
    )
    ids = list(Task.objects.filter(project=big).order_by("position").values_list("pk", flat=True))
    links = [(ids[i], ids[i + 1]) for i in range(n - 1)]
    links += [(ids[i], ids[i + 7]) for i in range(0, n - 7, 3)]  # some shortcuts too
    Dependency.objects.bulk_create(
        Dependency(organisation=org, predecessor_id=a, successor_id=b) for a, b in links
    )
    start = time.perf_counter()
    with pytest.raises(CircularDependency) as exc:
        do_create(access, Dependency, {"predecessor_id": ids[-1], "successor_id": ids[0]})
    refused = time.perf_counter() - start
    assert exc.value.cycle[0] == f"T{n - 1} (#{ids[-1]})"
    assert exc.value.cycle[1] == f"T0 (#{ids[0]})"
    start = time.perf_counter()
    do_create(access, Dependency, {"predecessor_id": ids[0], "successor_id": ids[-1]})
    accepted = time.perf_counter() - start
    # Timings are printed, not asserted (a busy machine is not a defect): run with -s.
    print(f"\ncycle check on {n} tasks: refused in {refused:.3f} s, accepted in {accepted:.3f} s")


def test_changing_the_ends_of_a_link_is_checked_too(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_create, do_update
    from pmo.projects.models import Task

    access = acme["access"]
    design, build = acme["tasks"]
    extra = do_create(access, Task, {"project_id": acme["project"].pk, "name": "Extra"})
    from pmo.projects.models import Dependency

    link = do_create(access, Dependency, {"predecessor_id": build.pk, "successor_id": extra.pk})
    with pytest.raises(CircularDependency):
        do_update(access, link, {"successor_id": design.pk}, 1)
    do_update(access, Dependency.objects.get(pk=link.pk), {"lag": 60}, 1)
