"""Levelling service: a proposal that serialises competing tasks, accept, undo, discard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.errors import Conflict, PermissionDenied, StaleVersion
from pmo.projects.models import Task
from pmo.resources import levelling
from pmo.resources.models import LevellingRun

pytestmark = pytest.mark.django_db


def test_competing_tasks_are_serialised_and_the_proposal_explains_why(plan: dict[str, Any]) -> None:
    a, b, _ = plan["tasks"]
    run = levelling.do_propose_levelling(plan["access"], project=plan["project"])
    assert run.status == "proposed" and run.engine == "exact" and run.optimal
    assert run.makespan == 5 and run.moved >= 1
    moves = {m["task_id"]: m for m in run.proposal["moves"]}
    # one of the two waits for the other: which one the engine chooses, the reason names it
    (moved,) = [m for m in moves.values() if m["resource_delay_days"] > 0]
    other = a if moved["task_id"] == b.pk else b
    assert moved["resource"] == "Alice Martin" and moved["resource_id"] == plan["alice"].pk
    assert [h["name"] for h in moved["competing"]] == [other.name]
    assert "waiting for Alice Martin" in moved["reason"] and other.name in moved["reason"]
    # nothing written yet
    for t in plan["tasks"]:
        t.refresh_from_db()
        assert t.levelled_start is None
    assert AuditEvent.objects.filter(
        object_type="resources.levellingrun", object_id=run.pk
    ).exists()


def _dates(*tasks: Task) -> list[tuple[Any, Any]]:
    out = []
    for t in tasks:
        t.refresh_from_db()
        out.append((t.early_start, t.early_finish))
    return out


def test_accept_sets_levelled_starts_reschedules_and_undo_restores(plan: dict[str, Any]) -> None:
    access = plan["access"]
    a, b, c = plan["tasks"]
    before = _dates(a, b, c)
    run = levelling.do_propose_levelling(access, project=plan["project"])
    (move,) = [m for m in run.proposal["moves"] if m["resource_delay_days"] > 0]
    moved = Task.objects.get(pk=move["task_id"])
    versions = {t.pk: Task.objects.get(pk=t.pk).version for t in (a, b, c)}

    run = levelling.do_accept_levelling(access, run, run.version)
    assert run.status == "accepted" and run.accepted_by_id == access.user.pk
    assert run.previous == {str(moved.pk): None}
    moved.refresh_from_db()
    assert moved.levelled_start is not None
    assert moved.levelled_start.isoformat().startswith(move["new_start"])
    assert moved.version == versions[moved.pk] + 1
    # the reschedule moved the dates to the proposed ones, and nothing else was levelled
    after = _dates(a, b, c)
    assert after != before
    for t, (start, finish) in zip((a, b, c), after, strict=True):
        proposed = run.proposal["dates"].get(str(t.pk))
        if proposed:
            assert (start.isoformat()[:19], finish.isoformat()[:19]) == tuple(proposed)
    (s_a, f_a), (s_b, f_b), _ = after
    assert f_b < s_a or f_a < s_b  # serialised: no overlap on Alice any more
    event = AuditEvent.objects.get(object_type="projects.task", object_id=moved.pk)
    assert event.changes["levelled_start"][0] is None
    assert event.changes["levelling_run"] == [None, run.pk]

    # accepting twice is refused
    with pytest.raises(Conflict):
        levelling.do_accept_levelling(access, run, run.version)

    run = levelling.do_undo_levelling(access, run, run.version)
    assert run.status == "undone"
    moved.refresh_from_db()
    assert moved.levelled_start is None
    assert _dates(a, b, c) == before


def test_discard_changes_nothing(plan: dict[str, Any]) -> None:
    access = plan["access"]
    a, b, c = plan["tasks"]
    before = _dates(a, b, c)
    versions = [Task.objects.get(pk=t.pk).version for t in (a, b, c)]
    run = levelling.do_propose_levelling(access, project=plan["project"])
    run = levelling.do_discard_levelling(access, run, run.version)
    assert run.status == "discarded"
    assert _dates(a, b, c) == before
    assert [Task.objects.get(pk=t.pk).version for t in (a, b, c)] == versions
    assert all(Task.objects.get(pk=t.pk).levelled_start is None for t in (a, b, c))
    with pytest.raises(Conflict):
        levelling.do_accept_levelling(access, run, run.version)


def test_a_stale_proposal_or_version_is_refused(plan: dict[str, Any]) -> None:
    from pmo.core.services import do_update

    access = plan["access"]
    run = levelling.do_propose_levelling(access, project=plan["project"])
    with pytest.raises(StaleVersion):
        levelling.do_accept_levelling(access, run, run.version + 1)
    a = Task.objects.get(pk=plan["tasks"][0].pk)
    do_update(access, a, {"duration_minutes": 4 * 480}, a.version)
    with pytest.raises(StaleVersion, match="level again"):
        levelling.do_accept_levelling(access, run, run.version)
    assert all(t.levelled_start is None for t in Task.objects.filter(project=plan["project"]))


def test_viewers_and_team_members_may_not_level(plan: dict[str, Any], make_user: Any) -> None:
    for role in ("executive_viewer", "team_member"):
        access = Access(make_user(f"u-{role}", plan["org"], role))
        with pytest.raises(PermissionDenied):
            levelling.do_propose_levelling(access, project=plan["project"])
    run = levelling.do_propose_levelling(plan["access"], project=plan["project"])
    viewer = Access(make_user("v2", plan["org"], "executive_viewer"))
    with pytest.raises(PermissionDenied):
        levelling.do_accept_levelling(viewer, run, run.version)
    assert LevellingRun.objects.get(pk=run.pk).status == "proposed"


def test_a_second_accepted_levelling_supersedes_the_first_and_undo_brings_it_back(
    plan: dict[str, Any],
) -> None:
    access = plan["access"]
    first = levelling.do_propose_levelling(access, project=plan["project"])
    first = levelling.do_accept_levelling(access, first, first.version)
    levelled = {t.pk: t.levelled_start for t in Task.objects.filter(project=plan["project"])}
    second = levelling.do_propose_levelling(access, project=plan["project"])
    # levelling ignores the earlier levelled starts: the same proposal again
    assert [m["task_id"] for m in second.proposal["moves"]] == [
        m["task_id"] for m in first.proposal["moves"]
    ]
    second = levelling.do_accept_levelling(access, second, second.version)
    first.refresh_from_db()
    assert first.status == "superseded" and first.superseded_by_id == second.pk
    with pytest.raises(Conflict, match="superseded"):
        levelling.do_undo_levelling(access, first, first.version)
    levelling.do_undo_levelling(access, second, second.version)
    first.refresh_from_db()
    assert first.status == "accepted"
    assert {
        t.pk: t.levelled_start for t in Task.objects.filter(project=plan["project"])
    } == levelled


def test_leave_on_the_persons_calendar_holds_the_work_back(plan: dict[str, Any]) -> None:
    import datetime as dt

    from pmo.resources.services import do_add_leave

    access, alice = plan["access"], plan["alice"]
    leave = do_add_leave(
        access, alice, dt.date(2026, 3, 2), dt.date(2026, 3, 3), "Ski", version=alice.version
    )
    assert leave.calendar.name == "Personal: alice"
    run = levelling.do_propose_levelling(access, project=plan["project"])
    starts = sorted(m["new_start"] for m in run.proposal["moves"] if m["resource_delay_days"])
    # nothing of Alice's starts during her leave; the first waits for her return
    assert starts and starts[0] >= "2026-03-04"
    first = min(
        (m for m in run.proposal["moves"] if m["resource_delay_days"]),
        key=lambda m: m["new_start"],
    )
    assert "reduced capacity" in first["reason"]


def test_other_projects_can_keep_their_share(plan: dict[str, Any], two_orgs: Any) -> None:
    """Another project's 5-day task on Alice, in the same week: held, it pushes this
    project's tasks after it; ignored (the default), it does not."""
    from decimal import Decimal

    from pmo.projects import scheduling
    from pmo.projects.models import Project
    from pmo.resources.models import Assignment

    org, access = plan["org"], plan["access"]
    other = Project.objects.create(
        organisation=org,
        portfolio=plan["project"].portfolio,
        code="OTHER",
        name="Other",
        currency="EUR",
        calendar=plan["calendar"],
        planned_start=plan["project"].planned_start,
    )
    busy = Task.objects.create(
        organisation=org, project=other, name="Audit", position=1, duration_minutes=5 * 480
    )
    Assignment.objects.create(
        organisation=org, task=busy, resource=plan["alice"], units=Decimal(1), work_minutes=2400
    )
    scheduling.do_schedule_project(access, other)
    alone = levelling.do_propose_levelling(access, project=plan["project"])
    held = levelling.do_propose_levelling(access, project=plan["project"], hold_other_projects=True)
    assert alone.makespan == 5
    assert held.makespan == 10 and held.hold_other_projects
    names = {h["name"] for m in held.proposal["moves"] for h in m["competing"]}
    assert "OTHER: Audit" in names
    assert all(m["task_id"] != busy.pk for m in held.proposal["moves"])


def test_two_half_days_of_one_person_in_one_day_are_not_an_over_allocation(
    plan: dict[str, Any], half_days: Any
) -> None:
    """Morning 08:00-12:00, then Second 13:00-17:00, both on Alice: in whole days both would
    hold Alice on Monday and Second would move a day; in half days they fit, nothing moves."""
    half = half_days(linked=True)
    run = levelling.do_propose_levelling(plan["access"], project=half["project"])
    assert run.proposal["slots_per_day"] == 2
    assert run.moved == 0 and run.proposal["moves"] == []
    assert run.makespan == 1  # two half days
    assert all(v is None for v in run.proposal["levelled"].values())
    assert run.finish_before == run.finish_after


def test_two_overlapping_half_days_one_waits_half_a_day(
    plan: dict[str, Any], half_days: Any
) -> None:
    """Morning and Second both on Monday 08:00-12:00 on Alice (1 unit): by hand, one of them
    waits half a day, to Monday 13:00-17:00; the plan still ends on Monday."""
    half = half_days(linked=False)
    access = plan["access"]
    run = levelling.do_propose_levelling(access, project=half["project"], engine="exact")
    assert run.optimal and run.makespan == 1 and run.lower_bound == 1
    (move,) = run.proposal["moves"]
    other = next(t for t in half["tasks"] if t.pk != move["task_id"])
    assert (move["old_start"], move["old_finish"]) == ("2026-03-02T08:00:00", "2026-03-02T12:00:00")
    assert (move["new_start"], move["new_finish"]) == ("2026-03-02T13:00:00", "2026-03-02T17:00:00")
    assert (move["delay_days"], move["resource_delay_days"], move["precedence_delay_days"]) == (
        0.5,
        0.5,
        0,
    )
    assert move["blocked_on"] == "2026-03-02" and move["competing"][0]["name"] == other.name
    assert move["reason"].startswith(f"{move['name']} moved 0.5 working day(s)")
    assert "0.5 waiting for Alice Martin, held on 2026-03-02" in move["reason"]
    # accepted: the levelled start holds the task to Monday 13:00, the other stays
    run = levelling.do_accept_levelling(access, run, run.version)
    moved = Task.objects.get(pk=move["task_id"])
    assert moved.levelled_start is not None
    assert moved.levelled_start.isoformat()[:19] == "2026-03-02T13:00:00"
    assert _dates(moved, other) == [
        tuple(datetime.fromisoformat(d).replace(tzinfo=UTC) for d in (a, b))
        for a, b in [("2026-03-02T13:00:00", "2026-03-02T17:00:00"),
                     ("2026-03-02T08:00:00", "2026-03-02T12:00:00")]
    ]  # fmt: skip
