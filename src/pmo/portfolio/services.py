"""Checks for strategic objectives, portfolios and programs, and the hierarchy helper.

``check_hierarchy`` is shared by every row that may hang under a portfolio, a program or a
project (budget lines, risks, decisions...): the parents it names must be one branch of
the tree (the project's program and portfolio, the program's portfolio).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmo.core.access import Access
from pmo.core.services import checks
from pmo.errors import FieldError, ValidationFailed
from pmo.portfolio.models import Program, StrategicObjective


def check_hierarchy(obj: Any, *, require_one: bool = False) -> None:
    """``obj``'s ``portfolio``/``program``/``project``/``task`` name one branch of the tree."""
    errors: list[FieldError] = []
    portfolio_id = getattr(obj, "portfolio_id", None)
    program_id = getattr(obj, "program_id", None)
    project_id = getattr(obj, "project_id", None)
    task_id = getattr(obj, "task_id", None)
    program = getattr(obj, "program", None) if program_id else None
    project = getattr(obj, "project", None) if project_id else None
    if program is not None and portfolio_id and program.portfolio_id != portfolio_id:
        errors.append(
            FieldError(("program_id",), f"program {program_id} is not in portfolio {portfolio_id}")
        )
    if project is not None:
        if program_id and project.program_id != program_id:
            errors.append(
                FieldError(("project_id",), f"project {project_id} is not in program {program_id}")
            )
        if portfolio_id and project.portfolio_id != portfolio_id:
            errors.append(
                FieldError(
                    ("project_id",), f"project {project_id} is not in portfolio {portfolio_id}"
                )
            )
    if task_id:
        task = getattr(obj, "task", None)
        if task is not None and project_id is None and hasattr(obj, "project_id"):
            errors.append(FieldError(("project_id",), "required when a task is given"))
        elif task is not None and task.project_id != project_id:
            errors.append(
                FieldError(("task_id",), f"task {task_id} is not in project {project_id}")
            )
    if require_one and not (portfolio_id or program_id or project_id):
        errors.append(FieldError(("project_id",), "give a project, a program or a portfolio"))
    if errors:
        raise ValidationFailed(errors)


@checks(StrategicObjective)
def check_objective(access: Access, obj: StrategicObjective, data: Mapping[str, Any]) -> None:
    """An objective's parent chain never loops back to it."""
    if obj.pk is None or obj.parent_id is None:
        return
    parents = dict(
        StrategicObjective.objects.filter(organisation_id=obj.organisation_id).values_list(
            "pk", "parent_id"
        )
    )
    parents[obj.pk] = obj.parent_id
    seen = {obj.pk}
    current: int | None = obj.parent_id
    while current is not None:
        if current in seen:
            raise ValidationFailed.field(
                "parent_id", "an objective cannot be placed under itself or its sub-objectives"
            )
        seen.add(current)
        current = parents.get(current)


@checks(Program)
def check_program(access: Access, obj: Program, data: Mapping[str, Any]) -> None:
    """A program moves to another portfolio only without projects (they'd be left behind)."""
    if obj.pk is None or "portfolio_id" not in data:
        return
    from pmo.projects.models import Project

    stranded = Project.objects.filter(program_id=obj.pk).exclude(portfolio_id=obj.portfolio_id)
    if stranded.exists():
        codes = ", ".join(stranded.values_list("code", flat=True)[:5])
        raise ValidationFailed.field(
            "portfolio_id",
            f"the program's projects ({codes}) are in another portfolio: move them first",
        )
