"""Dependencies: no cycles, links across projects of one organisation, never across two."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def acme(two_orgs: dict[str, Any], make_user: Any, api_for: Any) -> dict[str, Any]:
    data = two_orgs["acme"]
    return {**data, "api": api_for(make_user("admin", data["org"]))}


def test_a_link_closing_a_cycle_is_refused(acme: dict[str, Any]) -> None:
    from pmo.projects.models import Dependency

    api = acme["api"]
    design, build = acme["tasks"]  # design → build already
    test = api.post("/tasks", {"project_id": acme["project"].pk, "name": "Test"}).json()
    assert (
        api.post(
            "/dependencies", {"predecessor_id": build.pk, "successor_id": test["id"]}
        ).status_code
        == 201
    )
    links = Dependency.objects.count()
    r = api.post("/dependencies", {"predecessor_id": test["id"], "successor_id": design.pk})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "circular_dependency"
    for task_id, name in ((design.pk, "Design"), (build.pk, "Build"), (test["id"], "Test")):
        assert f"{name} (#{task_id})" in body["message"]
    assert body["cycle"] == [
        f"Test (#{test['id']})",
        f"Design (#{design.pk})",
        f"Build (#{build.pk})",
    ]
    assert Dependency.objects.count() == links
    r = api.post("/dependencies", {"predecessor_id": design.pk, "successor_id": design.pk})
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == ["successor_id"]
    r = api.post("/dependencies", {"predecessor_id": design.pk, "successor_id": build.pk})
    assert r.status_code == 409
    assert r.json()["message"].startswith("predecessor_id, successor_id:")


def test_links_may_cross_projects_of_one_organisation(acme: dict[str, Any]) -> None:
    api = acme["api"]
    other = api.post(
        "/projects",
        {"portfolio_id": acme["portfolio"].pk, "code": "acme-2", "name": "Two", "currency": "EUR"},
    ).json()
    far = api.post("/tasks", {"project_id": other["id"], "name": "Far"}).json()
    r = api.post(
        "/dependencies", {"predecessor_id": acme["tasks"][1].pk, "successor_id": far["id"]}
    )
    assert r.status_code == 201, r.content
    link = r.json()
    assert link["organisation_id"] == acme["org"].pk
    r = api.get(f"/dependencies?project_id={other['id']}")
    assert [d["id"] for d in r.json()["items"]] == [link["id"]]
    r = api.patch(f"/dependencies/{link['id']}", {"lag": 480, "type": "SS"}, If_Match='"1"')
    assert r.status_code == 200 and r.json()["lag"] == 480


def test_links_never_cross_organisations(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    from pmo.orgs.models import Membership
    from pmo.projects.models import Dependency

    acme, globex = two_orgs["acme"], two_orgs["globex"]
    both = make_user("consultant", acme["org"])
    Membership.objects.create(user=both, organisation=globex["org"], role="pmo_admin")
    only_acme = make_user("local", acme["org"])
    links = Dependency.objects.count()
    body = {"predecessor_id": globex["tasks"][0].pk, "successor_id": acme["tasks"][0].pk}
    for user in (both, only_acme):
        r = api_for(user).post("/dependencies", body)
        assert r.status_code == 422, r.content
        assert r.json()["errors"][0]["path"] == ["predecessor_id"]
    assert Dependency.objects.count() == links
