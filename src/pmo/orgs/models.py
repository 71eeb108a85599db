"""Organisations (the PMO's clients), memberships with roles, and working calendars."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from pmo.core.models import OrgScopedModel, Role, VersionedModel

currency_code = RegexValidator(r"^[A-Z]{3}$", "an ISO 4217 code such as EUR")
country_code = RegexValidator(r"^[A-Z]{2}$", "an ISO 3166 alpha-2 code such as FR")

# Monday to Friday, 08:00-12:00 and 13:00-17:00, in minutes from midnight: MS Project's
# "Standard" calendar.
STANDARD_DAY = [[480, 720], [780, 1020]]
STANDARD_WEEK = [STANDARD_DAY] * 5 + [[], []]


def standard_week() -> list[list[list[int]]]:
    return [list(map(list, day)) for day in STANDARD_WEEK]


def validate_working_week(value: Any) -> None:
    """Seven days (Monday first), each a list of [start, end) minute intervals, in order."""
    if not isinstance(value, list) or len(value) != 7:
        raise ValidationError("the working week must list 7 days, Monday first")
    for d, day in enumerate(value):
        if not isinstance(day, list):
            raise ValidationError(f"day {d}: expected a list of [start, end] intervals")
        last_end = -1
        for interval in day:
            if (
                not isinstance(interval, list)
                or len(interval) != 2
                or not all(isinstance(x, int) for x in interval)
            ):
                raise ValidationError(f"day {d}: each interval is [start_minute, end_minute]")
            start, end = interval
            if not 0 <= start < end <= 1440 or start < last_end:
                raise ValidationError(f"day {d}: interval {interval} is out of order or range")
            last_end = end


class Organisation(VersionedModel):
    """A client organisation of the PMO: the unit of strict isolation."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, validators=[country_code])
    currency = models.CharField(max_length=3, validators=[currency_code])
    default_calendar = models.ForeignKey(
        "orgs.Calendar", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def scope(self) -> dict[str, int | None]:
        return {"organisation": self.pk, "portfolio": None, "program": None, "project": None}

    @property
    def organisation_id(self) -> int:
        return int(self.pk)


class Membership(VersionedModel):
    """A user's role in an organisation, optionally narrowed to one portfolio or project."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organisation", "user"]
        # Uniqueness of (user, organisation, role, portfolio, project) with NULLs equal is
        # checked by the service: SQLite has no NULLS NOT DISTINCT.

    def scope(self) -> dict[str, int | None]:
        return {
            "organisation": self.organisation_id,
            "portfolio": self.portfolio_id,
            "program": None,
            "project": self.project_id,
        }

    def __str__(self) -> str:
        where = self.project or self.portfolio or self.organisation
        return f"{self.user} — {self.get_role_display()} of {where}"


class Calendar(OrgScopedModel):
    """A working calendar: the working week, hours per day, and dated exceptions."""

    name = models.CharField(max_length=100)
    country = models.CharField(
        max_length=2, blank=True, validators=[country_code], help_text="public holidays of"
    )
    working_week: models.JSONField[Any] = models.JSONField(
        default=standard_week, validators=[validate_working_week]
    )
    minutes_per_day = models.PositiveIntegerField(
        default=480, validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )
    minutes_per_week = models.PositiveIntegerField(
        default=2400, validators=[MinValueValidator(1), MaxValueValidator(10080)]
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="calendar_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CalendarException(OrgScopedModel):
    """A dated exception: non-working (a holiday, a shutdown) or with other working hours."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="exceptions")
    name = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()
    # [] means not working; otherwise the working intervals of each day in the range.
    working_intervals: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    is_public_holiday = models.BooleanField(default=False)

    scope_parents = ("calendar",)

    class Meta:
        ordering = ["start_date"]
        indexes = [models.Index(fields=["calendar", "start_date"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_date})"

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "must not be before start_date"})
