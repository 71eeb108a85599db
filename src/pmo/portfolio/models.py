"""Strategy and portfolio structure: objectives, portfolios, programs."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pmo.core.models import OrgScopedModel
from pmo.orgs.models import currency_code


class StrategicObjective(OrgScopedModel):
    """A strategic objective that portfolios, programs and projects contribute to."""

    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1000))],
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    target_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="objective_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Portfolio(OrgScopedModel):
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(max_length=3, validators=[currency_code])
    objectives = models.ManyToManyField(StrategicObjective, blank=True, related_name="portfolios")
    # Budget monitoring flags a project whose index falls below these (PMO-set thresholds).
    cpi_threshold = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("0.95"), validators=[MinValueValidator(0)]
    )
    spi_threshold = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("0.95"), validators=[MinValueValidator(0)]
    )
    variance_threshold_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(10), validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="portfolio_code_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def scope(self) -> dict[str, int | None]:
        return {
            "organisation": self.organisation_id,
            "portfolio": self.pk,
            "program": None,
            "project": None,
        }


class Program(OrgScopedModel):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="programs")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    objectives = models.ManyToManyField(StrategicObjective, blank=True, related_name="programs")

    scope_parents = ("portfolio",)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="program_code_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def scope(self) -> dict[str, int | None]:
        return {
            "organisation": self.organisation_id,
            "portfolio": self.portfolio_id,
            "program": self.pk,
            "project": None,
        }
