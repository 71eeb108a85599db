"""API: capacity, resource demand, skill requirements, staffing, levelling runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pmo.projects.models import Task
from pmo.resources.models import Assignment, LevellingRun, Resource, ResourceSkill, Skill

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(plan: dict[str, Any], api_for: Any) -> Any:
    return api_for(plan["admin"])


def test_capacity_by_week_in_hours_with_load_and_over(api: Any, plan: dict[str, Any]) -> None:
    Assignment.objects.create(
        organisation=plan["org"], task=plan["tasks"][2], resource=plan["alice"], work_minutes=480
    )
    r = api.get(f"/capacity?organisation_id={plan['org'].pk}&by=week&from=2026-03-02&to=2026-03-15")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [p["start"] for p in body["periods"]] == ["2026-03-02", "2026-03-09"]
    (row,) = body["items"]
    assert row["label"] == "Alice Martin" and row["organisation_id"] == plan["org"].pk
    assert row["capacity_hours"] == [40.0, 40.0]
    assert row["demand_hours"] == [48.0, 0.0]
    assert row["load_percent"] == [120.0, 0.0]
    assert row["over"] == [True, False]
    # by month, by skill
    r = api.get("/capacity?by=month&group=skill&from=2026-03-01&to=2026-04-30")
    assert r.status_code == 200 and r.json()["items"] == []
    assert api.get("/capacity?by=day").status_code == 422
    assert api.get("/capacity?group=team").status_code == 422


def test_resource_demand_lists_the_assignments(api: Any, plan: dict[str, Any]) -> None:
    alice = plan["alice"]
    r = api.get(f"/resources/{alice.pk}/demand?from=2026-03-02&to=2026-03-08")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["demand_hours"] == [40.0]
    assert sorted((a["task"], a["hours"]) for a in body["assignments"]) == [
        ("Plumbing", 16.0),
        ("Wiring", 24.0),
    ]


def test_levelling_through_the_api(api: Any, plan: dict[str, Any]) -> None:
    project = plan["project"]
    r = api.post(f"/projects/{project.pk}/level", {"engine": "exact", "time_limit": 5})
    assert r.status_code == 201, r.content
    run = r.json()
    assert r["ETag"] == '"1"'
    assert run["status"] == "proposed" and run["optimal"] and run["engine"] == "exact"
    (move,) = [m for m in run["moves"] if m["resource_delay_days"]]
    assert move["resource"] == "Alice Martin" and move["competing"]
    assert api.get(f"/levelling-runs?project_id={project.pk}").json()["count"] == 1
    assert api.get(f"/levelling-runs/{run['id']}").json()["moves"] == run["moves"]
    # versions: required, then checked
    assert api.post(f"/levelling-runs/{run['id']}/accept").status_code == 428
    r = api.post(f"/levelling-runs/{run['id']}/accept", If_Match='"7"')
    assert r.status_code == 412
    r = api.post(f"/levelling-runs/{run['id']}/accept", If_Match='"1"')
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted" and r["ETag"] == '"2"'
    task = Task.objects.get(pk=move["task_id"])
    assert task.levelled_start is not None
    assert task.early_start.isoformat()[:19] == move["new_start"]
    assert api.post(f"/levelling-runs/{run['id']}/discard", If_Match='"2"').status_code == 409
    r = api.post(f"/levelling-runs/{run['id']}/undo", If_Match='"2"')
    assert r.status_code == 200 and r.json()["status"] == "undone"
    assert Task.objects.get(pk=move["task_id"]).levelled_start is None
    # a bad engine or time limit
    r = api.post(f"/projects/{project.pk}/level", {"engine": "magic"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == ["engine"]
    r = api.post(f"/projects/{project.pk}/level", {"time_limit": 0})
    assert r.status_code == 422


def test_portfolio_levelling_puts_the_higher_priority_project_first(
    api: Any, plan: dict[str, Any], two_orgs: dict[str, Any]
) -> None:
    from pmo.core.access import Access
    from pmo.projects import scheduling
    from pmo.projects.models import Project

    org, alice = plan["org"], plan["alice"]
    first = plan["project"]
    urgent = Project.objects.create(
        organisation=org,
        portfolio=first.portfolio,
        code="URG",
        name="Urgent",
        currency="EUR",
        calendar=plan["calendar"],
        planned_start=first.planned_start,
        priority=900,
    )
    t = Task.objects.create(
        organisation=org, project=urgent, name="Rush job", position=1, duration_minutes=2400
    )
    Assignment.objects.create(organisation=org, task=t, resource=alice, work_minutes=2400)
    scheduling.do_schedule_project(Access(plan["admin"]), urgent)
    # the two_orgs project has no assignment: it is levelled too, unchanged
    r = api.post(f"/portfolios/{first.portfolio_id}/level", {"engine": "exact"})
    assert r.status_code == 201, r.content
    run = r.json()
    assert run["project_id"] is None and run["portfolio_id"] == first.portfolio_id
    assert set(run["project_ids"]) >= {first.pk, urgent.pk}
    moved = {m["task_id"] for m in run["moves"]}
    assert t.pk not in moved  # priority 900 goes first
    assert {plan["tasks"][0].pk, plan["tasks"][1].pk} & moved
    # competing tasks are named with their project's code
    names = {h["name"] for m in run["moves"] for h in m["competing"]}
    assert names and all(n.startswith(("LEV: ", "URG: ")) for n in names)


def test_skill_requirements_and_staffing(api: Any, plan: dict[str, Any]) -> None:
    org, painting = plan["org"], plan["tasks"][2]
    skill = Skill.objects.create(organisation=org, name="Painting")
    role = Resource.objects.create(
        organisation=org, code="PAINTER", name="Painter", kind="role", currency="EUR"
    )
    ResourceSkill.objects.create(resource=role, skill=skill, proficiency=3)
    wiring = plan["tasks"][0]
    Assignment.objects.create(
        organisation=org, task=wiring, resource=role, units=Decimal("2"), work_minutes=2880
    )
    people = []
    for code, prof, rate in (("p1", 5, 100), ("p2", 3, 50), ("p3", 2, 10)):
        p = Resource.objects.create(
            organisation=org, code=code, name=f"Painter {code}", currency="EUR", standard_rate=rate
        )
        ResourceSkill.objects.create(resource=p, skill=skill, proficiency=prof)
        people.append(p)
    r = api.post("/skill-requirements", {"task_id": painting.pk, "skill_id": skill.pk})
    assert r.status_code == 201, r.content
    r = api.get(f"/projects/{plan['project'].pk}/staffing")
    assert r.status_code == 200, r.content
    body = r.json()
    slots = {s["slot"]["id"]: s for s in body["slots"]}
    assert len(slots) == 3  # two units of the role, one requirement
    assert body["optimal"] and body["unfilled"] == 0
    role_slots = [s for s in body["slots"] if s["slot"]["kind"] == "role"]
    # the two role units go to two different qualified people (p3 is not qualified)
    assert {s["choice"] for s in role_slots} == {people[0].pk, people[1].pk}
    assert all(
        not c["qualified"]
        for s in body["slots"]
        for c in s["candidates"]
        if c["resource_id"] == people[2].pk
    )
    r = api.get(f"/tasks/{painting.pk}/candidates")
    assert r.status_code == 200 and r.json()["slots"][0]["slot"]["kind"] == "skill"
    # apply the optimal fill: the role's assignment is gone, the people have the work
    r = api.post(f"/projects/{plan['project'].pk}/staffing", {})
    assert r.status_code == 200, r.content
    assert not Assignment.objects.filter(task=wiring, resource=role).exists()
    assert sorted(
        Assignment.objects.filter(task=wiring).values_list("work_minutes", flat=True)
    ) == [
        1440,
        1440,
        1440,
    ]
    # a slot that is not open any more
    r = api.post(
        f"/projects/{plan['project'].pk}/staffing",
        {"choices": [{"slot": role_slots[0]["slot"]["id"], "resource_id": people[0].pk}]},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == ["choices", 0, "slot"]


def test_other_organisations_get_404_and_viewers_403(
    plan: dict[str, Any], two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    from pmo.resources import levelling

    run = levelling.do_propose_levelling(plan["access"], project=plan["project"])
    project, alice = plan["project"], plan["alice"]
    stranger = api_for(make_user("stranger", two_orgs["globex"]["org"]))
    assert stranger.get(f"/levelling-runs/{run.pk}").status_code == 404
    assert stranger.post(f"/levelling-runs/{run.pk}/accept", If_Match='"1"').status_code == 404
    assert stranger.post(f"/projects/{project.pk}/level", {}).status_code == 404
    assert stranger.get(f"/projects/{project.pk}/gantt?run={run.pk}").status_code == 404
    assert stranger.get(f"/resources/{alice.pk}/demand").status_code == 404
    assert stranger.get(f"/capacity?organisation_id={plan['org'].pk}").json()["items"] == []
    # a run of another project is not a preview of this one
    own = two_orgs["acme"]["project"]
    admin = api_for(plan["admin"])
    assert admin.get(f"/projects/{own.pk}/gantt?run={run.pk}").status_code == 404
    viewer = api_for(make_user("viewer", plan["org"], "executive_viewer"))
    assert viewer.get(f"/levelling-runs/{run.pk}").status_code == 200
    assert viewer.post(f"/levelling-runs/{run.pk}/accept", If_Match='"1"').status_code == 403
    assert viewer.post(f"/projects/{project.pk}/level", {}).status_code == 403
    assert viewer.post(f"/projects/{project.pk}/staffing", {}).status_code == 403
    run.refresh_from_db()
    assert run.status == "proposed" and LevellingRun.objects.count() == 1


def test_levelling_in_half_days_through_the_api(api: Any, half_days: Any) -> None:
    """Two morning tasks on Alice: one waits half a day (tests/resources/conftest.py)."""
    project = half_days(linked=False)["project"]
    r = api.post(f"/projects/{project.pk}/level", {"engine": "exact", "time_limit": 5})
    assert r.status_code == 201, r.content
    run = r.json()
    assert (run["makespan"], run["lower_bound"]) == (1, 1)
    (move,) = run["moves"]
    assert (move["delay_days"], move["resource_delay_days"]) == (0.5, 0.5)
    assert move["new_start"] == "2026-03-02T13:00:00"
