"""Capacity and levelling in a real browser: the heat map shows an over-allocated week, a
click on the cell lists the tasks behind it; levelling the project proposes to move one of
them, the proposal is previewed on the Gantt chart and accepted, and the heat map is clear.

Playwright drives Debian's chromium (``/usr/bin/chromium``), as in ``test_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from browser_support import BROWSER_MARKS

PASSWORD = "browser-test-pw-2"
SCREENSHOT = Path(os.environ.get("PMO_SCREENSHOT", "/tmp/pmo-project.png"))  # noqa: S108
MONDAY = dt.date(2026, 3, 2)

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db: Any) -> dict[str, Any]:
    """Initech's fit-out project: Wiring (3 d), Plumbing (2 d) and, after it, Painting (1 d),
    all on Alice: 48 hours in her 40-hour first week."""
    from django.contrib.auth import get_user_model

    from pmo.core.access import Access
    from pmo.orgs.models import Calendar, Membership, Organisation
    from pmo.portfolio.models import Portfolio
    from pmo.projects import scheduling
    from pmo.projects.models import Dependency, Project, Task
    from pmo.resources.models import Assignment, Resource

    org = Organisation.objects.create(code="initech", name="Initech", country="FR", currency="EUR")
    cal = Calendar.objects.create(organisation=org, name="Standard", country="FR")
    org.default_calendar = cal
    org.save()
    portfolio = Portfolio.objects.create(
        organisation=org, code="FAC", name="Facilities", currency="EUR"
    )
    project = Project.objects.create(
        organisation=org,
        portfolio=portfolio,
        code="FIT",
        name="Office fit-out",
        currency="EUR",
        calendar=cal,
        planned_start=MONDAY,
    )
    alice = Resource.objects.create(
        organisation=org, code="alice", name="Alice Martin", currency="EUR", calendar=cal
    )
    tasks = {}
    for i, (name, days) in enumerate((("Wiring", 3), ("Plumbing", 2), ("Painting", 1)), 1):
        tasks[name] = Task.objects.create(
            organisation=org, project=project, name=name, position=i, duration_minutes=days * 480
        )
        Assignment.objects.create(
            organisation=org,
            task=tasks[name],
            resource=alice,
            units=Decimal(1),
            work_minutes=days * 480,
        )
    Dependency.objects.create(
        organisation=org, predecessor=tasks["Plumbing"], successor=tasks["Painting"]
    )
    user = get_user_model().objects.create_user("alice", password=PASSWORD)
    Membership.objects.create(user=user, organisation=org, role="pmo_admin")
    scheduling.do_schedule_project(Access(user), project)
    return {"org": org, "project": project, "alice": alice, "tasks": tasks, "user": user}


def _log_in(page: Any) -> None:
    page.goto("/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def _heat_map(page: Any) -> None:
    page.get_by_role("link", name="Capacity").click()
    page.wait_for_url("**/capacity/**")
    form = page.get_by_role("search", name="Heat map settings")
    form.locator("input[name=from]").fill("2026-03-02")
    form.locator("input[name=to]").fill("2026-03-29")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*from=2026-03-02.*"))


def test_heat_map_drill_down_then_level_and_accept(page: Any, world: dict[str, Any]) -> None:
    from pmo.projects.models import Task
    from pmo.resources.models import LevellingRun

    _log_in(page)
    _heat_map(page)
    row = page.locator(f"#row-{world['alice'].pk}")
    over = row.locator("td.cell.over")
    assert over.count() == 1
    assert over.inner_text().strip() == "120%"
    assert "heat-4" in (over.get_attribute("class") or "")
    page.screenshot(path=str(SCREENSHOT.with_name("pmo-capacity.png")), full_page=False)
    over.locator("a").click()
    detail = page.locator("#cell-detail")
    detail.locator("table.cell-tasks").wait_for()
    assert "capacity" in page.url  # drilled down in place, no navigation
    text = detail.inner_text()
    for name in ("Wiring", "Plumbing", "Painting", "48 h of 40 h"):
        assert name in text, text

    # level the project from its Resources tab
    page.goto(f"/projects/{world['project'].pk}/")
    page.get_by_role("tab", name=re.compile("Resources")).click()
    page.wait_for_selector("#level-form")
    page.get_by_role("button", name="Level resources").click()
    page.wait_for_url("**/levelling-runs/*/")
    run = LevellingRun.objects.get()
    assert page.locator("#run-status").inner_text().strip() == "Proposed"
    moves = page.locator("table.proposal tbody tr")
    assert moves.count() >= 1
    table = page.locator("table.proposal").inner_text()
    assert "Alice Martin" in table and "waiting for Alice Martin" in table
    page.wait_for_selector("#proposal-gantt[data-loaded]")
    page.screenshot(path=str(SCREENSHOT.with_name("pmo-levelling.png")), full_page=True)
    assert all(t.levelled_start is None for t in Task.objects.filter(project=world["project"]))

    page.get_by_role("button", name="Accept").click()
    page.wait_for_selector("text=Accepted levelling")
    assert page.locator("#run-status").inner_text().strip() == "Accepted"
    run.refresh_from_db()
    assert run.status == "accepted"
    levelled = [t for t in Task.objects.filter(project=world["project"]) if t.levelled_start]
    assert len(levelled) == 1
    assert page.get_by_role("button", name="Undo").is_visible()

    # the over-allocation is gone
    _heat_map(page)
    assert page.locator(f"#row-{world['alice'].pk} td.cell.over").count() == 0
