"""Who may book, change and review timesheet entries — enforced in the service, so the API,
the pages and any loader get the same answers.

The rule (``pmo.finance.timesheets.may_book``): a user books hours only on the resource
linked to their own account, unless their role manages the task's project (project or
portfolio manager in scope, PMO admin). A resource linked to nobody (a contractor without an
account) is booked by those managers only. Nobody approves or rejects hours of their own
resource, whatever the role (four-eyes principle). A refused write is a 403 for an entry or
resource the user can see, a 404 for one of another organisation, and writes nothing (no
row, no audit event).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from pmo.errors import PermissionDenied

WEEK = dt.date(2026, 1, 19)


@pytest.fixture
def crew(plan: dict[str, Any], make_user: Any, api_for: Any, two_orgs: dict[str, Any]) -> Any:
    """Ann's resource is linked to the team member ``ann``; Bob's to nobody. ``carl`` is
    another team member, ``pm`` manages the project and has a resource of their own."""
    from pmo.core.access import Access
    from pmo.core.services import do_create, do_update
    from pmo.resources.models import Resource

    org, project = plan["org"], plan["project"]
    users = {
        "ann": make_user("ann", org, "team_member"),
        "carl": make_user("carl", org, "team_member"),
        "pm": make_user("pm", org, "project_manager", project=project),
        "stranger": make_user("globex-admin", two_orgs["globex"]["org"], "pmo_admin"),
    }
    admin = Access(plan["admin"])
    ann = do_update(admin, plan["ann"], {"user_id": users["ann"].pk}, plan["ann"].version)
    pm_resource = do_create(
        admin,
        Resource,
        {
            "organisation_id": org.pk,
            "code": "PM",
            "name": "Pat",
            "standard_rate": Decimal("70"),
            "currency": "EUR",
            "user_id": users["pm"].pk,
        },
    )
    assert Resource.objects.get(pk=plan["bob"].pk).user_id is None
    return {
        **plan,
        "ann": ann,
        "pm_resource": pm_resource,
        "users": users,
        "api": {name: api_for(user) for name, user in users.items()}
        | {"admin": api_for(plan["admin"])},
    }


def _week(resource: Any, task: Any, hours: str, *, submit: bool = False) -> dict[str, Any]:
    return {
        "resource_id": resource.pk,
        "week_start": WEEK.isoformat(),
        "entries": [{"task_id": task.pk, "hours": hours}],
        "submit": submit,
    }


def _audited_entries() -> int:
    from pmo.core.models import AuditEvent

    return AuditEvent.objects.filter(object_type="finance.timesheetentry").count()


def test_a_team_member_books_only_their_own_resource(crew: dict[str, Any]) -> None:
    from pmo.finance.models import TimesheetEntry

    api, design = crew["api"], crew["design"]
    audited = _audited_entries()
    # Another member's resource, and a resource linked to nobody: 403, nothing written.
    for resource in (crew["ann"], crew["bob"]):
        r = api["carl"].post("/timesheets", _week(resource, design, "8"))
        assert r.status_code == 403, r.content
        assert r.json()["code"] == "forbidden"
        assert "linked to your own account" in r.json()["message"]
        r = api["carl"].post(
            "/timesheet-entries",
            {
                "resource_id": resource.pk,
                "task_id": design.pk,
                "week_start": WEEK.isoformat(),
                "hours": "8",
            },
        )
        assert r.status_code == 403, r.content
    assert not TimesheetEntry.objects.exists()
    assert _audited_entries() == audited
    # Ann books her own week; the project manager books Bob's (no account of his own).
    r = api["ann"].post("/timesheets", _week(crew["ann"], design, "6"))
    assert r.status_code == 200, r.content
    r = api["pm"].post("/timesheets", _week(crew["bob"], design, "4"))
    assert r.status_code == 200, r.content
    assert sorted(TimesheetEntry.objects.values_list("resource__code", "hours", "state")) == [
        ("ANN", Decimal("6.00"), "draft"),
        ("BOB", Decimal("4.00"), "draft"),
    ]
    # Another organisation's resource does not exist for its admin: 404, not 403.
    r = api["stranger"].post("/timesheets", _week(crew["ann"], design, "1"))
    assert r.status_code == 404


def test_a_team_member_cannot_change_or_delete_anothers_entry(crew: dict[str, Any]) -> None:
    from pmo.finance.models import TimesheetEntry

    api, design = crew["api"], crew["design"]
    r = api["ann"].post("/timesheets", _week(crew["ann"], design, "6"))
    (entry,) = r.json()["entries"]
    url = f"/timesheet-entries/{entry['id']}"
    audited = _audited_entries()
    r = api["carl"].patch(url, {"hours": "60"}, If_Match='"1"')
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = api["carl"].post(f"{url}/submit", {}, If_Match='"1"')
    assert r.status_code == 403
    r = api["carl"].delete(url, If_Match='"1"')
    assert r.status_code == 403
    r = api["carl"].post("/timesheets", _week(crew["ann"], design, "0"))  # a zero row deletes
    assert r.status_code == 403
    stored = TimesheetEntry.objects.get(pk=entry["id"])
    assert (stored.hours, stored.version, stored.state) == (Decimal("6.00"), 1, "draft")
    assert _audited_entries() == audited
    # Invisible to another organisation: 404 for each write.
    assert api["stranger"].patch(url, {"hours": "1"}, If_Match='"1"').status_code == 404
    assert api["stranger"].delete(url, If_Match='"1"').status_code == 404
    # Ann herself changes and removes it; the project manager could too.
    r = api["ann"].patch(url, {"hours": "7"}, If_Match='"1"')
    assert r.status_code == 200, r.content
    assert TimesheetEntry.objects.get(pk=entry["id"]).hours == Decimal("7.00")
    assert api["ann"].delete(url, If_Match='"2"').status_code == 204
    assert not TimesheetEntry.objects.exists()


def test_an_entry_cannot_be_moved_to_or_from_anothers_resource(crew: dict[str, Any]) -> None:
    """The generic service takes ``resource_id`` on update: the stored resource and the new
    one are both checked, so an entry can be neither planted on nor taken from another."""
    from pmo.core.access import Access
    from pmo.core.services import do_create, do_update
    from pmo.finance.models import TimesheetEntry
    from pmo.resources.models import Resource

    carl = crew["users"]["carl"]
    carl_resource = do_create(
        crew["access"],
        Resource,
        {"organisation_id": crew["org"].pk, "code": "CARL", "name": "Carl", "currency": "EUR"},
    )
    carl_resource = do_update(crew["access"], carl_resource, {"user_id": carl.pk}, 1)
    base = {"task_id": crew["design"].pk, "week_start": WEEK, "hours": Decimal(3)}
    own = do_create(Access(carl), TimesheetEntry, {**base, "resource_id": carl_resource.pk})
    anns = do_create(
        Access(crew["users"]["ann"]), TimesheetEntry, {**base, "resource_id": crew["ann"].pk}
    )
    with pytest.raises(PermissionDenied):
        do_update(Access(carl), own, {"resource_id": crew["ann"].pk}, own.version)
    with pytest.raises(PermissionDenied):
        do_update(Access(carl), anns, {"resource_id": carl_resource.pk}, anns.version)
    assert dict(TimesheetEntry.objects.values_list("pk", "resource_id")) == {
        own.pk: carl_resource.pk,
        anns.pk: crew["ann"].pk,
    }


def test_nobody_reviews_their_own_hours(crew: dict[str, Any]) -> None:
    from pmo.core.access import Access
    from pmo.finance.models import TimesheetEntry
    from pmo.finance.timesheets import pending_reviews

    api, design = crew["api"], crew["design"]
    r = api["pm"].post("/timesheets", _week(crew["pm_resource"], design, "5", submit=True))
    assert r.status_code == 200, r.content
    (entry,) = r.json()["entries"]
    assert entry["state"] == "submitted" and entry["version"] == 2
    url = f"/timesheet-entries/{entry['id']}"
    audited = _audited_entries()
    # The project manager manages the project but booked these hours: 403 every way.
    r = api["pm"].post(f"{url}/approve", {}, If_Match='"2"')
    assert r.status_code == 403 and "your own timesheet entries" in r.json()["message"]
    r = api["pm"].post(f"{url}/reject", {"comment": "typo"}, If_Match='"2"')
    assert r.status_code == 403
    r = api["pm"].patch(url, {"state": "approved"}, If_Match='"2"')
    assert r.status_code == 403
    assert TimesheetEntry.objects.get(pk=entry["id"]).state == "submitted"
    assert _audited_entries() == audited
    # ...and does not see them in the approval queue, which still lists Ann's.
    r = api["ann"].post("/timesheets", _week(crew["ann"], design, "8", submit=True))
    (anns,) = r.json()["entries"]
    queue = pending_reviews(Access(crew["users"]["pm"]))
    assert [e.pk for e in queue] == [anns["id"]]
    # The PMO admin (someone else) approves the project manager's hours: 5 h x 70 EUR/h.
    r = api["admin"].post(f"{url}/approve", {"comment": "ok"}, If_Match='"2"')
    assert r.status_code == 200, r.content
    assert r.json()["reviewed_by_id"] == crew["admin"].pk
    from pmo.finance.models import CostLine

    line = CostLine.objects.get(reference=f"timesheet-entry:{entry['id']}")
    assert line.amount == Decimal("350.00")


def test_the_timesheet_page_refuses_booking_for_another(crew: dict[str, Any], client: Any) -> None:
    from pmo.finance.models import TimesheetEntry

    design, ann = crew["design"], crew["ann"]
    client.force_login(crew["users"]["carl"])
    page = client.get(f"/timesheets/?resource={ann.pk}&week={WEEK}")
    assert page.status_code == 200
    html = page.content.decode()
    # Ann's week is shown read-only to Carl: a notice, no hours field.
    assert 'id="timesheet-read-only"' in html
    assert f'name="hours-{design.pk}"' not in html
    form = {
        "resource": ann.pk,
        "week": WEEK.isoformat(),
        "task": [design.pk],
        f"hours-{design.pk}": "9",
        f"version-{design.pk}": "0",
    }
    response = client.post("/timesheets/", form)
    assert response.status_code == 403
    text = response.content.decode()
    assert "linked to your own account" in text and "Team member" in text
    assert not TimesheetEntry.objects.exists()
    # Ann's own session books it.
    client.force_login(crew["users"]["ann"])
    page = client.get(f"/timesheets/?week={WEEK}").content.decode()
    assert f'name="hours-{design.pk}"' in page and 'id="timesheet-read-only"' not in page
    assert client.post("/timesheets/", form).status_code == 302
    assert TimesheetEntry.objects.get().hours == Decimal("9.00")


def test_the_approvals_page_refuses_an_own_entry(crew: dict[str, Any], client: Any) -> None:
    from pmo.core.access import Access
    from pmo.finance.models import TimesheetEntry
    from pmo.finance.timesheets import WeekEntry, do_save_week

    pm = crew["users"]["pm"]
    (entry,) = do_save_week(
        Access(pm),
        crew["pm_resource"],
        WEEK,
        [WeekEntry(crew["design"].pk, Decimal(5))],
        submit=True,
    )
    client.force_login(pm)
    html = client.get("/timesheets/approvals/").content.decode()
    assert f'data-entry="{entry.pk}"' not in html
    response = client.post(
        "/timesheets/approvals/", {"approve": entry.pk, f"version-{entry.pk}": entry.version}
    )
    assert response.status_code == 403
    assert "your own timesheet entries" in response.content.decode()
    assert TimesheetEntry.objects.get(pk=entry.pk).state == "submitted"


def test_the_reviewer_is_stamped_from_the_acting_user_never_given(
    crew: dict[str, Any], client: Any
) -> None:
    """``reviewed_by_id`` is not an input: the API refuses it (422 naming the field) on
    create and update, so does the service for any writer, and the approve and reject
    actions, the generic PATCH and the approvals page record the user who reviews."""
    from pmo.core.access import Access
    from pmo.core.services import do_update
    from pmo.errors import ValidationFailed
    from pmo.finance.models import TimesheetEntry

    api, design, users = crew["api"], crew["design"], crew["users"]
    admin = crew["admin"]
    body = {
        "resource_id": crew["ann"].pk,
        "task_id": design.pk,
        "week_start": WEEK.isoformat(),
        "hours": "8",
        "state": "submitted",
    }
    audited = _audited_entries()
    r = api["ann"].post("/timesheet-entries", {**body, "reviewed_by_id": users["pm"].pk})
    assert r.status_code == 422, r.content
    assert [e["path"] for e in r.json()["errors"]] == [["reviewed_by_id"]]
    assert "reviewed_by_id" in r.json()["message"]
    assert not TimesheetEntry.objects.exists() and _audited_entries() == audited
    r = api["ann"].post("/timesheet-entries", body)
    assert r.status_code == 201, r.content
    entry_id = r.json()["id"]
    url = f"/timesheet-entries/{entry_id}"
    # Neither the manager nor an admin may name a reviewer, with or without a review.
    for who, patch in (
        ("pm", {"reviewed_by_id": admin.pk}),
        ("pm", {"state": "approved", "reviewed_by_id": admin.pk}),
        ("admin", {"state": "rejected", "review_comment": "no", "reviewed_by_id": 0}),
    ):
        r = api[who].patch(url, patch, If_Match='"1"')
        assert r.status_code == 422, r.content
        assert [e["path"] for e in r.json()["errors"]] == [["reviewed_by_id"]]
    stored = TimesheetEntry.objects.get(pk=entry_id)
    assert (stored.state, stored.version, stored.reviewed_by_id) == ("submitted", 1, None)
    assert _audited_entries() == audited + 1
    # The schema does not offer it either.
    schemas = api["pm"].get("/openapi.json").json()["components"]["schemas"]
    for name in ("TimesheetEntryIn", "TimesheetEntryPatch"):
        assert "reviewed_by_id" not in schemas[name]["properties"]
    assert "reviewed_by_id" in schemas["TimesheetEntryOut"]["properties"]
    # Any writer through the services: refused at the field.
    for data in ({"reviewed_by_id": users["pm"].pk}, {"reviewed_by": users["pm"]}):
        with pytest.raises(ValidationFailed) as exc:
            do_update(Access(admin), stored, data, stored.version)
        assert [e.path for e in exc.value.errors] == [("reviewed_by_id",)]
    # The generic PATCH approving as the project manager: the manager is the reviewer.
    r = api["pm"].patch(url, {"state": "approved"}, If_Match='"1"')
    assert r.status_code == 200, r.content
    assert r.json()["reviewed_by_id"] == users["pm"].pk
    # The approvals page ignores any reviewer a crafted form sends.
    r = api["ann"].post("/timesheets", _week(crew["ann"], crew["build"], "4", submit=True))
    other = next(e for e in r.json()["entries"] if e["task_id"] == crew["build"].pk)
    assert other["state"] == "submitted"
    client.force_login(users["pm"])
    response = client.post(
        "/timesheets/approvals/",
        {
            "reject": other["id"],
            f"version-{other['id']}": other["version"],
            f"comment-{other['id']}": "wrong task",
            "reviewed_by": admin.pk,
            "reviewed_by_id": admin.pk,
            f"reviewed_by-{other['id']}": admin.pk,
        },
    )
    assert response.status_code == 302
    rejected = TimesheetEntry.objects.get(pk=other["id"])
    assert (rejected.state, rejected.reviewed_by_id) == ("rejected", users["pm"].pk)
