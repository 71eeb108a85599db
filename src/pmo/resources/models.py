"""The resource pool: people, generic roles and equipment, their skills, rates, assignments."""

from __future__ import annotations

from decimal import Decimal

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
