"""Checks for skills, resources (with their skills), cost rates and assignments.

A resource's skills are written with the resource, as ``skills=[{"skill_id": 3,
"proficiency": 4}, ...]`` in ``do_create``/``do_update`` data: the core services replace
the ``ResourceSkill`` rows, check each skill is the organisation's and each proficiency is
1-5, and audit the list before and after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pmo.core.access import Access
from pmo.core.services import checks, do_update
from pmo.errors import FieldError, ValidationFailed
from pmo.resources.models import Assignment, CostRate, Resource


def do_set_skills(
    access: Access, resource: Resource, skills: Sequence[Mapping[str, Any]], version: int
) -> Resource:
    """Replace ``resource``'s skills (``[{"skill_id", "proficiency"}]``) at ``version``."""
    return do_update(access, resource, {"skills": list(skills)}, version)


@checks(CostRate)
def check_cost_rate(access: Access, obj: CostRate, data: Mapping[str, Any]) -> None:
    errors = [
        FieldError((name,), "must not be negative")
        for name in ("standard_rate", "overtime_rate", "cost_per_use")
        if getattr(obj, name) is not None and getattr(obj, name) < 0
    ]
    if errors:
        raise ValidationFailed(errors)


@checks(Assignment)
def check_assignment(access: Access, obj: Assignment, data: Mapping[str, Any]) -> None:
    if obj.task.organisation_id != obj.resource.organisation_id:
        raise ValidationFailed.field(
            "resource_id", f"resource {obj.resource_id} belongs to another organisation"
        )
