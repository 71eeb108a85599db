"""Shared view helpers: the audit trail page, error pages, form helpers, the admin."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from pmo.core.access import Access
from pmo.core.services import do_update
from pmo.errors import FieldError, ValidationFailed
from pmo.web.forms import minutes_to_days

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return response.content.decode()


def test_history_is_scoped_to_the_users_organisations(
    client: Client, two_orgs: Any, make_user: Any
) -> None:
    acme, globex = two_orgs["acme"], two_orgs["globex"]
    admin_g = make_user("g-admin", globex["org"])
    portfolio = globex["portfolio"]
    do_update(Access(admin_g), portfolio, {"name": "Renamed portfolio"}, portfolio.version)
    client.force_login(admin_g)
    url = f"/history/portfolio.portfolio/{portfolio.pk}/"
    html = _text(client.get(url))
    assert "Renamed portfolio" in html and "g-admin" in html
    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert "<html" not in _text(partial) and "Renamed portfolio" in _text(partial)
    client.force_login(make_user("a-admin", acme["org"]))
    assert client.get(url).status_code == 404
    assert client.get("/history/nothing.here/1/").status_code == 404


def test_error_pages_for_htmx_are_fragments(client: Client, two_orgs: Any, login_as: Any) -> None:
    login_as(two_orgs["acme"]["org"])
    response = client.get(f"/projects/{two_orgs['globex']['project'].pk}/", HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert "<html" not in _text(response) and "not a member of" in _text(response)


def test_minutes_to_days() -> None:
    assert minutes_to_days(960, 480) == Decimal(2)
    assert str(minutes_to_days(48000, 480)) == "100"
    assert str(minutes_to_days(240, 480)) == "0.5"
    assert str(minutes_to_days(100, 480)) == "0.21"
    assert minutes_to_days(None, 480) is None


def test_service_errors_map_to_fields_or_the_form() -> None:
    from pmo.risks.views import RiskForm

    form = RiskForm(data={}, organisation_id=None, project=None)  # type: ignore[arg-type]
    form.is_valid()
    form.add_service_errors(
        ValidationFailed([FieldError(("owner_id",), "not a member"), FieldError((), "whole form")])
    )
    assert "not a member" in form.errors["owner"]
    assert "whole form" in form.non_field_errors()


def test_admin_pages_of_reference_data(client: Client, two_orgs: Any) -> None:
    from django.contrib.auth import get_user_model

    from pmo.core.models import AuditEvent
    from pmo.orgs.models import Calendar

    root = get_user_model().objects.create_superuser(
        "root", "root@example.org", "pw-for-tests-only"
    )
    client.force_login(root)
    for url in [
        "/admin/",
        "/admin/orgs/organisation/",
        "/admin/orgs/membership/",
        "/admin/orgs/calendar/",
        f"/admin/orgs/calendar/{two_orgs['acme']['calendar'].pk}/change/",
        "/admin/resources/skill/",
        "/admin/resources/resource/",
        "/admin/finance/exchangerate/",
        "/admin/portfolio/portfolio/",
        "/admin/projects/project/",
        "/admin/risks/risk/",
        "/admin/governance/lessonlearned/",
        "/admin/core/auditevent/",
        "/admin/core/apitoken/",
    ]:
        assert client.get(url).status_code == 200, url
    calendar = two_orgs["acme"]["calendar"]
    response = client.post(
        f"/admin/orgs/calendar/{calendar.pk}/change/",
        {
            "organisation": calendar.organisation_id,
            "name": "Standard FR",
            "country": "FR",
            "working_week": json.dumps([[[480, 720], [780, 1020]]] * 5 + [[], []]),
            "minutes_per_day": 480,
            "minutes_per_week": 2400,
            "exceptions-TOTAL_FORMS": 1,
            "exceptions-INITIAL_FORMS": 0,
            "exceptions-0-name": "Bastille Day",
            "exceptions-0-start_date": "2026-07-14",
            "exceptions-0-end_date": "2026-07-14",
            "exceptions-0-working_intervals": "[]",
            "exceptions-0-is_public_holiday": "on",
        },
    )
    assert response.status_code == 302, _text(response)[:3000]
    calendar = Calendar.objects.get(pk=calendar.pk)
    assert (calendar.name, calendar.version) == ("Standard FR", 2)
    exception = calendar.exceptions.get()
    assert exception.organisation_id == calendar.organisation_id
    assert AuditEvent.objects.filter(
        object_type="orgs.calendar", object_id=calendar.pk, action="update"
    ).exists()
    assert AuditEvent.objects.filter(
        object_type="orgs.calendarexception", object_id=exception.pk, action="create"
    ).exists()
