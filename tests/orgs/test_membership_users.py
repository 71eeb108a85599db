"""Creating a membership cannot probe user ids: a user the writer may not see (one who
shares none of its organisations) is answered exactly like an id nobody has, and a
membership that is created is audited as before."""

from __future__ import annotations

import re
from typing import Any

import pytest


def _masked(response: Any, user_id: int) -> tuple[int, str]:
    """The status and body with the id that was asked about replaced, to compare answers."""
    return response.status_code, re.sub(rf"\b{user_id}\b", "N", response.content.decode())


def test_an_unseen_user_is_answered_like_a_missing_one(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    from django.contrib.auth import get_user_model

    from pmo.core.models import AuditEvent
    from pmo.orgs.models import Membership

    acme, globex = two_orgs["acme"]["org"], two_orgs["globex"]["org"]
    api = api_for(make_user("g-admin", globex, "pmo_admin"))
    in_acme = make_user("acme-only", acme, "team_member")
    nowhere = make_user("no-org")
    missing = get_user_model().objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    memberships, events = Membership.objects.count(), AuditEvent.objects.count()
    answers = set()
    for user_id in (missing, in_acme.pk, nowhere.pk):
        body = {"user_id": user_id, "organisation_id": globex.pk, "role": "team_member"}
        response = api.post("/memberships", body)
        assert response.status_code == 422, response.content
        assert response.json()["errors"] == [
            {"path": ["user_id"], "message": f"user {user_id} does not exist"}
        ]
        answers.add(_masked(response, user_id))
    assert len(answers) == 1  # one answer, whoever the id belongs to
    assert Membership.objects.count() == memberships
    assert AuditEvent.objects.count() == events


def test_a_visible_user_becomes_a_member_audited(
    two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    from pmo.core.models import AuditEvent
    from pmo.orgs.models import Membership

    globex = two_orgs["globex"]["org"]
    admin = make_user("g-admin", globex, "pmo_admin")
    viewer = make_user("g-viewer", globex, "executive_viewer")
    body = {"user_id": viewer.pk, "organisation_id": globex.pk, "role": "team_member"}
    response = api_for(admin).post("/memberships", body)
    assert response.status_code == 201, response.content
    row = Membership.objects.get(pk=response.json()["id"])
    event = AuditEvent.objects.get(object_type="orgs.membership", object_id=row.pk)
    assert (event.action, event.username, event.organisation_id) == ("create", "g-admin", globex.pk)
    assert event.changes["user_id"] == [None, viewer.pk]
    assert event.changes["role"] == [None, "team_member"]


def test_a_member_of_another_of_the_writers_organisations_is_visible(
    two_orgs: dict[str, Any], make_user: Any
) -> None:
    """Visibility is the writer's: an admin of globex who also belongs to acme sees acme's
    members and may add one to globex; an instance administrator sees every user."""
    from django.contrib.auth import get_user_model

    from pmo.core.access import Access
    from pmo.core.services import do_create
    from pmo.errors import ValidationFailed
    from pmo.orgs.models import Membership

    acme, globex = two_orgs["acme"]["org"], two_orgs["globex"]["org"]
    admin = make_user("both", globex, "pmo_admin")
    in_acme = make_user("acme-only", acme, "team_member")
    nowhere = make_user("no-org")
    data = {"organisation_id": globex.pk, "role": "team_member"}
    with pytest.raises(ValidationFailed) as exc:
        do_create(Access(admin), Membership, {**data, "user_id": in_acme.pk})
    assert [e.path for e in exc.value.errors] == [("user_id",)]
    Membership.objects.create(user=admin, organisation=acme, role="executive_viewer")
    do_create(Access(admin), Membership, {**data, "user_id": in_acme.pk})
    root = get_user_model().objects.create_superuser("root", password="pw-for-tests-only")
    do_create(Access(root), Membership, {**data, "user_id": nowhere.pk})
    members = Membership.objects.filter(organisation=globex).values_list("user_id", flat=True)
    assert {in_acme.pk, nowhere.pk} <= set(members)
