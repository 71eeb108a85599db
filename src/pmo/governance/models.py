"""Governance: change control, decisions, stage gates, status reports, lessons learned."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from pmo.core.models import OrgScopedModel


class RAG(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


class ChangeRequest(OrgScopedModel):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        IMPLEMENTED = "implemented", "Implemented"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="change_requests"
    )
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=250)
    description = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    cost_impact = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    schedule_impact_days = models.IntegerField(default=0)
    scope_impact = models.TextField(blank=True)
    requested_by = models.CharField(max_length=200, blank=True)
    requested_on = models.DateField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)

    scope_parents = ("project",)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="change_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Decision(OrgScopedModel):
    """A recorded decision (decision log), at project, program or portfolio level."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        MADE = "made", "Made"
        REVERSED = "reversed", "Reversed"

    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    program = models.ForeignKey(
        "portfolio.Program", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="decisions",
    )
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=250)
    description = models.TextField(blank=True)
    rationale = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    decided_on = models.DateField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True)

    scope_parents = ("project", "program", "portfolio")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="decision_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class StageGate(OrgScopedModel):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        WAIVED = "waived", "Waived"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="stage_gates"
    )
    name = models.CharField(max_length=100)
    phase = models.CharField(max_length=20, blank=True)
    planned_date = models.DateField(null=True, blank=True)
    actual_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    criteria = models.TextField(blank=True)

    scope_parents = ("project",)

    class Meta:
        ordering = ["project", "planned_date"]


class StatusReport(OrgScopedModel):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="status_reports"
    )
    period_end = models.DateField()
    overall = models.CharField(max_length=5, choices=RAG.choices, default=RAG.GREEN)
    schedule = models.CharField(max_length=5, choices=RAG.choices, default=RAG.GREEN)
    cost = models.CharField(max_length=5, choices=RAG.choices, default=RAG.GREEN)
    scope_rag = models.CharField(max_length=5, choices=RAG.choices, default=RAG.GREEN)
    risk = models.CharField(max_length=5, choices=RAG.choices, default=RAG.GREEN)
    summary = models.TextField(blank=True)
    achievements = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_parents = ("project",)

    class Meta:
        ordering = ["project", "-period_end"]


class LessonLearned(OrgScopedModel):
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lessons",
    )
    title = models.CharField(max_length=250)
    category = models.CharField(max_length=60, blank=True)
    what_happened = models.TextField(blank=True)
    recommendation = models.TextField(blank=True)
    tags = models.CharField(max_length=250, blank=True)

    scope_parents = ("project",)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
