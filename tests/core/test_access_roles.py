"""Access rules: who sees and who changes what."""

from __future__ import annotations

from typing import Any

import pytest

from pmo.errors import NotAuthenticated, NotFound


def test_anonymous_users_have_no_access() -> None:
    from django.contrib.auth.models import AnonymousUser

    from pmo.core.access import Access

    with pytest.raises(NotAuthenticated):
        Access(AnonymousUser())


@pytest.mark.parametrize(
    ("role", "writable"),
    [
        ("pmo_admin", {"org", "calendar", "portfolio", "project", "task", "risk", "skill"}),
        ("portfolio_manager", {"portfolio", "project", "task", "risk", "skill"}),
        ("project_manager", {"project", "task", "risk"}),
        ("team_member", {"task", "risk"}),
        ("executive_viewer", set()),
    ],
)
def test_what_each_organisation_wide_role_may_change(
    two_orgs: dict[str, Any], make_user: Any, role: str, writable: set[str]
) -> None:
    from pmo.core.access import Access
    from pmo.resources.models import Skill
    from pmo.risks.models import Risk

    acme = two_orgs["acme"]
    skill = Skill.objects.create(organisation=acme["org"], name="s")
    risk = Risk.objects.create(
        organisation=acme["org"], project=acme["project"], code="R", title="t"
    )
    objects = {
        "org": acme["org"],
        "calendar": acme["calendar"],
        "portfolio": acme["portfolio"],
        "project": acme["project"],
        "task": acme["tasks"][0],
        "risk": risk,
        "skill": skill,
    }
    access = Access(make_user("u", acme["org"], role))
    assert {k for k, obj in objects.items() if access.can_write(obj)} == writable
    # Nothing of the other organisation, whatever the role.
    globex = two_orgs["globex"]
    assert not any(
        access.can_write(o) for o in (globex["org"], globex["project"], globex["tasks"][0])
    )


def test_scoped_memberships_cover_only_what_lies_under_them(
    two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.core.access import Access
    from pmo.portfolio.models import Portfolio
    from pmo.projects.models import Project, Task

    acme = two_orgs["acme"]
    org = acme["org"]
    other_pf = Portfolio.objects.create(organisation=org, code="pf2", name="n", currency="EUR")
    sibling = Project.objects.create(
        organisation=org, portfolio=acme["portfolio"], code="P2", name="n", currency="EUR"
    )
    elsewhere = Project.objects.create(
        organisation=org, portfolio=other_pf, code="P3", name="n", currency="EUR"
    )
    task_elsewhere = Task.objects.create(organisation=org, project=elsewhere, name="t")

    pm = Access(make_user("pm", org, "project_manager", project=acme["project"]))
    assert pm.can_write(acme["project"]) and pm.can_write(acme["tasks"][0])
    assert not pm.can_write(sibling) and not pm.can_write(acme["portfolio"])

    pfm = Access(make_user("pfm", org, "portfolio_manager", portfolio=acme["portfolio"]))
    assert pfm.can_write(acme["portfolio"]) and pfm.can_write(sibling)
    assert not pfm.can_write(other_pf) and not pfm.can_write(task_elsewhere)
    # A new project in its portfolio: yes; a new portfolio: no.
    assert pfm.can_write(Project(organisation=org, portfolio=acme["portfolio"]))
    assert not pfm.can_write(Portfolio(organisation=org))
    # Reading is per organisation, whatever the scope.
    assert set(pm.scoped(Project.objects.all())) == {acme["project"], sibling, elsewhere}


def test_other_organisations_do_not_exist(two_orgs: dict[str, Any], make_user: Any) -> None:
    from pmo.core.access import Access
    from pmo.projects.models import Task

    access = Access(make_user("u", two_orgs["acme"]["org"]))
    theirs = two_orgs["globex"]["tasks"][0]
    with pytest.raises(NotFound):
        access.get(Task.objects.all(), theirs.pk)
    with pytest.raises(NotFound):
        access.check_visible(theirs)
    with pytest.raises(NotFound):
        access.get(Task.objects.all(), "not-a-number")
    assert theirs not in access.scoped(Task.objects.all())


def test_superusers_see_and_change_everything(two_orgs: dict[str, Any]) -> None:
    from django.contrib.auth import get_user_model

    from pmo.core.access import Access
    from pmo.projects.models import Task

    root = get_user_model().objects.create_superuser("root", password="pw-for-tests-only")
    access = Access(root)
    assert access.scoped(Task.objects.all()).count() == 4
    assert access.can_write(two_orgs["globex"]["org"])
