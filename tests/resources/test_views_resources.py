"""Resource pages: pool, resource, heat map and drill-down, project tab, levelling, staffing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from pmo.projects.models import Task
from pmo.resources.models import Assignment, LevellingRun, Resource, ResourceSkill, Skill

pytestmark = pytest.mark.django_db

WEEK = "from=2026-03-02&to=2026-03-15"


def _text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def admin_client(client: Client, plan: dict[str, Any]) -> Client:
    client.force_login(plan["admin"])
    return client


@pytest.fixture
def over(plan: dict[str, Any]) -> dict[str, Any]:
    """Alice on Painting too: 48 h in a 40-hour week."""
    painting = plan["tasks"][2]
    Assignment.objects.create(
        organisation=plan["org"], task=painting, resource=plan["alice"], work_minutes=480
    )
    return plan


def test_the_heat_map_shows_over_allocation_and_drills_down(
    admin_client: Client, over: dict[str, Any]
) -> None:
    alice = over["alice"]
    response = admin_client.get(f"/capacity/?by=week&group=resource&{WEEK}")
    assert response.status_code == 200
    html = _text(response)
    row = re.search(rf'<tr id="row-{alice.pk}".*?</tr>', html, re.S)
    assert row, html[:2000]
    cells = re.findall(r'<td class="cell ([^"]+)"[^>]*>(.*?)</td>', row[0], re.S)
    assert len(cells) == 2
    css, content = cells[0]
    assert "heat-4" in css and "over" in css and "120%" in content
    assert "1 over-allocated" in html
    url = re.search(r'hx-get="([^"]+)"', content)[1].replace("&amp;", "&")
    detail = admin_client.get(url, HTTP_HX_REQUEST="true")
    assert detail.status_code == 200
    text = _text(detail)
    for name in ("Wiring", "Plumbing", "Painting"):
        assert name in text
    assert "48 h of 40 h" in text
    # without htmx, the same drill-down is a page
    assert "<html" in _text(admin_client.get(url))


def test_heat_map_by_month_role_and_skill(admin_client: Client, over: dict[str, Any]) -> None:
    org = over["org"]
    weld = Skill.objects.create(organisation=org, name="Electrical")
    role = Resource.objects.create(
        organisation=org, code="ELEC", name="Electrician", kind="role", currency="EUR"
    )
    ResourceSkill.objects.create(resource=role, skill=weld, proficiency=3)
    ResourceSkill.objects.create(resource=over["alice"], skill=weld, proficiency=4)
    for group in ("role", "skill"):
        response = admin_client.get(
            f"/capacity/?by=month&group={group}&from=2026-03-01&to=2026-03-31"
        )
        assert response.status_code == 200
        html = _text(response)
        assert ("Electrician" if group == "role" else "Electrical") in html
        assert "Mar 2026" in html
    response = admin_client.get("/capacity/?by=fortnight")
    assert response.status_code == 200 and "must be week or month" in _text(response)


def test_pool_pages(admin_client: Client, plan: dict[str, Any]) -> None:
    alice = plan["alice"]
    html = _text(admin_client.get("/resources/?kind=person"))
    assert "Alice Martin" in html
    assert "Alice Martin" not in _text(admin_client.get("/resources/?kind=equipment"))
    page = admin_client.get(f"/resources/{alice.pk}/")
    assert page.status_code == 200
    html = _text(page)
    for section in ("Skills", "Cost rates", "Calendar and leave", "Assignments", "Wiring"):
        assert section in html
    # edit through the generic form, with the version
    response = admin_client.post(
        f"/resources/{alice.pk}/",
        {"code": "alice", "name": "Alice M.", "kind": "person", "max_units": "0.8",
         "standard_rate": "90", "currency": "EUR", "version": alice.version},
    )  # fmt: skip
    assert response.status_code == 302, _text(response)[:1000]
    alice.refresh_from_db()
    assert (alice.name, alice.max_units, alice.version) == ("Alice M.", Decimal("0.80"), 2)
    # a stale edit is refused
    response = admin_client.post(
        f"/resources/{alice.pk}/",
        {"code": "alice", "name": "Old", "kind": "person", "max_units": "1",
         "standard_rate": "90", "currency": "EUR", "version": 1},
    )  # fmt: skip
    assert response.status_code == 409
    alice.refresh_from_db()
    assert alice.name == "Alice M."


def test_skills_rates_and_leave(admin_client: Client, plan: dict[str, Any]) -> None:
    from pmo.orgs.models import CalendarException

    alice, org = plan["alice"], plan["org"]
    skill = Skill.objects.create(organisation=org, name="Wiring")
    r = admin_client.post(
        f"/resources/{alice.pk}/skills/", {"skill": skill.pk, "proficiency": 4, "version": 1}
    )
    assert r.status_code == 302
    assert ResourceSkill.objects.get(resource=alice).proficiency == 4
    r = admin_client.post(
        f"/resources/{alice.pk}/rates/new/",
        {"effective_from": "2026-01-01", "standard_rate": "95", "overtime_rate": "120",
         "cost_per_use": "0"},
    )  # fmt: skip
    assert r.status_code == 302
    assert alice.cost_rates.get().standard_rate == Decimal("95.00")
    alice.refresh_from_db()
    r = admin_client.post(
        f"/resources/{alice.pk}/leave/",
        {"name": "Holiday", "start_date": "2026-03-09", "end_date": "2026-03-13",
         "version": alice.version},
    )  # fmt: skip
    assert r.status_code == 302
    alice.refresh_from_db()
    assert alice.calendar_id != plan["calendar"].pk  # a personal copy
    leave = CalendarException.objects.get(calendar=alice.calendar, name="Holiday")
    assert (leave.start_date, leave.end_date) == (dt.date(2026, 3, 9), dt.date(2026, 3, 13))
    html = _text(admin_client.get(f"/resources/{alice.pk}/"))
    assert "Holiday" in html
    # capacity of the leave week is 0
    html = _text(admin_client.get(f"/capacity/?by=week&{WEEK}"))
    assert "Alice Martin, 2026-03-09: 0 h of 0 h" in html
    assert "Alice Martin, 2026-03-02: 40 h of 40 h" in html


def test_project_tab_level_accept_and_undo(admin_client: Client, plan: dict[str, Any]) -> None:
    project = plan["project"]
    html = _text(admin_client.get(f"/projects/{project.pk}/?tab=resources"))
    assert "Level resources" in html and "Alice Martin" in html
    r = admin_client.post(f"/projects/{project.pk}/level/", {"engine": "auto", "time_limit": "5"})
    assert r.status_code == 302
    run = LevellingRun.objects.get()
    assert r["Location"] == f"/levelling-runs/{run.pk}/"
    page = _text(admin_client.get(r["Location"]))
    assert "Alice Martin" in page and "waiting for Alice Martin" in page
    assert f"/api/v1/projects/{project.pk}/gantt?run={run.pk}" in page
    gantt = admin_client.get(f"/api/v1/projects/{project.pk}/gantt?run={run.pk}").json()
    moved = next(m for m in run.proposal["moves"] if m["resource_delay_days"])
    bar = next(t for t in gantt["tasks"] if t["id"] == moved["task_id"])
    assert bar["start"] == moved["new_start"] and bar["bl_start"] == moved["old_start"]
    assert "Previewing levelling" in _text(
        admin_client.get(f"/projects/{project.pk}/?tab=gantt&run={run.pk}")
    )
    r = admin_client.post(f"/levelling-runs/{run.pk}/accept/", {"version": run.version})
    assert r.status_code == 302
    run.refresh_from_db()
    assert run.status == "accepted"
    assert Task.objects.get(pk=moved["task_id"]).levelled_start is not None
    assert "Accepted levelling" in _text(admin_client.get(r["Location"]))
    # a stale form is refused with a message
    admin_client.post(f"/levelling-runs/{run.pk}/undo/", {"version": 1})
    run.refresh_from_db()
    assert run.status == "accepted"
    admin_client.post(f"/levelling-runs/{run.pk}/undo/", {"version": run.version})
    run.refresh_from_db()
    assert run.status == "undone"
    assert Task.objects.get(pk=moved["task_id"]).levelled_start is None


def test_a_levelling_in_half_days_shows_parts_of_days(admin_client: Client, half_days: Any) -> None:
    project = half_days(linked=False)["project"]
    r = admin_client.post(f"/projects/{project.pk}/level/", {"engine": "exact", "time_limit": "5"})
    assert r.status_code == 302
    page = " ".join(_text(admin_client.get(r["Location"])).split())
    assert "1 working days (lower bound 1, optimal)" in page
    assert '<td class="num delay">+0.5</td>' in page
    assert "2026-03-02 13:00" in page


def test_other_organisations_and_viewers(
    client: Client, plan: dict[str, Any], two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.resources import levelling

    run = levelling.do_propose_levelling(plan["access"], project=plan["project"])
    alice, project = plan["alice"], plan["project"]
    client.force_login(make_user("stranger", two_orgs["globex"]["org"]))
    for url in (
        f"/resources/{alice.pk}/",
        f"/levelling-runs/{run.pk}/",
        f"/capacity/cell/?group=resource&key={alice.pk}&start=2026-03-02&end=2026-03-09",
        f"/tasks/{plan['tasks'][0].pk}/staffing/",
        f"/projects/{project.pk}/staffing/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (f"/projects/{project.pk}/level/", f"/levelling-runs/{run.pk}/accept/"):
        assert client.post(url, {"version": 1}).status_code == 404, url
    assert "Alice" not in _text(client.get("/capacity/"))
    client.force_login(make_user("viewer", plan["org"], "executive_viewer"))
    assert client.get(f"/levelling-runs/{run.pk}/").status_code == 200
    assert client.post(f"/levelling-runs/{run.pk}/accept/", {"version": 1}).status_code == 403
    assert client.post(f"/projects/{project.pk}/level/").status_code == 403
    assert "Level resources" not in _text(client.get(f"/projects/{project.pk}/?tab=resources"))
    run.refresh_from_db()
    assert run.status == "proposed" and LevellingRun.objects.count() == 1


def test_task_staffing_page_requirement_and_assign(
    admin_client: Client, plan: dict[str, Any]
) -> None:
    org, painting = plan["org"], plan["tasks"][2]
    skill = Skill.objects.create(organisation=org, name="Painting")
    bob = Resource.objects.create(organisation=org, code="bob", name="Bob Dupont", currency="EUR")
    ResourceSkill.objects.create(resource=bob, skill=skill, proficiency=4)
    r = admin_client.post(
        f"/tasks/{painting.pk}/requirements/", {"skill": skill.pk, "min_proficiency": 3, "units": 1}
    )
    assert r.status_code == 302
    page = _text(admin_client.get(f"/tasks/{painting.pk}/staffing/"))
    assert "Painting ≥ 3" in page and "Bob Dupont" in page and "suggested" in page
    slot = re.search(r'name="slot" value="([^"]+)"', page)[1]
    r = admin_client.post(
        f"/projects/{painting.project_id}/staffing/apply/",
        {"slot": slot, "resource": bob.pk, "next": f"/tasks/{painting.pk}/staffing/"},
    )
    assert r.status_code == 302 and r["Location"] == f"/tasks/{painting.pk}/staffing/"
    a = Assignment.objects.get(task=painting, resource=bob)
    assert (a.units, a.work_minutes) == (Decimal("1.00"), 480)
    # the requirement is met now: the page offers one more person instead
    assert "Anyone (one more person)" in _text(admin_client.get(f"/tasks/{painting.pk}/staffing/"))
