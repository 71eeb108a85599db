"""Roles: what each role may change, checked through the API."""

from __future__ import annotations

from typing import Any

from api_walker import PERSONAL, Book, UnknownRoute, fingerprint


def test_executive_viewer_cannot_write_anything(
    world: dict[str, Any], book: Book, make_user: Any, api_for: Any
) -> None:
    """Every write route of the schema, on the viewer's own organisation's rows: 403."""
    b = world["globex"]
    viewer = make_user("viewer", b["org"], "executive_viewer")
    api = api_for(viewer)

    def ids(kind: str, slot: tuple[Any, ...] = ()) -> Any:
        if kind == "user":
            return viewer.pk
        obj = b["objects"].get(kind)
        if obj is None:
            raise UnknownRoute(f"no {kind!r} row in the fixture")
        return obj.pk

    before = fingerprint(b["org"])
    problems: list[str] = []
    writes = [r for r in book.routes if r.method != "GET" and r.resource not in PERSONAL]
    assert len(writes) > 50
    for route in writes:
        try:
            target = b["objects"].get(route.resource)
            if route.kind != "create" and target is None:
                raise UnknownRoute(f"no {route.resource!r} row in the fixture")
            version = f'"{getattr(target, "version", 1)}"'
            if route.kind == "create":
                response = api.post(route.url(), book.body(route, ids))
            elif route.kind == "update":
                response = api.patch(route.url(target.pk), {}, If_Match=version)
            elif route.kind == "delete":
                response = api.delete(route.url(target.pk), If_Match=version)
            else:
                method = getattr(api, route.method.lower())
                response = method(route.url(target.pk), book.body(route, ids), If_Match=version)
            if response.status_code != 403:
                problems.append(f"{route}: {response.status_code} {response.content[:200]!r}")
        except UnknownRoute as exc:
            problems.append(f"{route}: cannot exercise: {exc}")
    assert not problems, "\n".join(problems)
    assert fingerprint(b["org"]) == before
    # ...while reading is fine.
    assert api.get(f"/projects/{b['project'].pk}").status_code == 200


def test_team_member_updates_tasks_not_projects(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    acme = two_orgs["acme"]
    api = api_for(make_user("tm", acme["org"], "team_member"))
    task, project = acme["tasks"][0], acme["project"]
    r = api.patch(f"/tasks/{task.pk}", {"percent_complete": 40}, If_Match='"1"')
    assert r.status_code == 200, r.content
    assert r.json()["percent_complete"] == 40
    r = api.patch(f"/projects/{project.pk}", {"name": "renamed"}, If_Match='"1"')
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    project.refresh_from_db()
    assert project.name == "acme project" and project.version == 1
    r = api.post(
        "/projects",
        {"portfolio_id": acme["portfolio"].pk, "code": "tm-1", "name": "x", "currency": "EUR"},
    )
    assert r.status_code == 403


def test_project_manager_is_held_to_its_project(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    from pmo.projects.models import Project, Task

    acme = two_orgs["acme"]
    mine = acme["project"]
    other = Project.objects.create(
        organisation=acme["org"],
        portfolio=acme["portfolio"],
        code="acme-2",
        name="other project",
        currency="EUR",
    )
    other_task = Task.objects.create(organisation=acme["org"], project=other, name="Dig")
    pm = make_user("pm", acme["org"], "project_manager", project=mine)
    api = api_for(pm)

    assert api.patch(f"/projects/{mine.pk}", {"sponsor": "CFO"}, If_Match='"1"').status_code == 200
    assert api.post("/tasks", {"project_id": mine.pk, "name": "Mine"}).status_code == 201

    r = api.patch(f"/projects/{other.pk}", {"sponsor": "CFO"}, If_Match='"1"')
    assert r.status_code == 403
    assert api.patch(f"/tasks/{other_task.pk}", {"name": "x"}, If_Match='"1"').status_code == 403
    assert api.delete(f"/tasks/{other_task.pk}", If_Match='"1"').status_code == 403
    assert api.post("/tasks", {"project_id": other.pk, "name": "Sneak"}).status_code == 403
    assert (
        api.post("/risks", {"project_id": other.pk, "code": "R9", "title": "x"}).status_code == 403
    )
    # Moving one of its own rows into the other project is refused too.
    r = api.post("/issues", {"project_id": mine.pk, "code": "I1", "title": "t"})
    assert r.status_code == 201
    issue = r.json()
    r = api.patch(f"/issues/{issue['id']}", {"task_id": other_task.pk}, If_Match='"1"')
    assert r.status_code == 422  # the task is not in the issue's project
    other.refresh_from_db()
    other_task.refresh_from_db()
    assert (other.sponsor, other.version, other_task.name) == ("", 1, "Dig")
    assert not Task.objects.filter(name="Sneak").exists()
    # Reading the other project is allowed: membership of the organisation.
    assert api.get(f"/projects/{other.pk}").status_code == 200
