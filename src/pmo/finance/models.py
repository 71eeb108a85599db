"""Money: budgets by category and month, cost lines, exchange rates, timesheets."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from pmo.core.models import OrgScopedModel
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
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_parents = ("task",)

    class Meta:
        ordering = ["week_start", "resource"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "task", "week_start"], name="timesheet_entry_unique"
            )
        ]
