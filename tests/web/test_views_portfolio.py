"""Portfolio and program pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from pmo.projects.models import Project

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return response.content.decode()


def test_portfolio_lists_programs_projects_and_counts(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"])
    Project.objects.create(
        organisation=acme["org"],
        portfolio=acme["portfolio"],
        code="acme-loose",
        name="Loose one",
        currency="EUR",
        status="at_risk",
    )
    home = _text(client.get("/"))
    assert f'href="/portfolios/{acme["portfolio"].pk}/"' in home
    response = client.get(f"/portfolios/{acme['portfolio'].pk}/")
    assert response.status_code == 200
    html = _text(response)
    assert f'href="/programs/{acme["program"].pk}/"' in html
    assert f'href="/projects/{acme["project"].pk}/"' in html
    section = html[html.index("Projects without a program") :]
    assert "Loose one" in section
    assert re.search(r'status-on_track">1 on track<', html)
    assert re.search(r'status-at_risk">1 at risk<', html)
    assert "2 projects in 1 program" in html
    assert "New project" in html
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S)[0]
    assert "Acme" in crumbs and "acme portfolio" in crumbs


def test_program_table(client: Client, two_orgs: Any, login_as: Any) -> None:
    acme = two_orgs["acme"]
    manager = login_as(acme["org"])
    project = acme["project"]
    Project.objects.filter(pk=project.pk).update(
        budget=1234567, manager=manager, phase="execution", planned_start="2026-01-05"
    )
    html = _text(client.get(f"/programs/{acme['program'].pk}/"))
    row = re.search(r"<tbody>.*?</tbody>", html, re.S)[0]
    for text in [
        "acme-1",
        "acme project",
        "Execution",
        "On track",
        "500",
        "2026-01-05",
        "1,234,567 EUR",
        manager.username,
    ]:
        assert text in row, text
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S)[0]
    assert "acme portfolio" in crumbs and "acme program" in crumbs


def test_other_organisation_is_404(client: Client, two_orgs: Any, login_as: Any) -> None:
    login_as(two_orgs["acme"]["org"])
    globex = two_orgs["globex"]
    assert client.get(f"/portfolios/{globex['portfolio'].pk}/").status_code == 404
    assert client.get(f"/programs/{globex['program'].pk}/").status_code == 404


def test_viewer_sees_no_new_project_button(client: Client, two_orgs: Any, login_as: Any) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"], role="executive_viewer")
    html = _text(client.get(f"/portfolios/{acme['portfolio'].pk}/"))
    assert "New project" not in html
    response = client.get(f"/projects/new/?portfolio={acme['portfolio'].pk}")
    assert response.status_code == 403


def test_the_organisation_of_the_page_becomes_the_current_one(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    from pmo.orgs.models import Membership

    acme, globex = two_orgs["acme"], two_orgs["globex"]
    user = login_as(acme["org"])
    Membership.objects.create(user=user, organisation=globex["org"], role="executive_viewer")
    client.post("/switch-organisation/", {"organisation": acme["org"].pk})
    html = _text(client.get(f"/portfolios/{globex['portfolio'].pk}/"))
    assert re.search(rf'<option value="{globex["org"].pk}" selected>', html)
    assert "globex portfolio" in _text(client.get("/"))
