"""Finance pages: the project's Cost tab, portfolio budget monitoring, the timesheet week and
its approval, cost line import and budget lines.

Views stay thin: they read through ``Access`` and call the finance services
(``pmo.finance.evm``, ``timesheets``, ``cost_import``) for every computation and write; the
charts are SVG drawn on the server (``pmo.finance.charts``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from pmo.core.access import Access
from pmo.core.views import crumbs_for, deny, edit_page, is_partial, pmo_view, working_in
from pmo.errors import NotFound, PermissionDenied, PmoError, StaleVersion, ValidationFailed
from pmo.finance import charts, cost_import, timesheets
from pmo.finance import evm as evm_service
from pmo.finance.costs import load_project_costs
from pmo.finance.models import BudgetLine, CostCategory, CostLine, EvmPeriod, EvmSnapshot
from pmo.finance.rates import MissingExchangeRate
from pmo.portfolio.models import Portfolio
from pmo.projects.models import Project
from pmo.projects.views import get_project, project_url
from pmo.resources.models import Resource
from pmo.web.forms import ServiceForm


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


# --- the project's Cost tab ---------------------------------------------------------------


def cost_context(
    access: Access, project: Project, as_of: dt.date | None = None, period: str = "month"
) -> dict[str, Any]:
    """Everything the Cost tab shows: measures, S-curve, trends, snapshots, budget table."""
    if period not in evm_service.PERIODS:
        period = EvmPeriod.MONTH
    probe_snapshot = EvmSnapshot(organisation_id=project.organisation_id, project=project)
    probe_cost = CostLine(organisation_id=project.organisation_id, project=project)
    probe_budget = BudgetLine(organisation_id=project.organisation_id, project=project)
    context: dict[str, Any] = {
        "project": project,
        "period": period,
        "periods": EvmPeriod.choices,
        "as_of": as_of or evm_service.default_as_of(project),
        "can_snapshot": access.can_write(probe_snapshot),
        "can_import": access.can_write(probe_cost),
        "can_budget": access.can_write(probe_budget),
        "cost_error": None,
    }
    try:
        costs = load_project_costs(project)
        result = evm_service.project_evm(project, as_of, period, costs=costs)
        table = evm_service.budget_table(project, costs, result.as_of)
    except MissingExchangeRate as exc:
        context["cost_error"] = exc.message
        return context
    snapshots = list(evm_service.snapshots_of(project).select_related("taken_by"))
    portfolio = project.portfolio
    trend_cpi, trend_spi_t = charts.trend_charts(
        result, snapshots, portfolio.cpi_threshold, portfolio.spi_threshold
    )
    context.update(
        {
            "evm": result,
            "m": result.measures,
            "s_curve": charts.s_curve(result),
            "trend_cpi": trend_cpi,
            "trend_spi_t": trend_spi_t,
            "snapshots": list(reversed(snapshots)),
            "has_snapshot_today": any(s.status_date == result.as_of for s in snapshots),
            "budget": table,
            "tasks": result.tasks,
            "period_label": dict(EvmPeriod.choices)[period].lower(),
            "plan_source": costs.baseline,
        }
    )
    return context


def project_cost_tab(access: Access, project: Project) -> tuple[str, dict[str, Any]]:
    """The Cost tab of the project page (``pmo.projects.views.OPTIONAL_TABS``)."""
    return "finance/_cost_tab.html", cost_context(access, project)


@pmo_view
def project_cost(request: HttpRequest, pk: int) -> HttpResponse:
    """The Cost tab at another status date or period (an htmx fragment, or the project page)."""
    access = Access.for_request(request)
    project = get_project(access, pk)
    as_of = _date(request.GET.get("as_of"))
    period = request.GET.get("period", "month")
    if not is_partial(request):
        url = project_url(project.pk, "cost")
        return redirect(url)
    context = cost_context(access, project, as_of, period)
    return render(request, "finance/_cost_tab.html", context)


@pmo_view
@require_POST
def take_snapshot(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    project = get_project(access, pk)
    deny(access, EvmSnapshot(organisation_id=project.organisation_id, project=project))
    status_date = _date(request.POST.get("status_date"))
    period = request.POST.get("period", "month")
    try:
        snap = evm_service.do_take_snapshot(access, project, status_date, period)
    except PermissionDenied:
        raise
    except PmoError as exc:
        messages.error(request, f"No snapshot taken: {exc.message}")
    else:
        messages.success(
            request,
            f"Snapshot taken at {snap.status_date}: CPI {_fmt(snap.cpi)}, SPI {_fmt(snap.spi)}, "
            f"SPI(t) {_fmt(snap.spi_t)}.",
        )
    return redirect(project_url(project.pk, "cost"))


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else f"{float(value):.2f}"


# --- cost line import ---------------------------------------------------------------------


class CostImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8, comma or semicolon) or XLSX")
    mapping = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Posting date=date\nNet=amount"}),
        help_text="One COLUMN=FIELD per line, when the file's headers differ from "
        "date, amount, currency, category, kind, task, description, reference",
    )
    category = forms.ChoiceField(
        required=False,
        choices=[("", "— from the file —"), *CostCategory.choices],
        label="Default category",
    )
    kind = forms.ChoiceField(choices=CostLine.Kind.choices, initial="actual", label="Default kind")
    sheet = forms.CharField(required=False, label="Sheet (XLSX)")
    dry_run = forms.BooleanField(required=False, label="Only check the file")


@pmo_view
def cost_import_page(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    project = get_project(access, pk)
    working_in(request, project.organisation_id)
    deny(access, CostLine(organisation_id=project.organisation_id, project=project))
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = CostImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            defaults = {"kind": form.cleaned_data["kind"]}
            if form.cleaned_data["category"]:
                defaults["category"] = form.cleaned_data["category"]
            try:
                mapping = cost_import.parse_mapping(
                    [ln for ln in form.cleaned_data["mapping"].splitlines() if ln.strip()]
                )
                result = cost_import.do_import_cost_lines(
                    access,
                    project,
                    upload.read(),
                    upload.name,
                    mapping=mapping,
                    defaults=defaults,
                    sheet=form.cleaned_data["sheet"] or None,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ValidationFailed as exc:
                status = 422
                for e in exc.errors:
                    if e.path[:1] == ("lines",) and len(e.path) >= 3:
                        errors.append(f"line {e.path[1]}, column {e.path[2]}: {e.message}")
                    else:
                        where = ".".join(str(p) for p in e.path)
                        errors.append(f"{where}: {e.message}" if where else e.message)
            except PmoError as exc:
                status = 422
                errors.append(exc.message)
            else:
                totals = ", ".join(
                    f"{v:,.2f} {c}" for c, v in sorted(result.total_by_currency.items())
                )
                if result.dry_run:
                    messages.success(
                        request, f"{upload.name}: {result.created} cost lines are fine ({totals})."
                    )
                else:
                    messages.success(
                        request,
                        f"Imported {result.created} cost lines from {upload.name} ({totals}).",
                    )
                    return redirect(project_url(project.pk, "cost"))
        else:
            status = 422
    else:
        form = CostImportForm()
    return render(
        request,
        "finance/cost_import.html",
        {
            "project": project,
            "form": form,
            "errors": errors,
            "fields": cost_import.FIELDS,
            "crumbs": crumbs_for(
                project=project,
                extra=[("Cost", project_url(project.pk, "cost")), ("Import cost lines", None)],
            ),
        },
        status=status,
    )


# --- budget lines -------------------------------------------------------------------------


class BudgetLineForm(ServiceForm):
    model = BudgetLine
    model_fields = ["category", "month", "amount", "currency"]


@pmo_view
def budget_line_new(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    project = get_project(access, pk)
    month = (evm_service.default_as_of(project)).replace(day=1)
    return edit_page(
        request,
        access=access,
        form_class=BudgetLineForm,
        probe=BudgetLine(organisation_id=project.organisation_id, project=project),
        create_data={"project_id": project.pk},
        form_kwargs={"initial": {"currency": project.currency, "month": month}},
        success_url=project_url(project.pk, "cost"),
        cancel_url=project_url(project.pk, "cost"),
        crumbs=crumbs_for(project=project, extra=[("Cost", project_url(project.pk, "cost"))]),
        title=f"New budget line of {project.code}",
    )


# --- portfolio budget monitoring ----------------------------------------------------------


@pmo_view
def budget_monitoring(request: HttpRequest) -> HttpResponse:
    """``?portfolio=<id>&as_of=<date>&sort=<column>``: one row per project, flagged."""
    access = Access.for_request(request)
    current = getattr(request, "current_org_id", None)
    visible = access.scoped(Portfolio.objects.select_related("organisation")).order_by(
        "organisation__name", "code"
    )
    portfolios = list(visible)
    chosen = request.GET.get("portfolio")
    portfolio: Portfolio | None
    if chosen:
        portfolio = access.get(visible, chosen)
    else:
        mine = [p for p in portfolios if p.organisation_id == current] or portfolios
        portfolio = mine[0] if mine else None
    context: dict[str, Any] = {
        "portfolios": portfolios,
        "portfolio": portfolio,
        "error": None,
        "crumbs": [("Budget monitoring", None)],
    }
    if portfolio is None:
        return render(request, "finance/budget_monitoring.html", context)
    working_in(request, portfolio.organisation_id)
    as_of = _date(request.GET.get("as_of")) or dt.date.today()
    sort = request.GET.get("sort") or "code"
    try:
        result = evm_service.monitor(portfolio, as_of, sort=sort)
    except ValidationFailed as exc:
        if exc.errors and exc.errors[0].path[:1] == ("sort",):
            sort = "code"
            result = evm_service.monitor(portfolio, as_of, sort=sort)
            messages.error(request, exc.message)
        else:
            raise
    key, descending = evm_service.parse_sort(sort)
    columns = [
        ("code", "Project", "left"),
        ("budget", "Budget", "num"),
        ("bac", "BAC", "num"),
        ("ev", "EV", "num"),
        ("ac", "Actual (AC)", "num"),
        ("eac", "Forecast (EAC)", "num"),
        ("vac", "Variance (VAC)", "num"),
        ("vac_percent", "VAC %", "num"),
        ("cpi", "CPI", "num"),
        ("spi", "SPI", "num"),
        ("spi_t", "SPI(t)", "num"),
        ("forecast_finish", "Forecast finish", "left"),
    ]
    headers = []
    for k, label, align in columns:
        next_sort = f"-{k}" if k == key and not descending else k
        arrow = ("▼" if descending else "▲") if k == key else ""
        headers.append(
            {"key": k, "label": label, "align": align, "sort": next_sort, "arrow": arrow}
        )
    context.update(
        {
            "result": result,
            "as_of": as_of,
            "sort": sort,
            "headers": headers,
            "crumbs": crumbs_for(portfolio=portfolio, extra=[("Budget monitoring", None)]),
        }
    )
    return render(request, "finance/budget_monitoring.html", context)


@pmo_view
def budget_organisation(request: HttpRequest) -> HttpResponse:
    """``?organisation=<id>&as_of=``: every portfolio of an organisation, in its currency."""
    access = Access.for_request(request)
    organisations = list(access.visible_organisations())
    chosen = request.GET.get("organisation") or getattr(request, "current_org_id", None)
    if chosen:
        organisation = access.get(access.visible_organisations(), chosen)
    elif organisations:
        organisation = organisations[0]
    else:
        raise NotFound("no organisation")
    working_in(request, organisation.pk)
    as_of = _date(request.GET.get("as_of")) or dt.date.today()
    result = evm_service.monitor_organisation(organisation, as_of)
    return render(
        request,
        "finance/budget_organisation.html",
        {
            "organisation": organisation,
            "organisations": organisations,
            "as_of": as_of,
            "result": result,
            "crumbs": [
                (organisation.name, reverse("web:home")),
                ("Budget monitoring", reverse("web:budget-monitoring")),
                ("Organisation summary", None),
            ],
        },
    )


# --- timesheets ---------------------------------------------------------------------------


def _hours(text: str) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationFailed.field("hours", f"not a number of hours: {text!r}") from None


@pmo_view
def timesheet_week(request: HttpRequest) -> HttpResponse:
    """The logged-in user's week: one row per assigned task, the week's hours in each."""
    access = Access.for_request(request)
    resources = timesheets.resources_of(access)
    chosen = request.GET.get("resource") or request.POST.get("resource")
    resource: Resource | None
    if chosen:
        resource = access.get(Resource.objects.select_related("organisation"), chosen)
    else:
        current = getattr(request, "current_org_id", None)
        mine = [r for r in resources if r.organisation_id == current] or resources
        resource = mine[0] if mine else None
    week = timesheets.week_of(
        _date(request.GET.get("week") or request.POST.get("week")) or dt.date.today()
    )
    status = 200
    row_errors: dict[int, str] = {}
    if request.method == "POST" and resource is not None:
        working_in(request, resource.organisation_id)
        rows: list[timesheets.WeekEntry] = []
        task_ids = [int(t) for t in request.POST.getlist("task") if t.isdigit()]
        try:
            for task_id in task_ids:
                try:
                    hours = _hours(request.POST.get(f"hours-{task_id}", ""))
                except ValidationFailed as exc:
                    row_errors[task_id] = exc.errors[0].message
                    continue
                comment = request.POST.get(f"comment-{task_id}")
                version = request.POST.get(f"version-{task_id}", "")
                rows.append(
                    timesheets.WeekEntry(
                        task_id, hours, comment, int(version) if version.isdigit() else None
                    )
                )
            if row_errors:
                raise ValidationFailed("some hours are not numbers")
            timesheets.do_save_week(access, resource, week, rows, submit="submit" in request.POST)
        except ValidationFailed as exc:
            status = 422
            for e in exc.errors:
                if e.path[:1] == ("entries",) and len(e.path) > 1 and isinstance(e.path[1], int):
                    row_errors[rows[e.path[1]].task_id] = e.message
            messages.error(request, f"Not saved: {exc.message}")
        except StaleVersion:
            status = 409
            messages.error(request, "Someone changed this week meanwhile; reload and try again.")
        except PermissionDenied:
            raise
        except PmoError as exc:
            status = 422
            messages.error(request, f"Not saved: {exc.message}")
        else:
            done = "Submitted" if "submit" in request.POST else "Saved"
            messages.success(request, f"{done} the week of {week:%d %b %Y} for {resource.name}.")
            url = reverse("web:timesheets") + f"?resource={resource.pk}&week={week.isoformat()}"
            return redirect(url)
    grid = timesheets.week_grid(access, resource, week) if resource is not None else None
    if resource is not None:
        working_in(request, resource.organisation_id)
    if grid is not None and status != 200:  # show what was typed, not what is stored
        for row in grid.rows:
            if row.editable and f"hours-{row.task.pk}" in request.POST:
                row.hours_text = request.POST[f"hours-{row.task.pk}"]
                row.comment_text = request.POST.get(f"comment-{row.task.pk}", "")
    return render(
        request,
        "finance/timesheets.html",
        {
            "resources": resources,
            "resource": resource,
            "grid": grid,
            "week": week,
            "previous_week": week - dt.timedelta(days=7),
            "next_week": week + dt.timedelta(days=7),
            "this_week": timesheets.week_of(dt.date.today()),
            "row_errors": row_errors,
            "crumbs": [("Timesheets", None)],
        },
        status=status,
    )


@pmo_view
def timesheet_approvals(request: HttpRequest) -> HttpResponse:
    """Submitted entries of the projects the user manages; approve or reject each."""
    access = Access.for_request(request)
    status = 200
    if request.method == "POST":
        reviews: list[timesheets.Review] = []
        approve_one = request.POST.get("approve")
        reject_one = request.POST.get("reject")
        if approve_one or reject_one:
            picked = [(approve_one or reject_one or "", bool(approve_one))]
        else:
            approve_all = request.POST.get("action") == "approve"
            picked = [(v, approve_all) for v in request.POST.getlist("entry")]
        for value, approve in picked:
            if not value.isdigit():
                continue
            try:
                version = int(request.POST.get(f"version-{value}", ""))
            except ValueError:
                version = -1
            comment = request.POST.get(f"comment-{value}", "")
            reviews.append(timesheets.Review(int(value), version, approve, comment))
        if not reviews:
            messages.error(request, "Select the entries to approve or reject.")
        else:
            try:
                done = timesheets.do_review(access, reviews)
            except StaleVersion:
                status = 409
                messages.error(
                    request,
                    "An entry was changed by someone else since you opened this page; nothing "
                    "was approved or rejected — reload and review again.",
                )
            except (ValidationFailed, NotFound) as exc:
                status = 422
                messages.error(request, f"Nothing was approved or rejected: {exc.message}")
            except PermissionDenied:
                raise
            except PmoError as exc:
                status = 422
                messages.error(request, f"Nothing was approved or rejected: {exc.message}")
            else:
                approved = sum(1 for r in reviews if r.approve)
                rejected = len(done) - approved
                messages.success(
                    request, f"Approved {approved} and rejected {rejected} timesheet entries."
                )
                return redirect("web:timesheet-approvals")
    pending = timesheets.pending_reviews(access)
    return render(
        request,
        "finance/approvals.html",
        {
            "entries": pending,
            "total_hours": sum((e.hours for e in pending), Decimal(0)),
            "crumbs": [("Timesheets", reverse("web:timesheets")), ("Approvals", None)],
        },
        status=status,
    )


urlpatterns = [
    path("projects/<int:pk>/cost/", project_cost, name="project-cost"),
    path("projects/<int:pk>/evm/snapshots/", take_snapshot, name="evm-snapshot"),
    path("projects/<int:pk>/cost-lines/import/", cost_import_page, name="cost-import"),
    path("projects/<int:pk>/budget-lines/new/", budget_line_new, name="budget-line-new"),
    path("budgets/", budget_monitoring, name="budget-monitoring"),
    path("budgets/organisation/", budget_organisation, name="budget-organisation"),
    path("timesheets/", timesheet_week, name="timesheets"),
    path("timesheets/approvals/", timesheet_approvals, name="timesheet-approvals"),
]
