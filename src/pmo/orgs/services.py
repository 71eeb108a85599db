"""Checks for organisations, memberships, calendars and calendar exceptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmo.core.access import Access
from pmo.core.services import checks
from pmo.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from pmo.orgs.models import Calendar, CalendarException, Membership, Organisation

DAY_MINUTES = 1440


def interval_errors(intervals: Any, path: tuple[str | int, ...]) -> list[FieldError]:
    """Problems of a day's ``[[start, end], ...]`` working intervals, each with its path."""
    if not isinstance(intervals, list):
        return [FieldError(path, "expected a list of [start_minute, end_minute] intervals")]
    errors: list[FieldError] = []
    last_end = -1
    for i, interval in enumerate(intervals):
        where = (*path, i)
        if (
            not isinstance(interval, list | tuple)
            or len(interval) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in interval)
        ):
            errors.append(FieldError(where, "each interval is [start_minute, end_minute]"))
            continue
        start, end = interval
        if not 0 <= start < end <= DAY_MINUTES:
            errors.append(
                FieldError(where, f"[{start}, {end}]: need 0 ≤ start < end ≤ {DAY_MINUTES}")
            )
        elif start < last_end:
            errors.append(FieldError(where, f"[{start}, {end}] overlaps the previous interval"))
        else:
            last_end = end
    return errors


CODE_CHANGE_DENIED = (
    "only an instance administrator may change an organisation's code: it names the "
    "organisation across the whole instance (the CLI's --org option, exports and imports)"
)


@checks(Organisation)
def check_organisation(access: Access, obj: Organisation, data: Mapping[str, Any]) -> None:
    """The code is changed by instance administrators only; the default calendar is one of
    the organisation's own calendars.

    The code is unique across the instance, not per organisation, because it is how the
    instance's operators name an organisation (``pmo user create --org CODE``, ``pmo export
    CODE``, the import of an organisation). Creating an organisation is already reserved to
    them (``Access.can_write`` has no grant for a row without an organisation). If an
    organisation's own PMO admin could rename the code, the 409 of the uniqueness check
    would tell them which codes other organisations use: the change is refused with the
    same 403 whether the new code is free or taken, before uniqueness is checked.
    """
    if obj.pk is not None and not access.is_superuser:
        stored = Organisation.objects.filter(pk=obj.pk).values_list("code", flat=True).first()
        if stored is not None and obj.code != stored:
            raise PermissionDenied(CODE_CHANGE_DENIED)
    if obj.default_calendar_id is None:
        return
    if obj.pk is None or obj.default_calendar.organisation_id != obj.pk:  # type: ignore[union-attr]
        raise ValidationFailed.field(
            "default_calendar_id", f"calendar {obj.default_calendar_id} does not exist"
        )


@checks(Membership)
def check_membership(access: Access, obj: Membership, data: Mapping[str, Any]) -> None:
    """Scope inside the organisation; one membership per user, role and scope."""
    errors: list[FieldError] = []
    if obj.portfolio_id is not None and obj.portfolio.organisation_id != obj.organisation_id:  # type: ignore[union-attr]
        errors.append(FieldError(("portfolio_id",), "belongs to another organisation"))
    if obj.project_id is not None:
        project = obj.project
        assert project is not None
        if project.organisation_id != obj.organisation_id:
            errors.append(FieldError(("project_id",), "belongs to another organisation"))
        elif obj.portfolio_id is not None and project.portfolio_id != obj.portfolio_id:
            errors.append(FieldError(("project_id",), f"is not in portfolio {obj.portfolio_id}"))
    if errors:
        raise ValidationFailed(errors)
    # NULLs must compare equal here, which a database unique constraint would not do.
    scope: dict[str, Any] = {"portfolio_id": obj.portfolio_id, "project_id": obj.project_id}
    same = Membership.objects.filter(
        user_id=obj.user_id, organisation_id=obj.organisation_id, role=obj.role, **scope
    )
    if obj.pk is not None:
        same = same.exclude(pk=obj.pk)
    if same.exists():
        raise Conflict(
            "user_id, role: this user already has this role in this organisation, "
            "portfolio or project"
        )


@checks(Calendar, validates=("working_week",))
def check_calendar(access: Access, obj: Calendar, data: Mapping[str, Any]) -> None:
    """Seven days, Monday first, each with ordered intervals inside the day."""
    week = obj.working_week
    if not isinstance(week, list) or len(week) != 7:
        raise ValidationFailed.field("working_week", "list 7 days, Monday first")
    errors: list[FieldError] = []
    for d, day in enumerate(week):
        errors.extend(interval_errors(day, ("working_week", d)))
    if errors:
        raise ValidationFailed(errors)


@checks(CalendarException, validates=("working_intervals",))
def check_calendar_exception(
    access: Access, obj: CalendarException, data: Mapping[str, Any]
) -> None:
    """End on or after start (the model's ``clean``); intervals well-formed."""
    errors = interval_errors(obj.working_intervals, ("working_intervals",))
    if errors:
        raise ValidationFailed(errors)
