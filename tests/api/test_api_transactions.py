"""A change that fails halfway leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def api(two_orgs: dict[str, Any], make_user: Any, api_for: Any) -> Any:
    client = api_for(make_user("admin", two_orgs["acme"]["org"]))
    client.client.raise_request_exception = False
    return client


def test_failure_after_the_save_rolls_the_row_back(
    two_orgs: dict[str, Any], api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmo.core import services
    from pmo.core.models import AuditEvent
    from pmo.projects.models import Task

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "record", broken)
    parent = two_orgs["acme"]["tasks"][0]
    events = AuditEvent.objects.count()
    r = api.post("/tasks", {"project_id": parent.project_id, "parent_id": parent.pk, "name": "K"})
    assert r.status_code == 500
    assert not Task.objects.filter(name="K").exists()
    parent.refresh_from_db()
    assert not parent.is_summary
    assert AuditEvent.objects.count() == events


def test_failure_in_the_second_row_rolls_back_the_first(
    two_orgs: dict[str, Any], api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Creating a child flips its parent to a summary; if that step fails, no child."""
    from pmo.core.models import AuditEvent
    from pmo.projects import services as project_services
    from pmo.projects.models import Task

    real = project_services.record
    calls: list[Any] = []

    def fail_on_parent(access: Any, action: str, obj: Any, changes: Any, **kw: Any) -> Any:
        calls.append(obj.pk)
        real(access, action, obj, changes, **kw)  # the parent's row and event are written...
        raise RuntimeError("...and then it fails")

    monkeypatch.setattr(project_services, "record", fail_on_parent)
    parent = two_orgs["acme"]["tasks"][0]
    events = AuditEvent.objects.count()
    r = api.post("/tasks", {"project_id": parent.project_id, "parent_id": parent.pk, "name": "K"})
    assert r.status_code == 500
    assert calls == [parent.pk]
    assert not Task.objects.filter(name="K").exists()
    parent.refresh_from_db()
    assert not parent.is_summary
    assert AuditEvent.objects.count() == events


def test_the_summary_flag_follows_children(two_orgs: dict[str, Any], api: Any) -> None:
    from pmo.projects.models import Task

    parent, other = two_orgs["acme"]["tasks"]
    r = api.post("/tasks", {"project_id": parent.project_id, "parent_id": parent.pk, "name": "K"})
    assert r.status_code == 201
    child = r.json()
    assert api.get(f"/tasks/{parent.pk}").json()["is_summary"] is True
    # Moving the child to another parent moves the flag.
    r = api.patch(f"/tasks/{child['id']}", {"parent_id": other.pk}, If_Match='"1"')
    assert r.status_code == 200
    assert Task.objects.get(pk=parent.pk).is_summary is False
    assert Task.objects.get(pk=other.pk).is_summary is True
    assert api.delete(f"/tasks/{child['id']}", If_Match='"2"').status_code == 204
    assert Task.objects.get(pk=other.pk).is_summary is False
