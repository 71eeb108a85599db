"""A delete that takes other rows with it audits each of them."""

from __future__ import annotations

from typing import Any


def test_deleting_a_project_audits_its_tasks_and_links(
    two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.core.access import Access
    from pmo.core.models import AuditEvent
    from pmo.core.services import do_delete
    from pmo.projects.models import Dependency, Task

    acme = two_orgs["acme"]
    user = make_user("admin", acme["org"])
    project = acme["project"]
    task_ids = sorted(t.pk for t in acme["tasks"])
    link_id = acme["dependency"].pk
    do_delete(Access(user), project, project.version)

    assert not Task.objects.filter(pk__in=task_ids).exists()
    assert not Dependency.objects.filter(pk=link_id).exists()
    events = AuditEvent.objects.filter(action="delete", username="admin")
    tasks = events.filter(object_type="projects.task")
    assert sorted(tasks.values_list("object_id", flat=True)) == task_ids
    design = tasks.get(object_id=acme["tasks"][0].pk)
    assert design.changes["name"] == ["Design", None]
    assert design.organisation_id == acme["org"].pk
    assert events.filter(object_type="projects.dependency", object_id=link_id).exists()
    assert events.filter(object_type="projects.project", object_id=project.pk).exists()
