"""Money: budgets by category and month, cost lines, exchange rates, timesheets, and the
immutable earned value snapshots taken at each status date."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from pmo.core.models import OrgScopedModel
from pmo.errors import Conflict
from pmo.orgs.models import currency_code


class CostCategory(models.TextChoices):
    LABOUR = "labour", "Labour"
    MATERIAL = "material", "Material"
    SERVICES = "services", "Services"
    TRAVEL = "travel", "Travel"
    CONTINGENCY = "contingency", "Contingency reserve"
    MANAGEMENT_RESERVE = "management_reserve", "Management reserve"


class BudgetLine(OrgScopedModel):
    """Budget of a project (or program, or portfolio) for a category and month."""

    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    program = models.ForeignKey(
        "portfolio.Program", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    month = models.DateField(help_text="first day of the month")
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[currency_code])

    scope_parents = ("project", "program", "portfolio")

    class Meta:
        ordering = ["month", "category"]


class CostLine(OrgScopedModel):
    """A planned fixed cost or an actual cost (from finance, or from approved timesheets)."""

    class Kind(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTUAL = "actual", "Actual"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="cost_lines"
    )
    task = models.ForeignKey(
        "projects.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    date = models.DateField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[currency_code])
    description = models.CharField(max_length=250, blank=True)
    source = models.CharField(max_length=40, blank=True, help_text="finance import, timesheet…")
    reference = models.CharField(max_length=100, blank=True)

    scope_parents = ("project",)

    class Meta:
        ordering = ["date", "id"]


class ExchangeRate(OrgScopedModel):
    """1 unit of ``currency`` = ``rate`` units of ``to_currency`` from ``effective_date`` on."""

    currency = models.CharField(max_length=3, validators=[currency_code])
    to_currency = models.CharField(max_length=3, validators=[currency_code])
    effective_date = models.DateField()
    rate = models.DecimalField(
        max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))]
    )

    class Meta:
        ordering = ["effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "currency", "to_currency", "effective_date"],
                name="exchange_rate_unique",
            )
        ]


class TimesheetEntry(OrgScopedModel):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    resource = models.ForeignKey(
        "resources.Resource", on_delete=models.CASCADE, related_name="timesheet_entries"
    )
    task = models.ForeignKey(
        "projects.Task", on_delete=models.CASCADE, related_name="timesheet_entries"
    )
    week_start = models.DateField(help_text="the Monday of the week")
    hours = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    review_comment = models.TextField(blank=True, help_text="why it was approved or rejected")

    scope_parents = ("task",)

    class Meta:
        ordering = ["week_start", "resource"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "task", "week_start"], name="timesheet_entry_unique"
            )
        ]


class EvmPeriod(models.TextChoices):
    MONTH = "month", "Month"
    WEEK = "week", "Week"
    DAY = "day", "Day"


IMMUTABLE_MESSAGE = (
    "an earned value snapshot is a record of its status date and is never changed; "
    "take a new snapshot at a later status date instead"
)


class ImmutableQuerySet(models.QuerySet["EvmSnapshot"]):
    """Rows that are written once: a bulk ``update()`` is refused like a save."""

    def update(self, **kwargs: Any) -> int:
        raise Conflict(IMMUTABLE_MESSAGE)


class EvmSnapshot(OrgScopedModel):
    """The earned value measures of a project at one status date, kept for trends.

    Written once by ``pmo.finance.evm.do_take_snapshot`` and never changed afterwards: saving
    an existing row or updating rows raises ``Conflict``. Amounts are in ``currency`` (the
    project's); ``es``, ``at``, ``planned_duration``, ``sv_t`` and ``ieac_t`` are in
    ``period`` units since the start of the project's first period.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="evm_snapshots"
    )
    status_date = models.DateField()
    period = models.CharField(max_length=5, choices=EvmPeriod.choices, default=EvmPeriod.MONTH)
    currency = models.CharField(max_length=3, validators=[currency_code])
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    bac = models.DecimalField(max_digits=16, decimal_places=2)
    pv = models.DecimalField(max_digits=16, decimal_places=2)
    ev = models.DecimalField(max_digits=16, decimal_places=2)
    ac = models.DecimalField(max_digits=16, decimal_places=2)
    sv = models.DecimalField(max_digits=16, decimal_places=2)
    cv = models.DecimalField(max_digits=16, decimal_places=2)
    eac = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    etc = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    vac = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    spi = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    cpi = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    tcpi = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    es = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    at = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    planned_duration = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    sv_t = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    spi_t = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    ieac_t = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    forecast_finish = models.DateField(null=True, blank=True)
    # [{"date", "pv", "ev", "ac"}] at each period end, and [{"task_id", "wbs", "name", ...}]
    curve: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    tasks: models.JSONField[Any] = models.JSONField(default=list, blank=True)

    objects = ImmutableQuerySet.as_manager()

    scope_parents = ("project",)

    class Meta:
        verbose_name = "EVM snapshot"
        ordering = ["project", "status_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "status_date"], name="evm_snapshot_date_unique"
            )
        ]

    def __str__(self) -> str:
        return f"EVM snapshot {self.status_date}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise Conflict(IMMUTABLE_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise Conflict(IMMUTABLE_MESSAGE)
