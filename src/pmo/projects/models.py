"""Projects, their WBS of tasks, dependencies and baselines."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pmo.core.models import OrgScopedModel
from pmo.orgs.models import currency_code


class Phase(models.TextChoices):
    """Lifecycle phase (PMBOK process groups, with a proposal stage before initiation)."""

    PROPOSAL = "proposal", "Proposal"
    INITIATION = "initiation", "Initiation"
    PLANNING = "planning", "Planning"
    EXECUTION = "execution", "Execution"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"


class Status(models.TextChoices):
    """Overall health as a PMO reports it (RAG), or why a project is not running."""

    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Project(OrgScopedModel):
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.PROTECT, related_name="projects"
    )
    program = models.ForeignKey(
        "portfolio.Program",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sponsor = models.CharField(max_length=200, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.PROPOSAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ON_TRACK)
    priority = models.PositiveIntegerField(
        default=500,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
        help_text="0-1000, higher first (as MS Project)",
    )
    planned_start = models.DateField(null=True, blank=True)
    planned_finish = models.DateField(null=True, blank=True)
    status_date = models.DateField(null=True, blank=True)
    budget = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    currency = models.CharField(max_length=3, validators=[currency_code])
    calendar = models.ForeignKey(
        "orgs.Calendar", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    objectives = models.ManyToManyField(
        "portfolio.StrategicObjective", blank=True, related_name="projects"
    )
    # Set by the scheduling service after each reschedule.
    scheduled_start = models.DateTimeField(null=True, blank=True, editable=False)
    scheduled_finish = models.DateTimeField(null=True, blank=True, editable=False)

    scope_parents = ("program", "portfolio")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="project_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def scope(self) -> dict[str, int | None]:
        return {
            "organisation": self.organisation_id,
            "portfolio": self.portfolio_id,
            "program": self.program_id,
            "project": self.pk,
        }


class ConstraintType(models.TextChoices):
    ASAP = "ASAP", "As soon as possible"
    ALAP = "ALAP", "As late as possible"
    SNET = "SNET", "Start no earlier than"
    SNLT = "SNLT", "Start no later than"
    FNET = "FNET", "Finish no earlier than"
    FNLT = "FNLT", "Finish no later than"
    MSO = "MSO", "Must start on"
    MFO = "MFO", "Must finish on"


class Task(OrgScopedModel):
    """A WBS element: summary task, work task or milestone.

    Durations and lags are stored in working minutes, as MS Project does, so that a day
    means the task calendar's ``minutes_per_day`` and no rounding creeps in.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(default=0, help_text="order within the outline")
    wbs = models.CharField(max_length=60, blank=True)
    name = models.CharField(max_length=250)
    is_milestone = models.BooleanField(default=False)
    is_summary = models.BooleanField(default=False, editable=False)
    duration_minutes = models.PositiveIntegerField(default=480)
    constraint_type = models.CharField(
        max_length=4, choices=ConstraintType.choices, default=ConstraintType.ASAP
    )
    constraint_date = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    percent_complete = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_finish = models.DateTimeField(null=True, blank=True)
    remaining_minutes = models.PositiveIntegerField(null=True, blank=True)
    calendar = models.ForeignKey(
        "orgs.Calendar", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    # Earned value method (PMI Practice Standard for EVM): how much of the budget is earned.
    ev_method = models.CharField(
        max_length=20,
        choices=[
            ("percent_complete", "Physical % complete"),
            ("zero_hundred", "0/100"),
            ("fifty_fifty", "50/50"),
            ("weighted_milestones", "Weighted milestones"),
        ],
        default="percent_complete",
    )
    # Set by an accepted resource levelling: the task starts no earlier than this (MS
    # Project's "leveling delay", kept as a date so it survives edits of its predecessors).
    levelled_start = models.DateTimeField(null=True, blank=True, editable=False)
    # Results of the last schedule (the scheduling service writes them).
    early_start = models.DateTimeField(null=True, blank=True, editable=False)
    early_finish = models.DateTimeField(null=True, blank=True, editable=False)
    late_start = models.DateTimeField(null=True, blank=True, editable=False)
    late_finish = models.DateTimeField(null=True, blank=True, editable=False)
    total_float_minutes = models.IntegerField(null=True, blank=True, editable=False)
    free_float_minutes = models.IntegerField(null=True, blank=True, editable=False)
    is_critical = models.BooleanField(default=False, editable=False)

    scope_parents = ("project",)

    class Meta:
        ordering = ["project", "position", "id"]
        indexes = [models.Index(fields=["project", "position"])]

    def __str__(self) -> str:
        return self.name


class LinkType(models.TextChoices):
    FS = "FS", "Finish-to-start"
    SS = "SS", "Start-to-start"
    FF = "FF", "Finish-to-finish"
    SF = "SF", "Start-to-finish"


class LagUnit(models.TextChoices):
    WORKING = "working", "Working minutes"
    ELAPSED = "elapsed", "Elapsed minutes"
    PERCENT = "percent", "Percent of predecessor duration"


class Dependency(OrgScopedModel):
    """A logical link; predecessor and successor may be in different projects."""

    predecessor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="predecessor_links")
    type = models.CharField(max_length=2, choices=LinkType.choices, default=LinkType.FS)
    lag = models.IntegerField(default=0, help_text="minutes, or percent when lag_unit=percent")
    lag_unit = models.CharField(max_length=8, choices=LagUnit.choices, default=LagUnit.WORKING)

    scope_parents = ("successor",)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="dependency_unique_pair"
            ),
            models.CheckConstraint(
                condition=~models.Q(predecessor=models.F("successor")),
                name="dependency_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id}{self.type}{self.lag:+d} → {self.successor_id}"


class Baseline(OrgScopedModel):
    """A saved copy of the plan (MS Project keeps Baseline and Baseline1..10: 11 in all)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="baselines")
    number = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    name = models.CharField(max_length=100, blank=True)
    saved_at = models.DateTimeField(auto_now_add=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_parents = ("project",)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="baseline_number_unique")
        ]

    def __str__(self) -> str:
        return self.name or f"Baseline {self.number}"


class BaselineTask(models.Model):
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="tasks")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="baseline_values")
    start = models.DateTimeField(null=True, blank=True)
    finish = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(default=0)
    work_minutes = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["baseline", "task"], name="baseline_task_unique")
        ]

    def __str__(self) -> str:
        return f"{self.task_id} in baseline {self.baseline_id}"
