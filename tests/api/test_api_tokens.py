"""Personal API tokens and the two ways to authenticate."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_token_is_shown_once_and_revocation_locks_it_out(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    user = make_user("tess", two_orgs["acme"]["org"])
    api = api_for(user)
    r = api.post("/tokens", {"name": "ci"})
    assert r.status_code == 201
    created = r.json()
    token = created["token"]
    assert token.startswith("pmo_") and token.startswith(created["prefix"])
    listing = api.get("/tokens")
    assert listing.status_code == 200
    assert token not in listing.content.decode()
    assert all("token" not in t for t in listing.json())
    assert created["id"] in [t["id"] for t in listing.json()]

    fresh = bearer(token)
    assert fresh.get("/api/v1/me").json()["username"] == "tess"
    assert api.delete(f"/tokens/{created['id']}").status_code == 204
    again = fresh.post("/api/v1/tokens", '{"name": "again"}', content_type="application/json")
    for response in (fresh.get("/api/v1/me"), again):
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")
    revoked = next(t for t in api.get("/tokens").json() if t["id"] == created["id"])
    assert revoked["revoked_at"] is not None
    # A token of someone else cannot be revoked: it does not exist for this user.
    other = api_for(make_user("other", two_orgs["acme"]["org"]))
    mine = api.get("/tokens").json()[0]["id"]
    assert other.delete(f"/tokens/{mine}").status_code == 404


def test_missing_or_bad_authorization_is_401(two_orgs: dict[str, Any]) -> None:
    from pmo.projects.models import Project

    one = f"/api/v1/projects/{two_orgs['acme']['project'].pk}"
    json_body: dict[str, Any] = {"data": '{"code": "x"}', "content_type": "application/json"}
    for client in (Client(), bearer("pmo_not-a-real-token")):
        for response in (
            client.get("/api/v1/projects"),
            client.get(one),
            client.post("/api/v1/projects", **json_body),
            client.patch(one, HTTP_IF_MATCH='"1"', **json_body),
            client.delete(one, HTTP_IF_MATCH='"1"'),
        ):
            assert response.status_code == 401, response.content
            assert response.json()["code"] == "not_authenticated"
    assert Project.objects.count() == 2
    assert Project.objects.get(code="acme-1").version == 1


def test_session_auth_needs_csrf_for_unsafe_methods(
    two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.projects.models import Task

    acme = two_orgs["acme"]
    user = make_user("sam", acme["org"])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/api/v1/me").status_code == 200
    body = json.dumps({"project_id": acme["project"].pk, "name": "via session"})
    r = browser.post("/api/v1/tasks", body, content_type="application/json")
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert not Task.objects.filter(name="via session").exists()
    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    r = browser.post(
        "/api/v1/tasks", body, content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )
    assert r.status_code == 201, r.content
