"""Unique business keys must not reveal another organisation's data.

A uniqueness check answers 409 when a value is taken; if the check spans the instance, that
answer tells whoever may set the value that *some other organisation* uses it. The analysis,
field by field (every ``unique=True`` and ``UniqueConstraint`` of ``src/pmo/*/models.py``):

- **Organisation.code** is unique across the instance on purpose: it is how the instance's
  operators name an organisation (``pmo user create --org CODE``, ``pmo export CODE``, the
  import of a whole organisation refuses a code in use); URLs and the API use ids. Creating
  an organisation is reserved to instance administrators (``Access.can_write`` grants no
  role on a row that has no organisation yet), who see every organisation anyway, so their
  409 reveals nothing. An organisation's PMO admin may edit the organisation (name, country,
  currency, default calendar) but not its code: that change is refused with the same 403
  whether the code is free or taken, before uniqueness is checked
  (``pmo.orgs.services.check_organisation``).
- **Every other business key** (project, portfolio, program, objective, resource, risk,
  issue, change request and decision codes; calendar and skill names; exchange rates) is
  unique per organisation (``UniqueConstraint(fields=["organisation", ...])``), and keys of
  child rows (baseline numbers, assignments, dependencies, timesheet entries, cost rates,
  EVM snapshots...) are unique within a parent that the service resolves inside the
  writer's own organisation. A 409 there is about the writer's own data.
- **ApiToken.digest** and **FeedSecret.user** are unique instance-wide but set by the
  server (a random token's hash; one secret per user), never by a user.

``test_every_unique_key_is_per_organisation`` keeps this true for models added later.
"""

from __future__ import annotations

from typing import Any

import pytest

# (model label, unique fields) that may span the instance, and why that leaks nothing.
INSTANCE_WIDE = {
    ("orgs.organisation", ("code",)): "set by instance administrators only",
    ("core.apitoken", ("digest",)): "the hash of a random token the server draws",
    ("core.feedsecret", ("user",)): "one row per user, written by the server",
}


def test_every_unique_key_is_per_organisation() -> None:
    from django.apps import apps

    from pmo.core.models import OrgScopedModel
    from pmo.core.services import _unique_sets
    from pmo.orgs.models import Organisation

    def within_an_organisation(model: Any, fields: tuple[str, ...]) -> bool:
        for name in fields:
            field = model._meta.get_field(name)
            target = getattr(field, "related_model", None)
            if name == "organisation" or (
                isinstance(target, type)
                and (issubclass(target, OrgScopedModel) or target is Organisation)
            ):
                return True
        return False

    seen = []
    for model in apps.get_models():
        if not model.__module__.startswith("pmo."):
            continue
        for fields in _unique_sets(model):
            key = (model._meta.label_lower, tuple(fields))
            seen.append(key)
            if key in INSTANCE_WIDE:
                continue
            assert within_an_organisation(model, tuple(fields)), (
                f"{key}: unique across organisations; a 409 would reveal another's data"
            )
    # The scan did see the keys it reasons about (it is not vacuous).
    assert set(INSTANCE_WIDE) <= set(seen)
    assert ("projects.project", ("organisation", "code")) in seen
    assert len(seen) >= 20


@pytest.fixture
def people(two_orgs: dict[str, Any], make_user: Any, api_for: Any) -> dict[str, Any]:
    acme = two_orgs["acme"]
    admin = make_user("acme-admin", acme["org"], "pmo_admin")
    root = make_user("root")
    root.is_superuser = True
    root.save()
    return {**acme, "admin": api_for(admin), "root": api_for(root), "globex": two_orgs["globex"]}


def _audited(org: Any) -> int:
    from pmo.core.models import AuditEvent

    return AuditEvent.objects.filter(object_type="orgs.organisation", object_id=org.pk).count()


def test_an_org_admin_cannot_probe_other_codes_by_renaming(people: dict[str, Any]) -> None:
    from pmo.orgs.models import Organisation

    org = people["org"]
    url = f"/organisations/{org.pk}"
    # "globex" is another organisation's code, "free-code" nobody's: the same 403 for both.
    taken = people["admin"].patch(url, {"code": "globex"}, If_Match='"1"')
    free = people["admin"].patch(url, {"code": "free-code"}, If_Match='"1"')
    assert taken.status_code == free.status_code == 403
    assert taken.json() == free.json()
    assert "instance administrator" in taken.json()["message"]
    assert "globex" not in taken.content.decode()
    assert Organisation.objects.get(pk=org.pk).code == "acme" and _audited(org) == 0
    # Creating an organisation is the operators' too, whatever the code.
    body = {"name": "X", "country": "FR", "currency": "EUR"}
    created = [
        people["admin"].post("/organisations", {**body, "code": c}) for c in ("globex", "new")
    ]
    assert [r.status_code for r in created] == [403, 403]
    assert created[0].json() == created[1].json()
    # The PMO admin still edits the rest of the organisation; sending the same code is fine.
    r = people["admin"].patch(url, {"name": "Acme Group", "code": "acme"}, If_Match='"1"')
    assert r.status_code == 200, r.content
    assert r.json()["name"] == "Acme Group" and _audited(org) == 1


def test_an_instance_administrator_renames_codes(people: dict[str, Any]) -> None:
    from pmo.core.models import AuditEvent

    org = people["org"]
    url = f"/organisations/{org.pk}"
    r = people["root"].patch(url, {"code": "globex"}, If_Match='"1"')
    assert r.status_code == 409 and r.json()["message"].startswith("code: ")
    r = people["root"].patch(url, {"code": "acme-group"}, If_Match='"1"')
    assert r.status_code == 200 and r.json()["code"] == "acme-group"
    event = AuditEvent.objects.get(object_type="orgs.organisation", object_id=org.pk)
    assert event.username == "root" and event.changes["code"] == ["acme", "acme-group"]


@pytest.mark.parametrize(
    ("path", "code", "extra"),
    [
        ("/portfolios", "globex-pf", {"currency": "EUR"}),
        ("/projects", "globex-1", {"currency": "EUR"}),
    ],
)
def test_business_codes_are_per_organisation(
    people: dict[str, Any], path: str, code: str, extra: dict[str, Any]
) -> None:
    """Another organisation's code is free here (201); a duplicate of one's own is a 409."""
    body: dict[str, Any] = {"code": code, "name": "n", **extra}
    if path == "/projects":
        body["portfolio_id"] = people["portfolio"].pk
    else:
        body["organisation_id"] = people["org"].pk
    r = people["admin"].post(path, body)
    assert r.status_code == 201, r.content
    r = people["admin"].post(path, body)
    assert r.status_code == 409 and "already exists" in r.json()["message"]
