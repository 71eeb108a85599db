"""The platform core in a real browser: log in, navigate, edit a task, see it audited, and
be told (not overwritten) when someone else changed the task meanwhile.

Playwright drives Debian's chromium (``/usr/bin/chromium``; Playwright cannot download
its own browsers here). The application runs in pytest-django's ``live_server``.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path
from typing import Any

import pytest
from browser_support import BROWSER_MARKS

PASSWORD = "browser-test-pw-1"
SCREENSHOT = Path(os.environ.get("PMO_SCREENSHOT", "/tmp/pmo-project.png"))  # noqa: S108

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db: Any) -> dict[str, Any]:
    """An organisation with a portfolio, program, project of 40 tasks, and a PMO admin."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from pmo.orgs.models import Calendar, Membership, Organisation
    from pmo.portfolio.models import Portfolio, Program
    from pmo.projects.models import Dependency, Project, Task
    from pmo.risks.models import Risk

    org = Organisation.objects.create(code="initech", name="Initech", country="FR", currency="EUR")
    cal = Calendar.objects.create(organisation=org, name="Standard", country="FR")
    portfolio = Portfolio.objects.create(
        organisation=org, code="IT", name="IT portfolio", currency="EUR"
    )
    program = Program.objects.create(
        organisation=org, portfolio=portfolio, code="ERP", name="ERP programme"
    )
    project = Project.objects.create(
        organisation=org,
        portfolio=portfolio,
        program=program,
        code="ERP-1",
        name="Finance rollout",
        currency="EUR",
        calendar=cal,
        budget=250000,
        phase="execution",
        status="at_risk",
        planned_start=dt.date(2026, 1, 5),
        planned_finish=dt.date(2026, 6, 30),
    )
    start = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
    tasks: list[Any] = []
    parent = None
    for i in range(40):
        day = start + dt.timedelta(days=i)
        if i % 8 == 0:
            parent = Task.objects.create(
                organisation=org,
                project=project,
                name=f"Phase {i // 8 + 1}",
                position=i,
                wbs=str(i // 8 + 1),
                early_start=day,
                early_finish=day + dt.timedelta(days=7, hours=9),
            )
            Task.objects.filter(pk=parent.pk).update(is_summary=True)
            continue
        tasks.append(
            Task.objects.create(
                organisation=org,
                project=project,
                parent=parent,
                name=f"Work package {i}",
                position=i,
                wbs=f"{i // 8 + 1}.{i % 8}",
                duration_minutes=480 * (1 + i % 3),
                is_milestone=i % 8 == 7,
                early_start=day,
                early_finish=day + dt.timedelta(hours=9),
                is_critical=i % 3 == 0,
                total_float_minutes=0 if i % 3 == 0 else 480 * (i % 5),
            )
        )
    for k, (a, b) in enumerate(itertools.pairwise(tasks)):
        Dependency.objects.create(
            organisation=org,
            predecessor=a,
            successor=b,
            type="SS" if k % 5 == 4 else "FS",
            lag=480 * (k % 3 == 2),
        )
    Risk.objects.create(
        organisation=org,
        project=project,
        code="ERP-1-R01",
        title="Key user leaves",
        probability=4,
        impact=4,
    )
    user = get_user_model().objects.create_user(
        "alice", password=PASSWORD, first_name="Alice", last_name="Martin"
    )
    Membership.objects.create(user=user, organisation=org, role="pmo_admin")
    return {
        "org": org,
        "portfolio": portfolio,
        "program": program,
        "project": project,
        "tasks": tasks,
        "user": user,
    }


def _log_in(page: Any) -> None:
    page.goto("/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def _open_project(page: Any, world: dict[str, Any]) -> None:
    page.click(f"text={world['portfolio'].name}")
    page.wait_for_url(f"**/portfolios/{world['portfolio'].pk}/")
    page.click(f"h2 >> text={world['program'].name}")
    page.wait_for_url(f"**/programs/{world['program'].pk}/")
    page.click("table.projects >> text=Finance rollout")
    page.wait_for_url(f"**/projects/{world['project'].pk}/")


def test_edit_a_task_and_see_it_in_the_table_and_the_audit_trail(
    page: Any, world: dict[str, Any]
) -> None:
    from pmo.projects.models import Task

    _log_in(page)
    _open_project(page, world)
    breadcrumbs = page.inner_text("nav.breadcrumbs")
    assert all(
        s in breadcrumbs
        for s in ["Initech", "IT portfolio", "ERP programme", "ERP-1 Finance rollout"]
    )
    page.screenshot(path=str(SCREENSHOT), full_page=False)

    task = world["tasks"][2]
    row = page.locator(f"#task-{task.pk}")
    assert "Work package 3" in row.inner_text()
    row.get_by_role("link", name="Edit").click()
    page.wait_for_url(f"**/tasks/{task.pk}/edit/")
    page.fill("input[name=name]", "Configure ledgers")
    page.fill("input[name=duration_days]", "3.5")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/projects/{world['project'].pk}/**")
    row = page.locator(f"#task-{task.pk}")
    row.wait_for()
    assert "Configure ledgers" in row.locator("td.task-name").inner_text()
    assert row.locator("td.duration").inner_text().strip() == "3.5"
    assert "Saved task" in page.inner_text(".messages")

    stored = Task.objects.get(pk=task.pk)
    assert (stored.name, stored.duration_minutes, stored.version) == ("Configure ledgers", 1680, 2)

    row.get_by_role("link", name="Edit").click()
    page.wait_for_url(f"**/tasks/{task.pk}/edit/")
    page.screenshot(path=str(SCREENSHOT.with_name("pmo-task-edit.png")), full_page=True)
    history = page.locator("#history").inner_text()
    assert "alice" in history
    assert "Work package 3 → Configure ledgers" in history
    assert "480 → 1680" in history

    # tab switching with htmx keeps the page and updates the address
    page.go_back()
    page.wait_for_url(f"**/projects/{world['project'].pk}/**")
    page.get_by_role("tab", name=re.compile("Risks")).click()
    page.wait_for_selector("table.risks")
    assert "Key user leaves" in page.inner_text("#tab-panel")
    assert page.url.endswith("?tab=risks")
    assert page.locator("table.risks .score-high").inner_text().strip() == "4×4 = 16"


def test_a_stale_edit_is_refused_and_not_saved(page: Any, world: dict[str, Any]) -> None:
    from pmo.core.access import Access
    from pmo.core.services import do_update
    from pmo.projects.models import Task

    task = world["tasks"][0]
    _log_in(page)
    page.goto(f"/tasks/{task.pk}/edit/")
    page.fill("input[name=name]", "My name for it")
    # meanwhile, someone else renames the task
    theirs = Task.objects.get(pk=task.pk)
    do_update(Access(world["user"]), theirs, {"name": "Their name for it"}, theirs.version)
    page.get_by_role("button", name="Save").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert (
        "This task was changed by someone else since you opened it — reload to see their "
        "change; your edit was not saved" in alert.inner_text()
    )
    assert Task.objects.get(pk=task.pk).name == "Their name for it"
    # reloading shows their change
    alert.get_by_role("link", name="Reload").click()
    page.wait_for_load_state()
    assert page.input_value("input[name=name]") == "Their name for it"


def test_new_risk_in_an_inline_form(page: Any, world: dict[str, Any]) -> None:
    from pmo.risks.models import Risk

    _log_in(page)
    page.goto(f"/projects/{world['project'].pk}/?tab=risks")
    page.get_by_role("link", name="New risk").click()
    form = page.locator("#inline-form form")
    form.wait_for()
    assert page.url.endswith("?tab=risks")  # loaded in place, no navigation
    form.locator("input[name=title]").fill("")
    form.get_by_role("button", name="Create").click()
    # the browser's own check stops an empty required field; the server checks ranges
    form.locator("input[name=title]").fill("Data migration slips")
    form.locator("input[name=probability]").fill("9")
    form.get_by_role("button", name="Create").click()
    page.locator("#id_probability_errors").wait_for()
    page.screenshot(path=str(SCREENSHOT.with_name("pmo-inline-form.png")), full_page=False)
    page.locator("#inline-form input[name=probability]").fill("3")
    page.locator("#inline-form").get_by_role("button", name="Create").click()
    page.wait_for_selector("table.risks >> text=Data migration slips")
    risk = Risk.objects.get(title="Data migration slips")
    assert (risk.probability, risk.project_id) == (3, world["project"].pk)
