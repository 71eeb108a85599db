"""Public holidays seeded onto working calendars from the ``holidays`` package."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.errors import NotFound, PermissionDenied, ValidationFailed
from pmo.orgs.holidays import (
    do_seed_public_holidays,
    holiday_exceptions,
    public_holidays,
    seed_public_holidays,
)
from pmo.orgs.models import Calendar, CalendarException


def _days(calendar: Calendar) -> dict[dt.date, CalendarException]:
    return {e.start_date: e for e in CalendarException.objects.filter(calendar=calendar)}


def test_france_has_bastille_day_and_labour_day_off(two_orgs: dict[str, Any], make_user: Any):
    acme = two_orgs["acme"]
    admin = make_user("acme-admin", acme["org"], "pmo_admin")
    created = do_seed_public_holidays(Access(admin), acme["calendar"], range(2025, 2029))
    days = _days(acme["calendar"])
    for day in (dt.date(2026, 7, 14), dt.date(2026, 5, 1), dt.date(2028, 12, 25)):
        row = days[day]
        assert row.is_public_holiday
        assert row.working_intervals == []  # not working
        assert row.end_date == row.start_date
        assert row.organisation_id == acme["org"].pk
    assert days[dt.date(2026, 7, 14)].name == "Fête nationale"
    assert dt.date(2026, 7, 13) not in days
    assert len(created) == len(days) == 11 * 4
    # One audit event per row, by the writer.
    events = AuditEvent.objects.filter(object_type="orgs.calendarexception", username="acme-admin")
    assert events.count() == len(created)
    assert {e.object_id for e in events} == {r.pk for r in created}
    assert all(e.organisation_id == acme["org"].pk for e in events)


def test_seeding_is_idempotent(two_orgs: dict[str, Any], make_user: Any):
    acme = two_orgs["acme"]
    access = Access(make_user("acme-admin", acme["org"], "pmo_admin"))
    first = do_seed_public_holidays(access, acme["calendar"], [2026])
    again = do_seed_public_holidays(access, acme["calendar"], [2025, 2026])
    assert len(first) == 11
    assert {r.start_date.year for r in again} == {2025}
    assert CalendarException.objects.filter(calendar=acme["calendar"]).count() == 22


def test_the_uk_calendar_gets_uk_holidays(two_orgs: dict[str, Any], make_user: Any):
    globex = two_orgs["globex"]
    access = Access(make_user("globex-admin", globex["org"], "pmo_admin"))
    do_seed_public_holidays(access, globex["calendar"], [2026])
    days = _days(globex["calendar"])
    assert days[dt.date(2026, 12, 25)].name == "Christmas Day"
    assert dt.date(2026, 7, 14) not in days


def test_only_a_pmo_admin_of_the_organisation_may_seed(two_orgs: dict[str, Any], make_user: Any):
    acme, globex = two_orgs["acme"], two_orgs["globex"]
    pm = make_user("acme-pm", acme["org"], "project_manager")
    with pytest.raises(PermissionDenied):
        do_seed_public_holidays(Access(pm), acme["calendar"], [2026])
    outsider = make_user("globex-admin", globex["org"], "pmo_admin")
    with pytest.raises(NotFound):
        do_seed_public_holidays(Access(outsider), acme["calendar"], [2026])
    assert not CalendarException.objects.exists()


def test_bad_country_and_years_are_reported(two_orgs: dict[str, Any], make_user: Any):
    acme = two_orgs["acme"]
    access = Access(make_user("acme-admin", acme["org"], "pmo_admin"))
    with pytest.raises(ValidationFailed) as info:
        public_holidays("XX", [2026])
    assert info.value.errors[0].path == ("country",)
    with pytest.raises(ValidationFailed) as info:
        do_seed_public_holidays(access, acme["calendar"], [])
    assert info.value.errors[0].path == ("years",)
    with pytest.raises(ValidationFailed):
        do_seed_public_holidays(access, acme["calendar"], [1800])
    with pytest.raises(ValidationFailed) as info:
        public_holidays("GB", [2026], subdivision="XYZ")
    assert info.value.errors[0].path == ("subdivision",)


def test_a_calendar_without_country_uses_the_organisation_country(two_orgs: dict[str, Any]):
    acme = two_orgs["acme"]
    calendar = Calendar.objects.create(organisation=acme["org"], name="Night shift")
    rows = seed_public_holidays(calendar, [2026])
    assert dt.date(2026, 7, 14) in {r.start_date for r in rows}


def test_subdivisions_and_languages(two_orgs: dict[str, Any]):
    scotland = dict(public_holidays("GB", [2026], subdivision="SCT"))
    assert dt.date(2026, 11, 30) in scotland  # St Andrew's Day
    english = dict(public_holidays("FR", [2026], language="en_US"))
    assert english[dt.date(2026, 7, 14)] == "National Day"
    unsaved = holiday_exceptions(two_orgs["acme"]["calendar"], [2026])
    assert all(r.pk is None for r in unsaved)
    assert not CalendarException.objects.exists()


def test_seeding_reschedules_the_calendar_s_projects(two_orgs: dict[str, Any], make_user: Any):
    from pmo.projects.models import Task

    acme = two_orgs["acme"]
    project = acme["project"]
    project.planned_start = dt.date(2026, 7, 13)  # Monday; the 14th is Bastille Day
    project.save()
    access = Access(make_user("acme-admin", acme["org"], "pmo_admin"))
    do_seed_public_holidays(access, acme["calendar"], [2026])
    design, build = (Task.objects.get(pk=t.pk) for t in acme["tasks"])
    assert design.early_start is not None and build.early_start is not None
    assert design.early_start.date() == dt.date(2026, 7, 13)
    assert build.early_start.date() == dt.date(2026, 7, 15)  # the 14th is skipped
