"""The API tokens page: a token is shown once, works on the API, and stops when revoked."""

from __future__ import annotations

import re
from typing import Any


def test_create_use_and_revoke_a_token(
    client: Any, two_orgs: dict[str, Any], login_as: Any
) -> None:
    from django.test import Client

    from pmo.core.models import ApiToken

    user = login_as(two_orgs["acme"]["org"], "executive_viewer")
    response = client.post("/tokens/new/", {"name": "report script"})
    assert response.status_code == 302
    page = client.get("/tokens/").content.decode()
    token = re.search(r'value="(pmo_[^"]+)"', page)[1]
    assert "report script" in page
    # shown once: the next visit no longer contains it
    assert token not in client.get("/tokens/").content.decode()
    row = ApiToken.objects.get(user=user)
    assert row.digest != token and token not in row.digest

    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/me").json()["username"] == user.username
    assert client.post(f"/tokens/{row.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/me").status_code == 401


def test_a_token_of_someone_else_cannot_be_revoked(
    client: Any, two_orgs: dict[str, Any], login_as: Any, make_user: Any
) -> None:
    from pmo.core.models import ApiToken
    from pmo.core.tokens import create_token_for

    other, _ = create_token_for(make_user("other", two_orgs["globex"]["org"]), "theirs")
    login_as(two_orgs["acme"]["org"])
    client.post(f"/tokens/{other.pk}/revoke/")
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None
