"""API: budget lines, cost lines, exchange rates, timesheet entries."""

import datetime as dt
from decimal import Decimal

from ninja import NinjaAPI, Router, Schema

from pmo.api.crud import CrudSpec, InSchema, PatchSchema, add_crud
from pmo.finance.models import BudgetLine, CostLine, ExchangeRate, TimesheetEntry


class BudgetLineOut(Schema):
    id: int
    version: int
    organisation_id: int
    portfolio_id: int | None
    program_id: int | None
    project_id: int | None
    category: str
    month: dt.date
    amount: Decimal
    currency: str


class BudgetLineIn(InSchema):
    organisation_id: int | None = None
    portfolio_id: int | None = None
    program_id: int | None = None
    project_id: int | None = None
    category: str
    month: dt.date
    amount: Decimal
    currency: str


class BudgetLinePatch(PatchSchema):
    portfolio_id: int | None = None
    program_id: int | None = None
    project_id: int | None = None
    category: str | None = None
    month: dt.date | None = None
    amount: Decimal | None = None
    currency: str | None = None


class CostLineOut(Schema):
    id: int
    version: int
    organisation_id: int
    project_id: int
    task_id: int | None
    kind: str
    category: str
    date: dt.date
    amount: Decimal
    currency: str
    description: str
    source: str
    reference: str


class CostLineIn(InSchema):
    project_id: int
    task_id: int | None = None
    kind: str
    category: str
    date: dt.date
    amount: Decimal
    currency: str
    description: str = ""
    source: str = ""
    reference: str = ""


class CostLinePatch(PatchSchema):
    task_id: int | None = None
    kind: str | None = None
    category: str | None = None
    date: dt.date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    description: str | None = None
    source: str | None = None
    reference: str | None = None


class ExchangeRateOut(Schema):
    id: int
    version: int
    organisation_id: int
    currency: str
    to_currency: str
    effective_date: dt.date
    rate: Decimal


class ExchangeRateIn(InSchema):
    organisation_id: int
    currency: str
    to_currency: str
    effective_date: dt.date
    rate: Decimal


class ExchangeRatePatch(PatchSchema):
    currency: str | None = None
    to_currency: str | None = None
    effective_date: dt.date | None = None
    rate: Decimal | None = None


class TimesheetEntryOut(Schema):
    id: int
    version: int
    organisation_id: int
    resource_id: int
    task_id: int
    week_start: dt.date
    hours: Decimal
    state: str
    comment: str
    reviewed_by_id: int | None


class TimesheetEntryIn(InSchema):
    resource_id: int
    task_id: int
    week_start: dt.date
    hours: Decimal
    state: str = "draft"
    comment: str = ""
    reviewed_by_id: int | None = None


class TimesheetEntryPatch(PatchSchema):
    week_start: dt.date | None = None
    hours: Decimal | None = None
    state: str | None = None
    comment: str | None = None
    reviewed_by_id: int | None = None


def register(api: NinjaAPI) -> None:
    specs = [
        CrudSpec(
            BudgetLine,
            "budget-lines",
            BudgetLineOut,
            BudgetLineIn,
            BudgetLinePatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "portfolio_id": (int, "portfolio_id"),
                "program_id": (int, "program_id"),
                "project_id": (int, "project_id"),
                "category": (str, "category"),
                "month_from": (dt.date, "month__gte"),
                "month_to": (dt.date, "month__lte"),
            },
        ),
        CrudSpec(
            CostLine,
            "cost-lines",
            CostLineOut,
            CostLineIn,
            CostLinePatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "project_id"),
                "task_id": (int, "task_id"),
                "kind": (str, "kind"),
                "category": (str, "category"),
                "date_from": (dt.date, "date__gte"),
                "date_to": (dt.date, "date__lte"),
                "q": (str, ("description__icontains", "reference__icontains")),
            },
        ),
        CrudSpec(
            ExchangeRate,
            "exchange-rates",
            ExchangeRateOut,
            ExchangeRateIn,
            ExchangeRatePatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "currency": (str, "currency"),
                "to_currency": (str, "to_currency"),
                "date_from": (dt.date, "effective_date__gte"),
                "date_to": (dt.date, "effective_date__lte"),
            },
        ),
        CrudSpec(
            TimesheetEntry,
            "timesheet-entries",
            TimesheetEntryOut,
            TimesheetEntryIn,
            TimesheetEntryPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "project_id": (int, "task__project_id"),
                "task_id": (int, "task_id"),
                "resource_id": (int, "resource_id"),
                "state": (str, "state"),
                "week_start": (dt.date, "week_start"),
                "week_from": (dt.date, "week_start__gte"),
                "week_to": (dt.date, "week_start__lte"),
            },
        ),
    ]
    for spec in specs:
        router = Router()
        add_crud(router, spec)
        api.add_router(f"/{spec.path}", router)
