"""Optimistic locking: stale writes are refused, never applied."""

from __future__ import annotations

from typing import Any


def test_second_of_two_concurrent_edits_is_refused(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    acme = two_orgs["acme"]
    task = acme["tasks"][0]
    alice = api_for(make_user("alice", acme["org"], "project_manager"))
    bob = api_for(make_user("bob", acme["org"], "project_manager"))
    # Both read version 1.
    for client in (alice, bob):
        r = client.get(f"/tasks/{task.pk}")
        assert r.status_code == 200 and r["ETag"] == '"1"'
    r = alice.patch(f"/tasks/{task.pk}", {"name": "Alice's"}, If_Match='"1"')
    assert r.status_code == 200, r.content
    assert r["ETag"] == '"2"'
    assert r.json()["version"] == 2
    r = bob.patch(f"/tasks/{task.pk}", {"name": "Bob's"}, If_Match='"1"')
    assert r.status_code == 412
    assert r.json()["code"] == "stale_version"
    assert r.json()["current_version"] == 2
    task.refresh_from_db()
    assert (task.name, task.version) == ("Alice's", 2)


def test_writes_without_a_version_are_refused(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    acme = two_orgs["acme"]
    task = acme["tasks"][0]
    api = api_for(make_user("carol", acme["org"]))
    r = api.patch(f"/tasks/{task.pk}", {"name": "x"})
    assert r.status_code == 428
    assert r.json()["code"] == "version_required"
    r = api.delete(f"/tasks/{task.pk}")
    assert r.status_code == 428
    task.refresh_from_db()
    assert (task.name, task.version) == ("Design", 1)


def test_stale_delete_is_refused_and_the_row_stays(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    from pmo.projects.models import Task

    acme = two_orgs["acme"]
    task = acme["tasks"][1]
    api = api_for(make_user("dave", acme["org"]))
    assert api.patch(f"/tasks/{task.pk}", {"notes": "n"}, If_Match='"1"').status_code == 200
    r = api.delete(f"/tasks/{task.pk}", If_Match='"1"')
    assert r.status_code == 412
    assert r.json()["current_version"] == 2
    assert Task.objects.filter(pk=task.pk).exists()
    assert api.delete(f"/tasks/{task.pk}?version=2").status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()


def test_version_in_the_body_works_like_if_match(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    acme = two_orgs["acme"]
    task = acme["tasks"][0]
    api = api_for(make_user("erin", acme["org"]))
    r = api.patch(f"/tasks/{task.pk}", {"name": "v1 edit", "version": 1})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = api.patch(f"/tasks/{task.pk}", {"name": "stale", "version": 1})
    assert r.status_code == 412
    task.refresh_from_db()
    assert task.name == "v1 edit"
    r = api.patch(f"/tasks/{task.pk}", {"name": "x"}, If_Match="not-a-version")
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == ["header", "If-Match"]
