"""Checks for budget lines, cost lines, exchange rates, timesheet entries and EVM snapshots.

The finance services live in their own modules: ``rates`` (resource and exchange rates on a
date), ``costs`` (time-phased planned and actual cost), ``evm`` (earned value, snapshots,
budget monitoring), ``timesheets`` (booking, submission, approval and its effects),
``cost_import`` (cost lines from CSV/XLSX). Importing this module registers their checks and
hooks with ``pmo.core.services``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pmo.core.access import Access
from pmo.core.services import checks
from pmo.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from pmo.finance.models import (
    IMMUTABLE_MESSAGE,
    BudgetLine,
    CostLine,
    EvmSnapshot,
    ExchangeRate,
    TimesheetEntry,
)
from pmo.finance.timesheets import check_booking, check_transition
from pmo.portfolio.services import check_hierarchy

HOURS_PER_WEEK = Decimal(168)


@checks(BudgetLine)
def check_budget_line(access: Access, obj: BudgetLine, data: Mapping[str, Any]) -> None:
    check_hierarchy(obj, require_one=True)
    if obj.month and obj.month.day != 1:
        raise ValidationFailed.field("month", "give the first day of the month")


@checks(CostLine)
def check_cost_line(access: Access, obj: CostLine, data: Mapping[str, Any]) -> None:
    check_hierarchy(obj)


@checks(ExchangeRate)
def check_exchange_rate(access: Access, obj: ExchangeRate, data: Mapping[str, Any]) -> None:
    if obj.currency and obj.currency == obj.to_currency:
        raise ValidationFailed.field("to_currency", "must differ from currency")


REVIEWER_SET_BY_REVIEW = (
    "set by the approve or reject action to the user who reviews the entry; it cannot be given"
)


@checks(TimesheetEntry)
def check_timesheet_entry(access: Access, obj: TimesheetEntry, data: Mapping[str, Any]) -> None:
    # The reviewer is stamped by the state machine from the acting user
    # (``check_transition``); whoever writes (the API, a page, a loader through the
    # services) cannot name one, or a manager could approve in someone else's name.
    if "reviewed_by_id" in data or "reviewed_by" in data:
        raise ValidationFailed.field("reviewed_by_id", REVIEWER_SET_BY_REVIEW)
    errors: list[FieldError] = []
    if obj.week_start and obj.week_start.weekday() != 0:
        errors.append(
            FieldError(("week_start",), f"{obj.week_start} is a {obj.week_start:%A}, not a Monday")
        )
    if obj.hours is not None and obj.hours > HOURS_PER_WEEK:
        errors.append(FieldError(("hours",), f"a week has {HOURS_PER_WEEK} hours"))
    if obj.resource.organisation_id != obj.task.organisation_id:
        errors.append(
            FieldError(("resource_id",), f"resource {obj.resource_id} is in another organisation")
        )
    if errors:
        raise ValidationFailed(errors)
    reviewed = {TimesheetEntry.State.APPROVED, TimesheetEntry.State.REJECTED}
    if "state" in data and obj.state in reviewed and not access.can_write(obj.task.project):
        raise PermissionDenied(
            "only who manages the project may approve or reject its timesheet entries"
        )
    check_booking(access, obj)
    check_transition(access, obj, data)


@checks(EvmSnapshot)
def check_evm_snapshot(access: Access, obj: EvmSnapshot, data: Mapping[str, Any]) -> None:
    if obj.pk is not None:
        raise Conflict(IMMUTABLE_MESSAGE)
    if obj.currency != obj.project.currency:
        raise ValidationFailed.field("currency", "a snapshot is in its project's currency")
