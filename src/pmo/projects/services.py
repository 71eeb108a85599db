"""Checks and hooks for projects, tasks and dependencies.

- A project's program belongs to its portfolio; it finishes no earlier than it starts.
- A task's parent is in the same project and the parent chain has no loop; a task with
  children is a summary (``is_summary`` follows every create, move and delete of a child,
  in the same transaction); date constraints carry a date exactly when they need one.
- A dependency links two different tasks of one organisation (projects may differ) and
  never closes a cycle: ``CircularDependency`` names the tasks of the cycle.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Q

from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.core.services import after_write, checks, record
from pmo.errors import CircularDependency, FieldError, ValidationFailed
from pmo.orgs.models import Organisation
from pmo.projects.models import ConstraintType, Dependency, Project, Task

TAG_NAME_SIZE = 100
TAG_VALUE_SIZE = 250
DATED_CONSTRAINTS = {
    ConstraintType.SNET,
    ConstraintType.SNLT,
    ConstraintType.FNET,
    ConstraintType.FNLT,
    ConstraintType.MSO,
    ConstraintType.MFO,
    ConstraintType.START_ON,
    ConstraintType.FINISH_ON,
}


@checks(Project)
def check_project(access: Access, obj: Project, data: Mapping[str, Any]) -> None:
    errors: list[FieldError] = []
    if obj.program_id is not None and obj.program.portfolio_id != obj.portfolio_id:  # type: ignore[union-attr]
        errors.append(
            FieldError(
                ("program_id",),
                f"program {obj.program_id} is not in portfolio {obj.portfolio_id}",
            )
        )
    if obj.planned_start and obj.planned_finish and obj.planned_finish < obj.planned_start:
        errors.append(FieldError(("planned_finish",), "must not be before planned_start"))
    if errors:
        raise ValidationFailed(errors)


def _check_parent(obj: Task) -> list[FieldError]:
    if (
        obj.pk is not None
        and Task.objects.filter(parent_id=obj.pk).exclude(project_id=obj.project_id).exists()
    ):
        return [FieldError(("project_id",), "the task's sub-tasks are in its project: move them")]
    if obj.parent_id is None:
        return []
    parent = obj.parent
    assert parent is not None
    if parent.project_id != obj.project_id:
        return [FieldError(("parent_id",), f"task {obj.parent_id} is in another project")]
    if obj.pk is None:
        return []  # a new task has no children, so no loop
    if obj.parent_id == obj.pk:
        return [FieldError(("parent_id",), "a task cannot be its own parent")]
    parents = dict(Task.objects.filter(project_id=obj.project_id).values_list("pk", "parent_id"))
    current: int | None = obj.parent_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current == obj.pk:
            return [
                FieldError(
                    ("parent_id",), f"task {obj.parent_id} is below this task in the outline"
                )
            ]
        seen.add(current)
        current = parents.get(current)
    return _check_summary_links(obj, parents)


def _chain(task_id: int | None, parents: Mapping[int, int | None]) -> set[int]:
    """``task_id`` and every summary above it."""
    out: set[int] = set()
    while task_id is not None and task_id not in out:
        out.add(task_id)
        task_id = parents.get(task_id)
    return out


def _check_summary_links(obj: Task, parents: Mapping[int, int | None]) -> list[FieldError]:
    """As in MS Project, a summary task cannot be linked to one of its own sub-tasks: such a
    link would make the summary wait for itself."""
    parents = {**parents, obj.pk: obj.parent_id}
    above = _chain(obj.parent_id, parents)
    below = {pk for pk in parents if obj.pk in _chain(pk, parents)}
    clash = (
        Dependency.objects.filter(
            Q(predecessor_id__in=above, successor_id__in=below)
            | Q(predecessor_id__in=below, successor_id__in=above)
        )
        .values_list("predecessor__name", "successor__name")
        .first()
    )
    if clash:
        return [
            FieldError(
                ("parent_id",),
                f"the link {clash[0]} → {clash[1]} would join a summary task and its own "
                "sub-task; remove it first",
            )
        ]
    return []


@checks(Task)
def check_task(access: Access, obj: Task, data: Mapping[str, Any]) -> None:
    errors = _check_parent(obj)
    if obj.constraint_type in DATED_CONSTRAINTS and obj.constraint_date is None:
        errors.append(
            FieldError(("constraint_date",), f"required for constraint {obj.constraint_type}")
        )
    if obj.constraint_type not in DATED_CONSTRAINTS and obj.constraint_date is not None:
        errors.append(
            FieldError(("constraint_date",), f"must be empty for constraint {obj.constraint_type}")
        )
    second = obj.secondary_constraint_type
    if second and second not in DATED_CONSTRAINTS:
        errors.append(
            FieldError(("secondary_constraint_type",), "a secondary constraint has a date")
        )
    elif second and obj.secondary_constraint_date is None:
        errors.append(FieldError(("secondary_constraint_date",), f"required for {second}"))
    elif not second and obj.secondary_constraint_date is not None:
        errors.append(
            FieldError(("secondary_constraint_date",), "must be empty without a constraint")
        )
    if obj.actual_start and obj.actual_finish and obj.actual_finish < obj.actual_start:
        errors.append(FieldError(("actual_finish",), "must not be before actual_start"))
    errors.extend(_check_tags(obj.tags))
    if errors:
        raise ValidationFailed(errors)


def _check_tags(tags: Any) -> list[FieldError]:
    """Tags are a mapping of names to text values (a label alone has the value "")."""
    if not isinstance(tags, dict):
        return [FieldError(("tags",), "a mapping of tag names to values")]
    errors = []
    for name, value in tags.items():
        if not name.strip() or len(name) > TAG_NAME_SIZE:
            errors.append(FieldError(("tags", name), f"a name of 1 to {TAG_NAME_SIZE} characters"))
        elif not isinstance(value, str) or len(value) > TAG_VALUE_SIZE:
            errors.append(
                FieldError(("tags", name), f"text of at most {TAG_VALUE_SIZE} characters")
            )
    return errors


def refresh_summary_flags(access: Access | None, task_ids: Iterable[int | None]) -> None:
    """Set ``is_summary`` of these tasks from whether they have children, auditing flips.

    ``is_summary`` is derived (not editable), so this does not move the task's version.
    """
    ids = {i for i in task_ids if i is not None}
    if not ids:
        return
    has_children = Exists(Task.objects.filter(parent_id=OuterRef("pk")))
    for task in Task.objects.filter(pk__in=ids).annotate(has_children=has_children):
        flag = bool(task.has_children)  # type: ignore[attr-defined]
        if task.is_summary == flag:
            continue
        Task.objects.filter(pk=task.pk).update(is_summary=flag)
        record(access, AuditEvent.Action.UPDATE, task, {"is_summary": [task.is_summary, flag]})


@after_write(Task)
def keep_summaries(
    access: Access | None, obj: Task, action: str, before: Mapping[str, Any]
) -> None:
    if action == AuditEvent.Action.CREATE:
        refresh_summary_flags(access, [obj.parent_id])
    elif action == AuditEvent.Action.UPDATE:
        if before.get("parent_id") != obj.parent_id:
            refresh_summary_flags(access, [before.get("parent_id"), obj.parent_id])
    else:
        refresh_summary_flags(access, [before.get("parent_id")])


def find_cycle(
    edges: Iterable[tuple[int, int]], predecessor: int, successor: int
) -> list[int] | None:
    """The tasks of the cycle that a new link ``predecessor → successor`` would close.

    Breadth-first from ``successor`` along the existing links; if ``predecessor`` is
    reached, the path found plus the new link is a cycle. Linear in the links.
    """
    if predecessor == successor:
        return [predecessor]
    graph: dict[int, list[int]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
    came_from: dict[int, int] = {successor: successor}
    queue = deque([successor])
    while queue:
        node = queue.popleft()
        for nxt in graph.get(node, ()):
            if nxt in came_from:
                continue
            came_from[nxt] = node
            if nxt == predecessor:
                path = [nxt]
                while path[-1] != successor:
                    path.append(came_from[path[-1]])
                path.reverse()  # successor → ... → predecessor
                return [predecessor, *path[:-1]]
            queue.append(nxt)
    return None


@checks(Dependency)
def check_dependency(access: Access, obj: Dependency, data: Mapping[str, Any]) -> None:
    if obj.predecessor_id == obj.successor_id:
        raise ValidationFailed.field("successor_id", "a task cannot depend on itself")
    predecessor, successor = obj.predecessor, obj.successor
    if predecessor.organisation_id != successor.organisation_id:
        raise ValidationFailed.field(
            "predecessor_id", f"task {obj.predecessor_id} belongs to another organisation"
        )
    if obj.pk is not None and not {"predecessor_id", "successor_id"} & set(data):
        return  # type or lag only: the graph does not change
    if predecessor.project_id == successor.project_id:
        parents = dict(
            Task.objects.filter(project_id=successor.project_id).values_list("pk", "parent_id")
        )
        if predecessor.pk in _chain(successor.pk, parents) or successor.pk in _chain(
            predecessor.pk, parents
        ):
            raise ValidationFailed.field(
                "predecessor_id",
                "a summary task cannot be linked to one of its own sub-tasks (as in MS Project)",
            )
    # One writer of links per organisation at a time, so two links cannot close a cycle
    # together unseen (a row lock on PostgreSQL; SQLite writes one at a time anyway).
    Organisation.objects.select_for_update().filter(pk=obj.organisation_id).first()
    links = Dependency.objects.filter(organisation_id=obj.organisation_id)
    if obj.pk is not None:
        links = links.exclude(pk=obj.pk)
    edges = links.values_list("predecessor_id", "successor_id").iterator(chunk_size=5000)
    cycle = find_cycle(edges, int(obj.predecessor_id), int(obj.successor_id))
    if cycle:
        names = dict(Task.objects.filter(pk__in=cycle).values_list("pk", "name"))
        raise CircularDependency([f"{names.get(pk, '?')} (#{pk})" for pk in cycle])


# The scheduling service registers its reschedule-after-edit hooks when imported; after the
# summary-flag hook above, so a reschedule sees the new outline.
from pmo.projects import scheduling as _scheduling  # noqa: E402, F401
