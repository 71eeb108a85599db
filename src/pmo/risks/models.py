"""Risks (uncertain future events) and issues (problems happening now)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pmo.core.models import OrgScopedModel

one_to_five = [MinValueValidator(1), MaxValueValidator(5)]


class Risk(OrgScopedModel):
    """A risk on a project (or, with no project, on a program or portfolio).

    Probability and impact on the 1-5 scales of a 5×5 matrix (PMBOK 7, ISO 31000); the
    three-point cost and schedule impacts feed the Monte Carlo analysis.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        MITIGATING = "mitigating", "Being mitigated"
        OCCURRED = "occurred", "Occurred"
        CLOSED = "closed", "Closed"

    class Response(models.TextChoices):
        AVOID = "avoid", "Avoid"
        MITIGATE = "mitigate", "Mitigate"
        TRANSFER = "transfer", "Transfer"
        ACCEPT = "accept", "Accept"
        ESCALATE = "escalate", "Escalate"
        EXPLOIT = "exploit", "Exploit (opportunity)"

    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    program = models.ForeignKey(
        "portfolio.Program", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="risks"
    )
    task = models.ForeignKey(
        "projects.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="risks"
    )
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=250)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=60, blank=True)
    probability = models.PositiveSmallIntegerField(default=3, validators=one_to_five)
    impact = models.PositiveSmallIntegerField(default=3, validators=one_to_five)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    response = models.CharField(max_length=10, choices=Response.choices, default=Response.MITIGATE)
    response_plan = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    cost_impact_min = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    cost_impact_likely = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    cost_impact_max = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    schedule_impact_days_min = models.IntegerField(default=0)
    schedule_impact_days_likely = models.IntegerField(default=0)
    schedule_impact_days_max = models.IntegerField(default=0)

    scope_parents = ("project", "program", "portfolio")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="risk_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def score(self) -> int:
        return int(self.probability) * int(self.impact)


class Issue(OrgScopedModel):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        ESCALATED = "escalated", "Escalated"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="issues")
    task = models.ForeignKey(
        "projects.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="issues"
    )
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=250)
    description = models.TextField(blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    raised_on = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    scope_parents = ("project",)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="issue_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
