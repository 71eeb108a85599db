"""The project page (tabs, task table) and the project, task and dependency forms."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.core.services import do_update
from pmo.errors import FieldError, ValidationFailed
from pmo.projects.models import Dependency, Project, Task

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return response.content.decode()


def _cells(html: str, task_id: int) -> list[str]:
    row = re.search(rf'<tr id="task-{task_id}".*?</tr>', html, re.S)
    assert row, f"no row for task {task_id}"
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[0], re.S)
    ]


def test_anonymous_users_are_sent_to_the_login_page(client: Client, two_orgs: Any) -> None:
    response = client.get(f"/projects/{two_orgs['acme']['project'].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_task_table_outline_durations_float_and_predecessors(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    org, project = acme["org"], acme["project"]
    design, build = acme["tasks"]
    login_as(org)

    def task(name: str, position: int, **kw: Any) -> Task:
        return Task.objects.create(
            organisation=org, project=project, name=name, position=position, **kw
        )

    summary = task("Summary", 3, wbs="3")
    a = task("Child A", 1, parent=summary, is_critical=True, total_float_minutes=0)
    b = task("Child B", 2, parent=summary, duration_minutes=1200, total_float_minutes=960)
    m = task("Go live", 9, is_milestone=True, duration_minutes=0)
    other = Project.objects.create(
        organisation=org, portfolio=acme["portfolio"], code="acme-2", name="Other", currency="EUR"
    )
    x = Task.objects.create(organisation=org, project=other, name="External", position=1)

    def link(p: Task, s: Task, **kw: Any) -> None:
        Dependency.objects.create(organisation=org, predecessor=p, successor=s, **kw)

    link(a, b, type="SS", lag=960)
    link(b, m, lag=480)
    link(design, m, type="FF", lag=-240)
    link(x, m)

    html = _text(client.get(f"/projects/{project.pk}/"))
    # outline order: Design 1, Build 2, Summary 3, Child A 4, Child B 5, Go live 6
    order = [int(n) for n in re.findall(r'<td class="num muted">(\d+)</td>', html)]
    ids = [int(i) for i in re.findall(r'<tr id="task-(\d+)"', html)]
    assert ids == [design.pk, build.pk, summary.pk, a.pk, b.pk, m.pk]
    assert order == [1, 2, 3, 4, 5, 6]
    assert _cells(html, build.pk)[11] == "1"
    assert _cells(html, b.pk)[11] == "4SS+2d"
    assert _cells(html, b.pk)[4] == "2.5"  # 1200 minutes of 480
    assert _cells(html, b.pk)[9] == "2"  # float 960 minutes
    assert _cells(html, m.pk)[11] == f"5FS+1d; 1FF-0.5d; acme-2#{x.pk}"
    assert _cells(html, m.pk)[3] == "◆"
    assert "padding-left: 1.25rem" in re.search(rf'<tr id="task-{a.pk}".*?</tr>', html, re.S)[0]
    assert re.search(
        rf'<tr id="task-{a.pk}" title="On the critical path" class="critical-row', html
    )
    assert "(critical)" in _cells(html, a.pk)[2]
    # breadcrumbs: organisation › portfolio › program › project
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S)[0]
    assert all(
        s in crumbs for s in ["Acme", "acme portfolio", "acme program", "acme-1 acme project"]
    )


def test_lag_in_elapsed_days_and_percent() -> None:
    from pmo.projects.views import link_label

    assert link_label("3", "FS", 2880, "elapsed", 480) == "3FS+2ed"
    assert link_label("3", "SF", 50, "percent", 480) == "3SF+50%"
    assert link_label("7", "FS", 0, "working", 480) == "7"
    assert link_label("7", "SS", 0, "working", 480) == "7SS"


@pytest.mark.parametrize("tab", ["risks", "issues", "changes", "decisions"])
def test_tabs_work_without_and_with_htmx(
    client: Client, two_orgs: Any, login_as: Any, tab: str
) -> None:
    login_as(two_orgs["acme"]["org"])
    url = f"/projects/{two_orgs['acme']['project'].pk}/?tab={tab}"
    full = client.get(url)
    assert full.status_code == 200
    assert "<html" in _text(full)
    assert re.search(
        rf'href="[^"]*\?tab={tab}"[^>]*\n?\s*hx-get[^>]*\n?[^>]*class="active"', _text(full)
    )
    partial = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="project-tabs")
    assert partial.status_code == 200
    assert "<html" not in _text(partial)
    assert 'id="tab-panel"' in _text(partial)
    assert "HX-Request" in partial["Vary"]


def test_project_page_queries_do_not_grow_with_tasks(
    client: Client,
    two_orgs: Any,
    login_as: Any,
    big_project: Any,
    django_assert_max_num_queries: Any,
) -> None:
    login_as(two_orgs["acme"]["org"])
    small, big = big_project(10), big_project(150)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/projects/{small.pk}/").status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"/projects/{big.pk}/")
    assert response.status_code == 200
    assert _text(response).count('<tr id="task-') == 150
    assert len(few.captured_queries) <= 17


def test_another_organisations_objects_are_404(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    login_as(two_orgs["acme"]["org"])
    globex = two_orgs["globex"]
    for url in [
        f"/projects/{globex['project'].pk}/",
        f"/projects/{globex['project'].pk}/edit/",
        f"/projects/{globex['project'].pk}/tasks/new/",
        f"/tasks/{globex['tasks'][0].pk}/edit/",
        f"/projects/new/?portfolio={globex['portfolio'].pk}",
        "/projects/999999/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "not a member of" in _text(response)
    response = client.post(
        f"/tasks/{globex['tasks'][0].pk}/edit/",
        {"name": "hacked", "duration_days": "1", "version": 1},
    )
    assert response.status_code == 404
    assert Task.objects.get(pk=globex["tasks"][0].pk).name == "Design"


def _task_post(task: Task, **changes: Any) -> dict[str, Any]:
    data = {
        "name": task.name,
        "parent": task.parent_id or "",
        "position": task.position,
        "duration_days": "1",
        "constraint_type": task.constraint_type,
        "percent_complete": task.percent_complete,
        "notes": task.notes,
        "version": task.version,
    }
    data.update(changes)
    return data


def test_task_edit_saves_days_as_minutes_with_audit(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    user = login_as(acme["org"])
    task = acme["tasks"][1]
    page = client.get(f"/tasks/{task.pk}/edit/")
    assert page.status_code == 200
    html = _text(page)
    assert 'name="version" value="1"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="duration_days" value="1"' in html
    response = client.post(
        f"/tasks/{task.pk}/edit/",
        _task_post(
            task,
            name="Build it",
            duration_days="2.5",
            constraint_type="SNET",
            constraint_date="2026-03-02T08:00",
            percent_complete=40,
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{acme['project'].pk}/#task-{task.pk}"
    task.refresh_from_db()
    assert (task.name, task.duration_minutes, task.version) == ("Build it", 1200, 2)
    assert task.constraint_date.isoformat() == "2026-03-02T08:00:00+00:00"
    event = AuditEvent.objects.get(object_type="projects.task", object_id=task.pk, action="update")
    assert event.username == user.username
    assert event.changes["duration_minutes"] == [480, 1200]
    html = _text(client.get(f"/tasks/{task.pk}/edit/"))
    history = html[html.index('id="history"') :]
    assert "Build it" in history and "1200" in history and user.username in history
    row = _cells(_text(client.get(f"/projects/{acme['project'].pk}/")), task.pk)
    assert row[2].removesuffix(" (critical)") == "Build it"
    # the edit rescheduled the project: progress without an actual start takes the first
    # working moment of the project as the actual start (as MS Project does), 2.5 days long
    task.refresh_from_db()
    start = task.early_start
    assert start is not None and (start.hour, start.minute) == (8, 0)
    assert row[5] == f"{start:%Y-%m-%d} 08:00"


def test_stale_edit_is_refused_with_a_clear_message(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    user = login_as(acme["org"])
    task = acme["tasks"][0]
    form_version = task.version
    do_update(Access(user), Task.objects.get(pk=task.pk), {"name": "Theirs"}, task.version)
    response = client.post(
        f"/tasks/{task.pk}/edit/", _task_post(task, name="Mine", version=form_version)
    )
    assert response.status_code == 409
    assert (
        "This task was changed by someone else since you opened it — reload to see their "
        "change; your edit was not saved" in _text(response)
    )
    task.refresh_from_db()
    assert task.name == "Theirs"


def test_form_errors_are_shown_next_to_fields(client: Client, two_orgs: Any, login_as: Any) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"])
    task = acme["tasks"][0]
    response = client.post(
        f"/tasks/{task.pk}/edit/", _task_post(task, percent_complete=150, name="")
    )
    assert response.status_code == 422
    html = _text(response)
    assert re.search(r'id="id_percent_complete_errors"><li>[^<]*100', html)
    assert 'id="id_name_errors"' in html
    assert Task.objects.get(pk=task.pk).version == 1


def test_service_validation_errors_map_to_form_fields(
    client: Client, two_orgs: Any, login_as: Any, monkeypatch: Any
) -> None:
    from pmo.core import services

    def refuse(*_: Any, **__: Any) -> None:
        raise ValidationFailed(
            [
                FieldError(("duration_minutes",), "too long for a milestone"),
                FieldError(("parent_id",), "a task cannot be its own parent"),
                FieldError(("tasks", 3), "something else"),
            ]
        )

    monkeypatch.setattr(services, "do_update", refuse)
    acme = two_orgs["acme"]
    login_as(acme["org"])
    task = acme["tasks"][0]
    response = client.post(f"/tasks/{task.pk}/edit/", _task_post(task))
    assert response.status_code == 422
    html = _text(response)
    assert re.search(r'id="id_duration_days_errors"><li>too long for a milestone', html)
    assert re.search(r'id="id_parent_errors"><li>a task cannot be its own parent', html)
    assert "tasks.3: something else" in html


def test_viewer_reads_but_may_not_write(client: Client, two_orgs: Any, login_as: Any) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"], role="executive_viewer")
    task = acme["tasks"][0]
    page = client.get(f"/projects/{acme['project'].pk}/")
    assert page.status_code == 200
    assert "New task" not in _text(page)
    edit = client.get(f"/tasks/{task.pk}/edit/")
    assert edit.status_code == 200
    assert "your role does not let you change it" in _text(edit)
    assert 'type="submit" class="primary"' not in _text(edit)
    response = client.post(f"/tasks/{task.pk}/edit/", _task_post(task, name="Nope"))
    assert response.status_code == 403
    assert "You may not change this task with your role" in _text(response)
    assert "Executive viewer" in _text(response)
    assert Task.objects.get(pk=task.pk).name == "Design"
    assert client.get(f"/projects/{acme['project'].pk}/tasks/new/").status_code == 403
    created = client.post(
        f"/projects/{acme['project'].pk}/tasks/new/",
        {
            "name": "x",
            "duration_days": 1,
            "position": 3,
            "constraint_type": "ASAP",
            "percent_complete": 0,
        },
    )
    assert created.status_code == 403
    assert not Task.objects.filter(name="x").exists()


def test_project_scoped_team_member_may_edit_tasks_but_not_the_project(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"], role="team_member", project=acme["project"])
    task = acme["tasks"][0]
    assert client.post(f"/tasks/{task.pk}/edit/", _task_post(task, name="Ok")).status_code == 302
    assert "your role does not let you change it" in _text(
        client.get(f"/projects/{acme['project'].pk}/edit/")
    )


def test_new_task_inline_with_htmx(client: Client, two_orgs: Any, login_as: Any) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"])
    project = acme["project"]
    url = f"/projects/{project.pk}/tasks/new/"
    form = client.get(url, HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    assert "<html" not in _text(form) and f'hx-post="{url}"' in _text(form)
    assert 'name="position" value="3"' in _text(form)
    bad = client.post(
        url,
        {
            "name": "",
            "duration_days": "1",
            "position": 3,
            "constraint_type": "ASAP",
            "percent_complete": 0,
        },
        HTTP_HX_REQUEST="true",
    )
    assert (
        bad.status_code == 422 and "<html" not in _text(bad) and 'id="id_name_errors"' in _text(bad)
    )
    ok = client.post(
        url,
        {
            "name": "Test",
            "parent": acme["tasks"][0].pk,
            "duration_days": "0.5",
            "position": 3,
            "constraint_type": "ASAP",
            "percent_complete": 0,
        },
        HTTP_HX_REQUEST="true",
    )
    assert ok.status_code == 200
    new = Task.objects.get(name="Test")
    assert ok["HX-Redirect"] == f"/projects/{project.pk}/#task-{new.pk}"
    assert (new.duration_minutes, new.parent_id, new.organisation_id) == (
        240,
        acme["tasks"][0].pk,
        acme["org"].pk,
    )
    assert AuditEvent.objects.filter(
        object_type="projects.task", object_id=new.pk, action="create"
    ).exists()


def test_parent_choices_exclude_the_task_and_its_descendants(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"])
    design, build = acme["tasks"]
    child = Task.objects.create(
        organisation=acme["org"], project=acme["project"], parent=design, name="Child", position=5
    )
    html = _text(client.get(f"/tasks/{design.pk}/edit/"))
    parent_select = re.search(r'<select name="parent".*?</select>', html, re.S)[0]
    assert f'value="{build.pk}"' in parent_select
    assert (
        f'value="{design.pk}"' not in parent_select and f'value="{child.pk}"' not in parent_select
    )
    assert f'value="{two_orgs["globex"]["tasks"][0].pk}"' not in parent_select


def test_add_and_remove_a_predecessor(client: Client, two_orgs: Any, login_as: Any) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"])
    _design, build = acme["tasks"]
    extra = Task.objects.create(
        organisation=acme["org"], project=acme["project"], name="Test", position=3
    )
    response = client.post(
        f"/tasks/{extra.pk}/predecessors/",
        {"predecessor": build.pk, "type": "SS", "lag_days": "1.5"},
    )
    assert response.status_code == 302
    link = Dependency.objects.get(successor=extra)
    assert (link.predecessor_id, link.type, link.lag, link.lag_unit) == (
        build.pk,
        "SS",
        720,
        "working",
    )
    assert _cells(_text(client.get(f"/projects/{acme['project'].pk}/")), extra.pk)[11] == "2SS+1.5d"
    page = _text(client.get(f"/tasks/{extra.pk}/edit/"))
    assert "2SS+1.5d" in page
    # a duplicate is refused with a message, not a crash
    client.post(f"/tasks/{extra.pk}/predecessors/", {"predecessor": build.pk, "type": "FS"})
    assert Dependency.objects.filter(successor=extra).count() == 1
    # a link closing a loop is refused with the tasks of the cycle
    response = client.post(
        f"/tasks/{build.pk}/predecessors/", {"predecessor": extra.pk, "type": "FS"}, follow=True
    )
    assert "Circular dependency" in _text(response)
    assert not Dependency.objects.filter(predecessor=extra, successor=build).exists()
    # another organisation's task cannot be linked
    globex_task = two_orgs["globex"]["tasks"][0]
    client.post(f"/tasks/{extra.pk}/predecessors/", {"predecessor": globex_task.pk, "type": "FS"})
    assert not Dependency.objects.filter(predecessor=globex_task, successor=extra).exists()
    # removing with a stale version is refused
    client.post(f"/dependencies/{link.pk}/delete/", {"version": link.version + 5})
    assert Dependency.objects.filter(pk=link.pk).exists()
    response = client.post(f"/dependencies/{link.pk}/delete/", {"version": link.version})
    assert response.status_code == 302
    assert not Dependency.objects.filter(pk=link.pk).exists()
    assert AuditEvent.objects.filter(
        object_type="projects.dependency", object_id=link.pk, action="delete"
    ).exists()


def test_viewer_cannot_change_dependencies(client: Client, two_orgs: Any, login_as: Any) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"], role="executive_viewer")
    link = acme["dependency"]
    assert (
        client.post(f"/dependencies/{link.pk}/delete/", {"version": link.version}).status_code
        == 403
    )
    response = client.post(
        f"/tasks/{acme['tasks'][0].pk}/predecessors/",
        {"predecessor": acme["tasks"][1].pk, "type": "FS"},
    )
    assert response.status_code == 403
    assert Dependency.objects.count() == 2


def test_create_and_edit_a_project(client: Client, two_orgs: Any, login_as: Any) -> None:
    acme = two_orgs["acme"]
    manager = login_as(acme["org"])
    url = f"/projects/new/?portfolio={acme['portfolio'].pk}&program={acme['program'].pk}"
    page = _text(client.get(url))
    assert 'value="EUR"' in page
    response = client.post(
        url,
        {
            "portfolio": acme["portfolio"].pk,
            "program": acme["program"].pk,
            "code": "acme-9",
            "name": "New one",
            "manager": manager.pk,
            "phase": "planning",
            "status": "at_risk",
            "priority": 600,
            "planned_start": "2026-01-05",
            "planned_finish": "2026-06-30",
            "budget": "125000.50",
            "currency": "EUR",
            "calendar": acme["calendar"].pk,
        },
    )
    project = Project.objects.get(code="acme-9")
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/"
    assert (project.manager_id, str(project.budget), project.organisation_id) == (
        manager.pk,
        "125000.50",
        acme["org"].pk,
    )
    program_page = _text(client.get(f"/programs/{acme['program'].pk}/"))
    assert "acme-9" in program_page and "125,001 EUR" in program_page
    # editing with a duplicate code: the error is shown next to the code field
    response = client.post(
        f"/projects/{project.pk}/edit/",
        {
            "portfolio": acme["portfolio"].pk,
            "code": "acme-1",
            "name": "New one",
            "phase": "planning",
            "status": "at_risk",
            "priority": 600,
            "budget": "1",
            "currency": "EUR",
            "version": project.version,
        },
    )
    assert response.status_code in (409, 422)
    assert Project.objects.get(pk=project.pk).code == "acme-9"


def test_forms_need_the_csrf_token(two_orgs: Any, make_user: Any) -> None:
    acme = two_orgs["acme"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("csrf", acme["org"]))
    task = acme["tasks"][0]
    assert client.post(f"/tasks/{task.pk}/edit/", _task_post(task, name="x")).status_code == 403
    assert Task.objects.get(pk=task.pk).name == "Design"


def _project_post(project: Project, **changes: Any) -> dict[str, Any]:
    """The project form as a browser posts it, scheduling options included."""
    data: dict[str, Any] = {
        "portfolio": project.portfolio_id,
        "program": project.program_id or "",
        "code": project.code,
        "name": project.name,
        "phase": project.phase,
        "status": project.status,
        "priority": project.priority,
        "planned_start": project.planned_start.isoformat() if project.planned_start else "",
        "budget": str(project.budget),
        "currency": project.currency,
        "calendar": project.calendar_id or "",
        "scheduling_convention": project.scheduling_convention,
        "lag_calendar": project.lag_calendar,
        "progress_mode": project.progress_mode,
        "critical_float_days": "0",
        "honor_constraint_dates": "true" if project.honor_constraint_dates else "false",
        "schedule_from_status_date": "true" if project.schedule_from_status_date else "false",
        "start_lag_from_early_start": "true" if project.start_lag_from_early_start else "false",
        "use_expected_finish": "true" if project.use_expected_finish else "false",
        "must_finish_by": "",
        "version": project.version,
    }
    data.update(changes)
    return data


def _scheduled_project(acme: Any, user: Any) -> Project:
    """The acme project starting Monday 5 January 2026 (two 1-day tasks, finish-to-start),
    rescheduled through the service."""
    project = Project.objects.get(pk=acme["project"].pk)
    return do_update(Access(user), project, {"planned_start": "2026-01-05"}, project.version)


def test_project_edit_shows_and_saves_the_scheduling_options(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    user = login_as(acme["org"])
    project = _scheduled_project(acme, user)
    build = Task.objects.get(pk=acme["tasks"][1].pk)
    assert (build.total_float_minutes, build.is_critical) == (0, True)
    html = _text(client.get(f"/projects/{project.pk}/edit/"))
    assert re.search(r'<option value="msproject" selected>', html)
    assert re.search(r'name="honor_constraint_dates"[^>]*>\s*<option value="true" selected>', html)
    assert 'name="critical_float_days" value="0"' in html
    assert 'name="must_finish_by"' in html
    response = client.post(
        f"/projects/{project.pk}/edit/",
        _project_post(
            project,
            scheduling_convention="p6",
            lag_calendar="predecessor",
            progress_mode="progress_override",
            critical_float_days="0.5",
            honor_constraint_dates="false",
            start_lag_from_early_start="true",
            must_finish_by="2026-01-09T17:00",
        ),
    )
    assert response.status_code == 302, _text(response)
    project.refresh_from_db()
    assert (
        project.scheduling_convention,
        project.lag_calendar,
        project.progress_mode,
        project.critical_float_minutes,
        project.honor_constraint_dates,
        project.schedule_from_status_date,
        project.start_lag_from_early_start,
        project.use_expected_finish,
        project.must_finish_by.isoformat(),
    ) == (
        "p6",
        "predecessor",
        "progress_override",
        240,
        False,
        True,
        True,
        False,
        "2026-01-09T17:00:00+00:00",
    )
    event = AuditEvent.objects.filter(
        object_type="projects.project", object_id=project.pk, action="update"
    ).latest("pk")
    assert event.username == user.username
    assert event.changes["scheduling_convention"] == ["msproject", "p6"]
    assert event.changes["critical_float_minutes"] == [0, 240]
    assert event.changes["honor_constraint_dates"] == [True, False]
    # the save rescheduled the project, as an API change does: Build finishes on Tuesday
    # 6 January and must finish by Friday 9, 3 working days of float (more than the half day
    # the new threshold calls critical)
    build.refresh_from_db()
    assert build.early_finish is not None and build.early_finish.date().isoformat() == "2026-01-06"
    assert (build.total_float_minutes, build.is_critical) == (3 * 480, False)
    # the page shows the stored options back
    html = _text(client.get(f"/projects/{project.pk}/edit/"))
    assert re.search(r'<option value="p6" selected>', html)
    assert 'name="critical_float_days" value="0.5"' in html
    assert 'value="2026-01-09T17:00"' in html


def test_project_edit_without_the_scheduling_options_keeps_them(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    user = login_as(acme["org"])
    project = Project.objects.get(pk=acme["project"].pk)
    project = do_update(
        Access(user),
        project,
        {"scheduling_convention": "p6", "honor_constraint_dates": False},
        project.version,
    )
    data = _project_post(project, name="Renamed")
    for name in ["scheduling_convention", "honor_constraint_dates", "critical_float_days"]:
        del data[name]
    response = client.post(f"/projects/{project.pk}/edit/", data)
    assert response.status_code == 302, _text(response)
    project.refresh_from_db()
    assert (project.name, project.scheduling_convention, project.honor_constraint_dates) == (
        "Renamed",
        "p6",
        False,
    )


def test_project_scheduling_option_errors_are_shown_next_to_fields(
    client: Client, two_orgs: Any, login_as: Any, monkeypatch: Any
) -> None:
    acme = two_orgs["acme"]
    login_as(acme["org"])
    project = Project.objects.get(pk=acme["project"].pk)
    response = client.post(
        f"/projects/{project.pk}/edit/",
        _project_post(project, lag_calendar="sideways", honor_constraint_dates=""),
    )
    assert response.status_code == 422
    html = _text(response)
    assert re.search(r'id="id_lag_calendar_errors"><li>Select a valid choice', html)
    assert re.search(r'id="id_honor_constraint_dates_errors"><li>This field is required', html)
    assert Project.objects.get(pk=project.pk).version == project.version

    # what the service refuses is shown on the form's field, as the API names it
    from pmo.core import services

    def refuse(*_: Any, **__: Any) -> None:
        raise ValidationFailed(
            [
                FieldError(("critical_float_minutes",), "too much float"),
                FieldError(("scheduling_convention",), "not this one"),
            ]
        )

    monkeypatch.setattr(services, "do_update", refuse)
    response = client.post(f"/projects/{project.pk}/edit/", _project_post(project))
    assert response.status_code == 422
    html = _text(response)
    assert re.search(r'id="id_critical_float_days_errors"><li>too much float', html)
    assert re.search(r'id="id_scheduling_convention_errors"><li>not this one', html)


def test_stale_project_edit_keeps_the_other_scheduling_options(
    client: Client, two_orgs: Any, login_as: Any
) -> None:
    acme = two_orgs["acme"]
    user = login_as(acme["org"])
    project = Project.objects.get(pk=acme["project"].pk)
    form_version = project.version
    do_update(Access(user), project, {"lag_calendar": "project"}, project.version)
    response = client.post(
        f"/projects/{project.pk}/edit/",
        _project_post(project, lag_calendar="continuous", version=form_version),
    )
    assert response.status_code == 409
    assert "This project was changed by someone else since you opened it" in _text(response)
    assert Project.objects.get(pk=project.pk).lag_calendar == "project"
