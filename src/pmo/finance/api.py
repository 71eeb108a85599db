"""API: budget lines, cost lines, exchange rates, timesheet entries (typed CRUD), and the
finance actions: earned value and its snapshots, budget monitoring, the timesheet week and its
review, cost line import.

Every route reads through ``Access`` (another organisation's row is a 404) and writes through
the finance services (roles, versions, audit, one transaction).
"""

import base64
import binascii
import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Router, Schema, Status

from pmo.api.auth import access_of
from pmo.api.crud import CrudSpec, InSchema, PatchSchema, add_crud, etag, required_version
from pmo.errors import ValidationFailed
from pmo.finance import cost_import, timesheets
from pmo.finance import evm as evm_service
from pmo.finance.models import BudgetLine, CostLine, EvmSnapshot, ExchangeRate, TimesheetEntry
from pmo.portfolio.models import Portfolio, Program
from pmo.projects.models import Project
from pmo.resources.models import Resource


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
    submitted_at: dt.datetime | None
    reviewed_by_id: int | None
    reviewed_at: dt.datetime | None
    review_comment: str


# No ``reviewed_by_id`` in the inputs: the reviewer is the user who approves or rejects
# (``pmo.finance.timesheets.check_transition``), never a value a client sends; sent anyway,
# it is refused with 422 at that field.
class TimesheetEntryIn(InSchema):
    resource_id: int
    task_id: int
    week_start: dt.date
    hours: Decimal
    state: str = "draft"
    comment: str = ""


class TimesheetEntryPatch(PatchSchema):
    week_start: dt.date | None = None
    hours: Decimal | None = None
    state: str | None = None
    comment: str | None = None
    review_comment: str | None = None


# --- earned value --------------------------------------------------------------------------


class MeasuresOut(Schema):
    currency: str
    bac: Decimal
    pv: Decimal
    ev: Decimal | None
    ac: Decimal | None
    sv: Decimal | None
    cv: Decimal | None
    eac: Decimal | None
    etc: Decimal | None
    vac: Decimal | None
    vac_percent: float | None
    eac_composite: Decimal | None
    spi: float | None
    cpi: float | None
    tcpi: float | None
    es: float | None
    at: float | None
    planned_duration: float | None
    sv_t: float | None
    spi_t: float | None
    ieac_t: float | None
    tspi: float | None
    planned_finish: dt.date | None
    forecast_finish: dt.date | None


class CurvePointOut(Schema):
    date: dt.date
    time: float
    pv: Decimal
    ev: Decimal | None
    ac: Decimal | None
    period_end: bool


class TaskMeasuresOut(MeasuresOut):
    task_id: int | None
    wbs: str
    name: str
    ev_method: str
    percent_complete: float | None
    earned_fraction: float


class ProjectEvmOut(Schema):
    project_id: int
    code: str
    name: str
    as_of: dt.date
    period: str
    start: dt.date
    measures: MeasuresOut
    curve: list[CurvePointOut]
    tasks: list[TaskMeasuresOut]


class SnapshotIn(InSchema):
    status_date: dt.date | None = None
    period: str = "month"


class SnapshotOut(Schema):
    id: int
    version: int
    organisation_id: int
    project_id: int
    status_date: dt.date
    period: str
    currency: str
    taken_by_id: int | None
    created_at: dt.datetime
    bac: Decimal
    pv: Decimal
    ev: Decimal
    ac: Decimal
    sv: Decimal
    cv: Decimal
    eac: Decimal | None
    etc: Decimal | None
    vac: Decimal | None
    spi: Decimal | None
    cpi: Decimal | None
    tcpi: Decimal | None
    es: Decimal | None
    at: Decimal | None
    planned_duration: Decimal | None
    sv_t: Decimal | None
    spi_t: Decimal | None
    ieac_t: Decimal | None
    forecast_finish: dt.date | None


class SnapshotDetailOut(SnapshotOut):
    curve: list[dict[str, Any]]
    tasks: list[dict[str, Any]]


class SnapshotList(Schema):
    items: list[SnapshotOut]
    count: int


class ThresholdsOut(Schema):
    cpi: Decimal
    spi: Decimal
    variance_percent: Decimal


class MonitoringRowOut(Schema):
    project_id: int
    code: str
    name: str
    program: str
    status: str
    project_currency: str
    status_date: dt.date | None
    budget: Decimal | None
    flags: list[str]
    error: str | None
    bac: Decimal | None = None
    pv: Decimal | None = None
    ev: Decimal | None = None
    ac: Decimal | None = None
    eac: Decimal | None = None
    vac: Decimal | None = None
    vac_percent: float | None = None
    cpi: float | None = None
    spi: float | None = None
    spi_t: float | None = None
    es: float | None = None
    at: float | None = None
    planned_finish: dt.date | None = None
    forecast_finish: dt.date | None = None


class ProgramMeasuresOut(MeasuresOut):
    name: str


class BudgetCategoryOut(Schema):
    category: str
    label: str
    amount: Decimal


class MonitoringOut(Schema):
    scope: str
    id: int
    code: str
    name: str
    currency: str
    as_of: dt.date
    period: str
    sort: str
    thresholds: ThresholdsOut
    rows: list[MonitoringRowOut]
    total: MeasuresOut | None
    programs: list[ProgramMeasuresOut]
    budget_by_category: list[BudgetCategoryOut]
    flagged: int
    errors: list[str]


class OrganisationMonitoringOut(Schema):
    organisation_id: int
    code: str
    name: str
    currency: str
    as_of: dt.date
    period: str
    projects: int
    total: MeasuresOut | None
    portfolios: list[ProgramMeasuresOut]
    errors: list[str]


# --- timesheets and cost import ------------------------------------------------------------


class WeekEntryIn(InSchema):
    task_id: int
    hours: Decimal | None = None
    comment: str | None = None
    version: int | None = None  # the entry's version you read (0: none); omit to not check


class WeekIn(InSchema):
    resource_id: int
    week_start: dt.date
    entries: list[WeekEntryIn]
    submit: bool = False


class WeekOut(Schema):
    resource_id: int
    week_start: dt.date
    total_hours: Decimal
    entries: list[TimesheetEntryOut]


class ReviewIn(InSchema):
    comment: str = ""


class RejectIn(InSchema):
    comment: str


class CostImportIn(InSchema):
    filename: str
    content: str
    encoding: str = "text"
    mapping: dict[str, str] | None = None
    defaults: dict[str, str] | None = None
    sheet: str | None = None
    dry_run: bool = False


class CostImportOut(Schema):
    project_id: int
    file: str
    created: int
    dry_run: bool
    total_by_currency: dict[str, Decimal]
    lines: list[CostLineOut]


def _project(request: HttpRequest, id: int) -> Project:
    return access_of(request).get(
        Project.objects.select_related(
            "organisation", "organisation__default_calendar", "calendar", "portfolio"
        ),
        id,
    )


def _decode(payload: CostImportIn) -> bytes:
    if payload.encoding == "text":
        return payload.content.encode("utf-8")
    if payload.encoding == "base64":
        try:
            return base64.b64decode(payload.content, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed.field("content", "not valid base64") from None
    raise ValidationFailed.field("encoding", "text (a CSV) or base64 (any file, e.g. XLSX)")


def _finance_routes(api: NinjaAPI) -> None:
    projects = Router(tags=["earned value"])

    @projects.get(
        "/{id}/evm", response=ProjectEvmOut, operation_id="project_evm", url_name="project_evm"
    )
    def project_evm(
        request: HttpRequest,
        id: int,
        as_of: dt.date | None = Query(None),  # noqa: B008
        period: str = Query("month"),
    ) -> Any:
        """Every earned value and earned schedule measure of the project at ``as_of``
        (default: its status date, else today), its S-curve and each task's measures."""
        project = _project(request, id)
        return evm_service.project_evm_dict(evm_service.project_evm(project, as_of, period))

    @projects.get(
        "/{id}/evm/snapshots", response=SnapshotList, operation_id="list_project_evm_snapshots"
    )
    def list_snapshots(request: HttpRequest, id: int) -> Any:
        """The project's EVM snapshots, oldest first (the trends)."""
        items = list(evm_service.snapshots_of(_project(request, id)))
        return {"items": items, "count": len(items)}

    @projects.post(
        "/{id}/evm/snapshots",
        response={201: SnapshotOut},
        operation_id="take_project_evm_snapshot",
    )
    def take_snapshot(
        request: HttpRequest, response: HttpResponse, id: int, payload: SnapshotIn
    ) -> Any:
        """Store the measures at ``status_date`` (default: the project's status date) as an
        immutable snapshot; 409 if one exists at that date."""
        project = _project(request, id)
        snap = evm_service.do_take_snapshot(
            access_of(request), project, payload.status_date, payload.period
        )
        response["ETag"] = etag(snap.version)
        return Status(201, snap)

    @projects.get(
        "/{id}/evm/snapshots/{snapshot_id}",
        response=SnapshotDetailOut,
        operation_id="get_project_evm_snapshot",
    )
    def get_snapshot(request: HttpRequest, id: int, snapshot_id: int) -> Any:
        """One snapshot with its S-curve and task measures."""
        project = _project(request, id)
        return access_of(request).get(EvmSnapshot.objects.filter(project=project), snapshot_id)

    @projects.post(
        "/{id}/cost-lines/import",
        response={201: CostImportOut, 200: CostImportOut},
        operation_id="import_project_cost_lines",
    )
    def import_cost_lines(request: HttpRequest, id: int, payload: CostImportIn) -> Any:
        """Cost lines from a CSV (``encoding: text``) or XLSX (``base64``) file; see
        docs/finance.md for the columns and ``mapping`` (file column → field). All or
        nothing; errors name the line and column. ``dry_run`` only checks."""
        access = access_of(request)
        project = _project(request, id)
        access.check_write(CostLine(organisation_id=project.organisation_id, project=project))
        result = cost_import.do_import_cost_lines(
            access,
            project,
            _decode(payload),
            payload.filename,
            mapping=payload.mapping,
            defaults=payload.defaults,
            sheet=payload.sheet,
            dry_run=payload.dry_run,
        )
        body = {
            "project_id": result.project_id,
            "file": result.file,
            "created": result.created,
            "dry_run": result.dry_run,
            "total_by_currency": result.total_by_currency,
            "lines": result.lines,
        }
        return Status(200 if result.dry_run else 201, body)

    api.add_router("/projects", projects)

    def monitoring(
        request: HttpRequest,
        scope: Portfolio | Program,
        as_of: dt.date | None,
        period: str,
        sort: str | None,
    ) -> Any:
        return evm_service.monitoring_dict(evm_service.monitor(scope, as_of, period, sort))

    portfolios = Router(tags=["earned value"])

    @portfolios.get(
        "/{id}/budget-monitoring",
        response=MonitoringOut,
        operation_id="portfolio_budget_monitoring",
    )
    def portfolio_monitoring(
        request: HttpRequest,
        id: int,
        as_of: dt.date | None = Query(None),  # noqa: B008
        period: str = Query("month"),
        sort: str | None = Query(None),
    ) -> Any:
        """One row per project: budget, BAC, EV, AC, EAC, VAC, CPI, SPI, SPI(t) in the
        portfolio's currency at ``as_of`` (default today), flagged against the portfolio's
        thresholds; the portfolio and its programs rolled up. ``sort``: a column, ``-`` first
        for descending."""
        portfolio = access_of(request).get(Portfolio.objects.select_related("organisation"), id)
        return monitoring(request, portfolio, as_of, period, sort)

    api.add_router("/portfolios", portfolios)

    programs = Router(tags=["earned value"])

    @programs.get(
        "/{id}/budget-monitoring", response=MonitoringOut, operation_id="program_budget_monitoring"
    )
    def program_monitoring(
        request: HttpRequest,
        id: int,
        as_of: dt.date | None = Query(None),  # noqa: B008
        period: str = Query("month"),
        sort: str | None = Query(None),
    ) -> Any:
        """Budget monitoring of a program's projects, in its portfolio's currency."""
        program = access_of(request).get(Program.objects.select_related("portfolio"), id)
        return monitoring(request, program, as_of, period, sort)

    api.add_router("/programs", programs)

    organisations = Router(tags=["earned value"])

    @organisations.get(
        "/{id}/budget-monitoring",
        response=OrganisationMonitoringOut,
        operation_id="organisation_budget_monitoring",
    )
    def organisation_monitoring(
        request: HttpRequest,
        id: int,
        as_of: dt.date | None = Query(None),  # noqa: B008
        period: str = Query("month"),
    ) -> Any:
        """Every project of the organisation rolled up by portfolio and in total, in the
        organisation's currency at ``as_of`` (default today)."""
        access = access_of(request)
        organisation = access.get(access.visible_organisations(), id)
        return evm_service.organisation_monitoring_dict(
            evm_service.monitor_organisation(organisation, as_of, period)
        )

    api.add_router("/organisations", organisations)

    entries = Router(tags=["timesheets"])

    def _entry(request: HttpRequest, id: int) -> TimesheetEntry:
        return timesheets.get_entry(access_of(request), id)

    def _answer(response: HttpResponse, entry: TimesheetEntry) -> TimesheetEntry:
        response["ETag"] = etag(entry.version)
        return entry

    @entries.post("/{id}/submit", response=TimesheetEntryOut, operation_id="submit_timesheet")
    def submit(request: HttpRequest, response: HttpResponse, id: int) -> Any:
        """Submit a draft (or rejected) entry for approval (needs If-Match)."""
        entry = _entry(request, id)
        version = required_version(request)
        return _answer(response, timesheets.do_submit(access_of(request), entry, version))

    @entries.post("/{id}/withdraw", response=TimesheetEntryOut, operation_id="withdraw_timesheet")
    def withdraw(request: HttpRequest, response: HttpResponse, id: int) -> Any:
        """Take a submitted entry back to draft (needs If-Match)."""
        entry = _entry(request, id)
        version = required_version(request)
        return _answer(response, timesheets.do_withdraw(access_of(request), entry, version))

    @entries.post("/{id}/approve", response=TimesheetEntryOut, operation_id="approve_timesheet")
    def approve(request: HttpRequest, response: HttpResponse, id: int, payload: ReviewIn) -> Any:
        """Approve a submitted entry (the project's manager): actual work, an actual cost
        line and the task's actual start follow, in one transaction (needs If-Match)."""
        entry = _entry(request, id)
        version = required_version(request)
        access = access_of(request)
        return _answer(response, timesheets.do_approve(access, entry, version, payload.comment))

    @entries.post("/{id}/reject", response=TimesheetEntryOut, operation_id="reject_timesheet")
    def reject(request: HttpRequest, response: HttpResponse, id: int, payload: RejectIn) -> Any:
        """Reject a submitted entry, saying why (needs If-Match)."""
        entry = _entry(request, id)
        version = required_version(request)
        access = access_of(request)
        return _answer(response, timesheets.do_reject(access, entry, version, payload.comment))

    api.add_router("/timesheet-entries", entries)

    week = Router(tags=["timesheets"])

    @week.post("", response=WeekOut, operation_id="save_timesheet_week")
    def save_week(request: HttpRequest, payload: WeekIn) -> Any:
        """Book a resource's hours of one week (the Monday): one row per task, hours for the
        week; an empty or zero row removes a draft. ``submit`` submits the week's drafts.
        One transaction; errors at ``entries.<i>.<field>``."""
        access = access_of(request)
        resource = access.get(Resource.objects.all(), payload.resource_id)
        rows = [timesheets.WeekEntry(e.task_id, e.hours, e.comment) for e in payload.entries]
        saved = timesheets.do_save_week(
            access, resource, payload.week_start, rows, submit=payload.submit
        )
        return {
            "resource_id": resource.pk,
            "week_start": payload.week_start,
            "total_hours": sum((e.hours for e in saved), Decimal(0)),
            "entries": saved,
        }

    api.add_router("/timesheets", week)


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
    _finance_routes(api)
