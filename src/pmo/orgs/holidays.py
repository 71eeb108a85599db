"""Public holidays on working calendars, from the ``holidays`` package.

A calendar's public holidays are ``CalendarException`` rows: non-working
(``working_intervals == []``), one day each, ``is_public_holiday=True``. Seeding is
idempotent: a day that already has a public-holiday exception on the calendar is skipped,
so seeding 2025-2028 after 2025-2026 only adds 2027 and 2028.

- ``do_seed_public_holidays(access, calendar, years)``: for the UI and the API; checks the
  writer may change the calendar and records an audit event per row created.
- ``seed_public_holidays(calendar, years)``: for bulk loaders (demo, import) that run their
  own transaction and record their own audit events.
- ``holiday_exceptions(calendar, years)``: the unsaved rows, for loaders that
  ``bulk_create`` many calendars' rows at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import holidays as holidays_lib
from django.db import transaction

from pmo.core import services
from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.core.services import record, snapshot
from pmo.errors import ValidationFailed
from pmo.orgs.models import Calendar, CalendarException, Organisation

MIN_YEAR = 1950
MAX_YEAR = 2100
MAX_YEARS = 50


def supported_countries() -> dict[str, list[str]]:
    """ISO 3166 alpha-2 codes the ``holidays`` package knows, with their subdivisions."""
    return {
        code: list(subdivs) for code, subdivs in holidays_lib.list_supported_countries().items()
    }


def _check_years(years: Iterable[int]) -> list[int]:
    out = sorted(set(years))
    if not out:
        raise ValidationFailed.field("years", "give at least one year")
    bad = [y for y in out if isinstance(y, bool) or not isinstance(y, int)]
    if bad:
        raise ValidationFailed.field("years", f"not a year: {bad[0]!r}")
    if out[0] < MIN_YEAR or out[-1] > MAX_YEAR:
        raise ValidationFailed.field("years", f"years must lie within {MIN_YEAR}-{MAX_YEAR}")
    if len(out) > MAX_YEARS:
        raise ValidationFailed.field("years", f"at most {MAX_YEARS} years at once")
    return out


def _country_of(calendar: Calendar) -> str:
    country = calendar.country
    if not country and calendar.organisation_id:
        country = (
            Organisation.objects.filter(pk=calendar.organisation_id)
            .values_list("country", flat=True)
            .first()
            or ""
        )
    if not country:
        raise ValidationFailed.field(
            "country", "the calendar has no country to take public holidays from"
        )
    return country


def public_holidays(
    country: str,
    years: Iterable[int],
    *,
    subdivision: str | None = None,
    language: str | None = None,
) -> list[tuple[dt.date, str]]:
    """The public holidays of ``country`` (ISO alpha-2) in ``years``, by date.

    Two holidays on one day come as one entry, their names joined with "; ".
    """
    year_list = _check_years(years)
    code = country.upper()
    supported = holidays_lib.list_supported_countries()
    if code not in supported:
        raise ValidationFailed.field("country", f"no public holiday data for country {country!r}")
    if subdivision is not None and subdivision not in supported[code]:
        raise ValidationFailed.field("subdivision", f"{country} has no subdivision {subdivision!r}")
    found = holidays_lib.country_holidays(
        code, subdiv=subdivision, years=year_list, language=language
    )
    return sorted((day, str(name)) for day, name in found.items())


def holiday_exceptions(
    calendar: Calendar,
    years: Iterable[int],
    *,
    subdivision: str | None = None,
    language: str | None = None,
    skip: Iterable[dt.date] = (),
) -> list[CalendarException]:
    """Unsaved non-working public-holiday rows for ``calendar`` (skipping ``skip`` days)."""
    skipped = set(skip)
    return [
        CalendarException(
            organisation_id=calendar.organisation_id,
            calendar=calendar,
            name=name[:200],
            start_date=day,
            end_date=day,
            working_intervals=[],
            is_public_holiday=True,
        )
        for day, name in public_holidays(
            _country_of(calendar), years, subdivision=subdivision, language=language
        )
        if day not in skipped
    ]


def _existing_holiday_days(calendar: Calendar) -> set[dt.date]:
    if calendar.pk is None:
        return set()
    days: set[dt.date] = set()
    for start, end in CalendarException.objects.filter(
        calendar=calendar, is_public_holiday=True
    ).values_list("start_date", "end_date"):
        day = start
        while day <= end:
            days.add(day)
            day += dt.timedelta(days=1)
    return days


def seed_public_holidays(
    calendar: Calendar,
    years: Iterable[int],
    *,
    subdivision: str | None = None,
    language: str | None = None,
) -> list[CalendarException]:
    """Bulk variant for loaders: add the missing public holidays, no checks, no audit.

    The caller owns the transaction and the audit trail. Returns the rows created.
    """
    rows = holiday_exceptions(
        calendar,
        years,
        subdivision=subdivision,
        language=language,
        skip=_existing_holiday_days(calendar),
    )
    return CalendarException.objects.bulk_create(rows)


@transaction.atomic
def do_seed_public_holidays(
    access: Access,
    calendar: Calendar,
    years: Iterable[int],
    *,
    subdivision: str | None = None,
    language: str | None = None,
) -> list[CalendarException]:
    """Add ``calendar``'s country's public holidays for ``years`` as non-working days.

    Days that already carry a public holiday are left alone. The writer must be allowed to
    change the calendar (a PMO admin of its organisation); every row created is audited.
    """
    access.check_visible(calendar)
    access.check_write(CalendarException(organisation_id=calendar.organisation_id))
    # Lock the calendar so two concurrent seeds cannot add the same day twice.
    Calendar.objects.select_for_update().filter(pk=calendar.pk).first()
    created = seed_public_holidays(calendar, years, subdivision=subdivision, language=language)
    for row in created:
        changes = {k: [None, v] for k, v in snapshot(row).items()}
        record(access, AuditEvent.Action.CREATE, row, changes)
    if created:
        # The domains' after-write hooks act per calendar (rescheduling the projects that use
        # it): run them once for the whole batch, not once per holiday.
        services._run_after(access, created[0], AuditEvent.Action.CREATE, {})
    return created
