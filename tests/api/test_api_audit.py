"""The audit trail: every change recorded with who, what, and each field before/after."""

from __future__ import annotations

from typing import Any


def test_create_update_delete_are_audited(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    acme = two_orgs["acme"]
    user = make_user("auditor", acme["org"])
    api = api_for(user)
    r = api.post("/tasks", {"project_id": acme["project"].pk, "name": "Survey"})
    assert r.status_code == 201
    pk = r.json()["id"]
    r = api.patch(f"/tasks/{pk}", {"name": "Site survey", "duration_minutes": 960}, If_Match='"1"')
    assert r.status_code == 200
    assert api.delete(f"/tasks/{pk}", If_Match='"2"').status_code == 204

    r = api.get(f"/audit?object_type=projects.task&object_id={pk}")
    assert r.status_code == 200
    events = {e["action"]: e for e in r.json()["items"]}
    assert r.json()["count"] == 3 and set(events) == {"create", "update", "delete"}
    for event in events.values():
        assert event["username"] == "auditor"
        assert event["object_id"] == pk
        assert event["object_type"] == "projects.task"
        assert event["organisation_id"] == acme["org"].pk
    assert events["create"]["changes"]["name"] == [None, "Survey"]
    assert events["create"]["changes"]["project_id"] == [None, acme["project"].pk]
    assert events["update"]["changes"] == {
        "name": ["Survey", "Site survey"],
        "duration_minutes": [480, 960],
    }
    assert events["delete"]["changes"]["name"] == ["Site survey", None]
    assert events["delete"]["object_repr"] == "Site survey"

    from pmo.core.models import AuditEvent

    row = AuditEvent.objects.get(object_id=pk, action="update", object_type="projects.task")
    assert row.user_id == user.pk


def test_another_organisation_cannot_read_the_audit_trail(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    acme, globex = two_orgs["acme"], two_orgs["globex"]
    api_a = api_for(make_user("a_admin", acme["org"]))
    api_b = api_for(make_user("b_admin", globex["org"]))
    task = acme["tasks"][0]
    assert api_a.patch(f"/tasks/{task.pk}", {"notes": "secret"}, If_Match='"1"').status_code == 200
    mine = api_a.get(f"/audit?object_type=projects.task&object_id={task.pk}").json()
    assert mine["count"] == 1
    for query in (
        f"?object_type=projects.task&object_id={task.pk}",
        f"?organisation_id={acme['org'].pk}",
        "?username=a_admin",
        "",
    ):
        r = api_b.get(f"/audit{query}")
        assert r.status_code == 200
        assert r.json()["items"] == [], query
        assert "secret" not in r.content.decode()
