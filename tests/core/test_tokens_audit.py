"""API tokens are created and revoked through the service, each change audited, from every
surface (the API, the tokens page, the CLI, the admin), and the audit trail never holds the
token nor its digest: only the token's id, owner, name and prefix."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from typer.testing import CliRunner

from pmo.errors import NotFound, PermissionDenied

runner = CliRunner()


def _events(token_id: int) -> list[Any]:
    from pmo.core.models import AuditEvent

    return list(
        AuditEvent.objects.filter(object_type="core.apitoken", object_id=token_id).order_by("pk")
    )


def _assert_secret_absent(token: str) -> None:
    """Neither the token, its random part nor its digest is anywhere in the audit trail."""
    from pmo.core.models import AuditEvent
    from pmo.core.tokens import TOKEN_PREFIX, digest

    trail = json.dumps(
        [[e.object_repr, e.changes] for e in AuditEvent.objects.filter(object_type="core.apitoken")]
    )
    for secret in (token, token.removeprefix(TOKEN_PREFIX), digest(token)):
        assert secret not in trail


def _assert_created(event: Any, row: Any, username: str) -> None:
    assert event.action == "create" and event.username == username
    assert event.organisation_id is None  # personal: no organisation's trail shows it
    assert event.changes == {
        "user_id": [None, row.user_id],
        "name": [None, row.name],
        "prefix": [None, row.prefix],
    }
    assert event.object_repr == f"{row.name} ({row.prefix}…)"


def _assert_revoked(event: Any, row: Any, username: str) -> None:
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert event.action == "update" and event.username == username
    assert event.organisation_id is None
    assert event.changes == {"revoked_at": [None, row.revoked_at.isoformat()]}


def test_api_create_and_revoke_are_audited_without_the_secret(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    from pmo.core.models import ApiToken

    user = make_user("tess", two_orgs["acme"]["org"])
    api = api_for(user)
    r = api.post("/tokens", {"name": "ci"})
    assert r.status_code == 201, r.content
    created = r.json()
    row = ApiToken.objects.get(pk=created["id"])
    (event,) = _events(row.pk)
    _assert_created(event, row, "tess")
    assert event.user_id == user.pk

    assert api.delete(f"/tokens/{row.pk}").status_code == 204
    _, revoked = _events(row.pk)
    _assert_revoked(revoked, row, "tess")
    _assert_secret_absent(created["token"])
    # A refused revocation (already revoked; someone else's token) writes no event.
    assert api.delete(f"/tokens/{row.pk}").status_code == 404
    other = api_for(make_user("other", two_orgs["acme"]["org"]))
    mine = next(t["id"] for t in api.get("/tokens").json() if t["revoked_at"] is None)
    assert other.delete(f"/tokens/{mine}").status_code == 404
    assert len(_events(row.pk)) == 2 and ApiToken.objects.get(pk=mine).revoked_at is None
    assert len(_events(mine)) == 1
    # An invalid name creates nothing and audits nothing.
    count = ApiToken.objects.count()
    assert api.post("/tokens", {"name": "  "}).status_code == 422
    assert ApiToken.objects.count() == count


def test_the_tokens_page_audits_create_and_revoke(
    client: Client, two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.core.models import ApiToken

    user = make_user("paige", two_orgs["acme"]["org"], "executive_viewer")
    client.force_login(user)
    assert client.post("/tokens/new/", {"name": "report script"}).status_code == 302
    shown = re.search(r'value="(pmo_[^"]+)"', client.get("/tokens/").content.decode())
    assert shown is not None
    token = shown[1]
    row = ApiToken.objects.get(user=user)
    (event,) = _events(row.pk)
    _assert_created(event, row, "paige")
    assert client.post(f"/tokens/{row.pk}/revoke/").status_code == 302
    _, revoked = _events(row.pk)
    _assert_revoked(revoked, row, "paige")
    _assert_secret_absent(token)


def test_the_cli_creates_lists_and_revokes_audited(
    two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.cli import app
    from pmo.core.models import ApiToken

    make_user("erin", two_orgs["acme"]["org"], "team_member")
    result = runner.invoke(app, ["token", "create", "erin", "--name", "laptop"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    row = ApiToken.objects.get(user__username="erin")
    (event,) = _events(row.pk)
    _assert_created(event, row, "system")  # the instance operator, as for other CLI writes
    assert event.user_id is None

    listed = runner.invoke(app, ["token", "list", "erin", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    (shown,) = json.loads(listed.stdout)
    assert (shown["id"], shown["name"], shown["prefix"], shown["revoked_at"]) == (
        row.pk,
        "laptop",
        row.prefix,
        None,
    )
    assert token not in listed.stdout and row.digest not in listed.stdout

    result = runner.invoke(app, ["token", "revoke", "erin", str(row.pk)])
    assert result.exit_code == 0, result.output
    _, revoked = _events(row.pk)
    _assert_revoked(revoked, row, "system")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/me").status_code == 401
    _assert_secret_absent(token)
    # Again, or as another user's token: not found, nothing audited.
    make_user("fred", two_orgs["acme"]["org"])
    for username, says in (("erin", "not found"), ("fred", "not found"), ("nobody", "nobody")):
        bad = runner.invoke(app, ["token", "revoke", username, str(row.pk)])
        assert bad.exit_code != 0 and says in " ".join(bad.stderr.split())
    assert len(_events(row.pk)) == 2


def test_the_service_manages_only_ones_own_tokens_unless_operator(
    two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.core.access import Access
    from pmo.core.tokens import do_create_token, do_revoke_token

    acme = two_orgs["acme"]["org"]
    alice, bob = make_user("alice", acme), make_user("bob", acme)
    with pytest.raises(PermissionDenied):
        do_create_token(Access(alice), "for bob", user=bob)
    bobs, _ = do_create_token(Access(bob), "mine")
    with pytest.raises(NotFound):
        do_revoke_token(Access(alice), bobs.pk)
    with pytest.raises(PermissionDenied):
        do_revoke_token(Access(alice), bobs.pk, user=bob)
    root = make_user("root")
    root.is_superuser = True
    root.save()
    do_revoke_token(Access(root), bobs.pk, user=bob)
    _, revoked = _events(bobs.pk)
    _assert_revoked(revoked, bobs, "root")


def test_the_admin_audits_revocation_and_deletion(
    client: Client, two_orgs: dict[str, Any], make_user: Any
) -> None:
    from django.contrib.auth import get_user_model

    from pmo.core.models import ApiToken
    from pmo.core.tokens import create_token_for

    row, token = create_token_for(make_user("gina", two_orgs["acme"]["org"]), "script")
    root = get_user_model().objects.create_superuser("root", password="pw-for-tests-only")
    client.force_login(root)
    url = f"/admin/core/apitoken/{row.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"revoked_at_0": "2026-01-05", "revoked_at_1": "09:00:00"})
    assert response.status_code == 302, response.content[:500]
    _, revoked = _events(row.pk)
    _assert_revoked(revoked, row, "root")
    response = client.post(f"/admin/core/apitoken/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=row.pk).exists()
    *_, deleted = _events(row.pk)
    assert deleted.action == "delete" and deleted.username == "root"
    assert deleted.changes == {
        "user_id": [row.user_id, None],
        "name": ["script", None],
        "prefix": [row.prefix, None],
    }
    _assert_secret_absent(token)
