"""Checks for risks and issues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmo.core.access import Access
from pmo.core.services import checks
from pmo.errors import FieldError, ValidationFailed
from pmo.portfolio.services import check_hierarchy
from pmo.risks.models import Issue, Risk

THREE_POINTS = [
    ("cost_impact_min", "cost_impact_likely", "cost_impact_max"),
    ("schedule_impact_days_min", "schedule_impact_days_likely", "schedule_impact_days_max"),
]


@checks(Risk)
def check_risk(access: Access, obj: Risk, data: Mapping[str, Any]) -> None:
    """Parents on one branch; three-point estimates ordered min ≤ likely ≤ max."""
    check_hierarchy(obj)
    errors: list[FieldError] = []
    for low, likely, high in THREE_POINTS:
        a, b, c = getattr(obj, low), getattr(obj, likely), getattr(obj, high)
        if a is None or b is None or c is None:
            continue
        if b < a:
            errors.append(FieldError((likely,), f"must not be below {low}"))
        if c < b:
            errors.append(FieldError((high,), f"must not be below {likely}"))
    if errors:
        raise ValidationFailed(errors)


@checks(Issue)
def check_issue(access: Access, obj: Issue, data: Mapping[str, Any]) -> None:
    check_hierarchy(obj)
    if obj.raised_on and obj.due_date and obj.due_date < obj.raised_on:
        raise ValidationFailed.field("due_date", "must not be before raised_on")
