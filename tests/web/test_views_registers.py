"""Risks, issues, change requests and decisions: tabs, new and edit forms, audit trail."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from pmo.core.models import AuditEvent
from pmo.governance.models import ChangeRequest, Decision
from pmo.risks.models import Issue, Risk

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return response.content.decode()


CASES = [
    (
        "risks",
        Risk,
        {
            "title": "Supplier late",
            "probability": 4,
            "impact": 5,
            "state": "open",
            "response": "mitigate",
            "cost_impact_min": "0",
            "cost_impact_likely": "1000",
            "cost_impact_max": "5000",
            "schedule_impact_days_min": 0,
            "schedule_impact_days_likely": 5,
            "schedule_impact_days_max": 10,
        },
    ),
    ("issues", Issue, {"title": "Server down", "priority": "high", "state": "open"}),
    (
        "changes",
        ChangeRequest,
        {
            "title": "Add reporting",
            "state": "submitted",
            "cost_impact": "2500",
            "schedule_impact_days": 3,
        },
    ),
    (
        "decisions",
        Decision,
        {
            "title": "Use vendor B",
            "state": "made",
            "decided_on": "2026-02-01",
            "decided_by": "Board",
        },
    ),
]
NEW = {"risks": "risks", "issues": "issues", "changes": "changes", "decisions": "decisions"}
EDIT = {"risks": "risks", "issues": "issues", "changes": "changes", "decisions": "decisions"}


@pytest.mark.parametrize(("tab", "model", "data"), CASES, ids=[c[0] for c in CASES])
def test_create_list_and_edit(
    client: Client, two_orgs: Any, login_as: Any, tab: str, model: Any, data: dict[str, Any]
) -> None:
    acme = two_orgs["acme"]
    user = login_as(acme["org"])
    project = acme["project"]
    new_url = f"/projects/{project.pk}/{tab}/new/"
    form = _text(client.get(new_url))
    code = re.search(r'name="code" value="([^"]+)"', form)[1]
    assert code.startswith("acme-1-")
    response = client.post(new_url, {"code": code, **data})
    assert response.status_code == 302, _text(response)
    suffix = f"?tab={tab}"
    assert response["Location"] == f"/projects/{project.pk}/{suffix}"
    obj = model.objects.get(code=code)
    assert obj.project_id == project.pk and obj.organisation_id == acme["org"].pk
    listing = _text(client.get(f"/projects/{project.pk}/{suffix}"))
    assert data["title"] in listing
    edit_url = re.search(rf'href="(/{tab}/{obj.pk}/edit/)"', listing)[1]
    page = _text(client.get(edit_url))
    assert f'name="version" value="{obj.version}"' in page
    response = client.post(
        edit_url, {"code": code, **data, "title": "Renamed", "version": obj.version}
    )
    assert response.status_code == 302
    obj.refresh_from_db()
    assert (obj.title, obj.version) == ("Renamed", 2)
    history = _text(client.get(edit_url))
    history = history[history.index('id="history"') :]
    assert "Renamed" in history and data["title"] in history and user.username in history
    # stale
    response = client.post(edit_url, {"code": code, **data, "title": "Late", "version": 1})
    assert response.status_code == 409
    assert "was changed by someone else since you opened it" in _text(response)
    assert model.objects.get(pk=obj.pk).title == "Renamed"
    assert (
        AuditEvent.objects.filter(object_id=obj.pk, object_type=model._meta.label_lower).count()
        == 2
    )


def test_risk_scores_are_coloured(client: Client, two_orgs: Any, login_as: Any) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"])
    for code, p, i in [("R1", 1, 2), ("R2", 2, 4), ("R3", 5, 4)]:
        Risk.objects.create(
            organisation=acme["org"],
            project=acme["project"],
            code=code,
            title=code,
            probability=p,
            impact=i,
        )
    html = _text(client.get(f"/projects/{acme['project'].pk}/?tab=risks"))
    assert re.search(r'score-low"[^>]*>1×2 = 2<', html)
    assert re.search(r'score-medium"[^>]*>2×4 = 8<', html)
    assert re.search(r'score-high"[^>]*>5×4 = 20<', html)


def test_risk_validation_shows_next_to_the_field(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"])
    response = client.post(
        f"/projects/{acme['project'].pk}/risks/new/",
        {
            "code": "R9",
            "title": "Bad",
            "probability": 7,
            "impact": 3,
            "state": "open",
            "response": "accept",
        },
    )
    assert response.status_code == 422
    assert re.search(r'id="id_probability_errors"><li>[^<]*5', _text(response))
    assert not Risk.objects.filter(code="R9").exists()


def test_owner_and_task_choices_are_of_the_organisation(
    client: Client, two_orgs: Any, login_as: Any, make_user: Any
) -> None:
    acme, globex = two_orgs["acme"], two_orgs["globex"]
    login_as(acme["org"])
    outsider = make_user("outsider", globex["org"])
    html = _text(client.get(f"/projects/{acme['project'].pk}/risks/new/"))
    owner = re.search(r'<select name="owner".*?</select>', html, re.S)[0]
    assert "outsider" not in owner
    task = re.search(r'<select name="task".*?</select>', html, re.S)[0]
    assert (
        f'value="{globex["tasks"][0].pk}"' not in task and f'value="{acme["tasks"][0].pk}"' in task
    )
    response = client.post(
        f"/projects/{acme['project'].pk}/risks/new/",
        {
            "code": "R8",
            "title": "x",
            "probability": 1,
            "impact": 1,
            "state": "open",
            "response": "accept",
            "owner": outsider.pk,
        },
    )
    assert response.status_code == 422
    assert not Risk.objects.filter(code="R8").exists()


def test_team_member_may_log_issues_but_not_decisions(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"], role="team_member")
    project = acme["project"]
    assert client.get(f"/projects/{project.pk}/issues/new/").status_code == 200
    response = client.get(f"/projects/{project.pk}/decisions/new/")
    assert response.status_code == 403
    assert "You may not change this decision with your role" in _text(response)
    tab = _text(client.get(f"/projects/{project.pk}/?tab=decisions"))
    assert "New decision" not in tab


def test_other_organisations_register_entries_are_404(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    globex = two_orgs["globex"]
    risk = Risk.objects.create(
        organisation=globex["org"], project=globex["project"], code="G1", title="g"
    )
    login_as(two_orgs["acme"]["org"])
    assert client.get(f"/risks/{risk.pk}/edit/").status_code == 404
    assert client.get(f"/projects/{globex['project'].pk}/risks/new/").status_code == 404
