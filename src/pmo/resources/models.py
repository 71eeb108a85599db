"""The resource pool: people, generic roles and equipment, their skills, rates, assignments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pmo.core.models import OrgScopedModel
from pmo.orgs.models import currency_code


class Skill(OrgScopedModel):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="skill_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Resource(OrgScopedModel):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ROLE = "role", "Generic role"
        EQUIPMENT = "equipment", "Equipment"

    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.EmailField(blank=True)
    calendar = models.ForeignKey(
        "orgs.Calendar", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    max_units = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1000))],
        help_text="1.00 = one full-time person",
    )
    standard_rate = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, validators=[currency_code])
    skills = models.ManyToManyField(Skill, through="ResourceSkill", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="resource_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ResourceSkill(models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="skill_levels")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    proficiency = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "skill"], name="resource_skill_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}: skill {self.skill_id} at {self.proficiency}"


class CostRate(OrgScopedModel):
    """A resource's rates from a date on (MS Project's cost rate table A)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="cost_rates")
    effective_from = models.DateField()
    standard_rate = models.DecimalField(max_digits=12, decimal_places=2)
    overtime_rate = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    cost_per_use = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))

    scope_parents = ("resource",)

    class Meta:
        ordering = ["resource", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "effective_from"], name="cost_rate_date_unique"
            )
        ]


class Assignment(OrgScopedModel):
    task = models.ForeignKey("projects.Task", on_delete=models.CASCADE, related_name="assignments")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="assignments")
    units = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1000))],
    )
    work_minutes = models.PositiveIntegerField(default=0)
    actual_work_minutes = models.PositiveIntegerField(default=0)

    scope_parents = ("task",)

    class Meta:
        ordering = ["task", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["task", "resource"], name="assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource} on {self.task}"


class TaskSkillRequirement(OrgScopedModel):
    """A task needs ``units`` of someone holding ``skill`` at ``min_proficiency`` or more
    (what staffing suggestions look for, beside generic-role assignments)."""

    task = models.ForeignKey(
        "projects.Task", on_delete=models.CASCADE, related_name="skill_requirements"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    min_proficiency = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    units = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
    )

    scope_parents = ("task",)

    class Meta:
        ordering = ["task", "skill"]
        constraints = [
            models.UniqueConstraint(fields=["task", "skill"], name="task_skill_requirement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.skill} ≥ {self.min_proficiency} on {self.task}"


class LevellingRun(OrgScopedModel):
    """One resource levelling of a project or a portfolio: a proposal until accepted.

    ``proposal`` holds every task the levelling moves (``moves``: old and new dates, the delay
    in working days, the resource and the competing tasks that caused it), the levelled start
    each task of the scope gets on acceptance (``levelled``: task id → ISO date-time or None)
    and the proposed dates of every task whose dates change (``dates``, for the Gantt preview).
    ``previous`` keeps the tasks' ``levelled_start`` values from before the acceptance, so it
    can be undone. ``signature`` fingerprints the plan the proposal was computed on: accepting
    it after the plan changed is refused.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DISCARDED = "discarded", "Discarded"
        UNDONE = "undone", "Undone"
        SUPERSEDED = "superseded", "Superseded"

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="levelling_runs",
    )
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="levelling_runs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    engine_requested = models.CharField(max_length=10, default="auto")
    engine = models.CharField(max_length=10, blank=True)
    time_limit = models.FloatField(default=5.0)
    hold_other_projects = models.BooleanField(default=False)
    project_ids: models.JSONField[Any] = models.JSONField(default=list)
    tasks = models.PositiveIntegerField(default=0, help_text="tasks levelled")
    moved = models.PositiveIntegerField(default=0, help_text="tasks that move")
    # working days; parts of days when the plan was levelled in parts of days
    makespan = models.FloatField(default=0, help_text="working days")
    lower_bound = models.FloatField(default=0, help_text="working days")
    optimal = models.BooleanField(default=False)
    seconds = models.FloatField(default=0.0)
    origin = models.DateField(null=True, blank=True, help_text="day of period 0")
    finish_before = models.DateTimeField(null=True, blank=True)
    finish_after = models.DateTimeField(null=True, blank=True)
    proposal: models.JSONField[Any] = models.JSONField(default=dict)
    previous: models.JSONField[Any] = models.JSONField(default=dict)
    signature = models.CharField(max_length=64, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="superseded"
    )

    scope_parents = ("project", "portfolio")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        where = self.project.code if self.project else str(self.portfolio)
        return f"Levelling #{self.pk} of {where}"

    @property
    def scope_label(self) -> str:
        return "project" if self.project_id else "portfolio"
