"""Finance in a real browser: a team member enters a week of hours and submits them, the
project manager approves them, and the project's Cost tab shows the S-curve (an ``<svg>``
with the PV, EV and AC series) with the actual cost of the approved hours.

Playwright drives Debian's chromium (``/usr/bin/chromium``), as ``test_browser.py`` does.
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

PASSWORD = "browser-finance-pw-1"
SCREENSHOTS = Path(os.environ.get("PMO_SCREENSHOT_DIR", "/tmp"))  # noqa: S108
UTC = dt.UTC

pytestmark = BROWSER_MARKS


@pytest.fixture
def site(transactional_db: Any) -> dict[str, Any]:
    """Initech: a scheduled two-task project, Dana (team member, resource "Dana" at 50 EUR/h)
    assigned to "Specification", and Paul, the project's manager."""
    from django.contrib.auth import get_user_model

    from pmo.orgs.models import Calendar, Membership, Organisation
    from pmo.portfolio.models import Portfolio
    from pmo.projects.models import Dependency, Project, Task
    from pmo.projects.scheduling import do_schedule_project
    from pmo.resources.models import Assignment, Resource

    users = get_user_model().objects
    dana = users.create_user("dana", password=PASSWORD, first_name="Dana", last_name="Scully")
    paul = users.create_user("paul", password=PASSWORD, first_name="Paul", last_name="Atreides")
    org = Organisation.objects.create(code="initech", name="Initech", country="FR", currency="EUR")
    cal = Calendar.objects.create(organisation=org, name="Standard")
    portfolio = Portfolio.objects.create(
        organisation=org, code="IT", name="IT portfolio", currency="EUR"
    )
    project = Project.objects.create(
        organisation=org,
        portfolio=portfolio,
        code="CRM-1",
        name="CRM rollout",
        currency="EUR",
        calendar=cal,
        planned_start=dt.date(2026, 3, 2),
        status_date=dt.date(2026, 3, 13),
        phase="execution",
    )
    spec = Task.objects.create(
        organisation=org, project=project, name="Specification", position=1, wbs="1",
        duration_minutes=10 * 480, percent_complete=40,
    )  # fmt: skip
    build = Task.objects.create(
        organisation=org, project=project, name="Configuration", position=2, wbs="2",
        duration_minutes=10 * 480,
    )  # fmt: skip
    Dependency.objects.create(organisation=org, predecessor=spec, successor=build)
    do_schedule_project(None, project)
    resource = Resource.objects.create(
        organisation=org, code="DS", name="Dana", user=dana, currency="EUR",
        standard_rate=Decimal("50"),
    )  # fmt: skip
    other = Resource.objects.create(
        organisation=org, code="CF", name="Consultant", currency="EUR",
        standard_rate=Decimal("90"),
    )  # fmt: skip
    Assignment.objects.create(organisation=org, task=spec, resource=resource)
    Assignment.objects.create(organisation=org, task=build, resource=other)
    Membership.objects.create(user=dana, organisation=org, role="team_member")
    Membership.objects.create(user=paul, organisation=org, role="project_manager", project=project)
    Project.objects.filter(pk=project.pk).update(manager=paul)
    return {"org": org, "project": project, "spec": spec, "resource": resource}


def _log_in(context: Any, username: str) -> Any:
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    return page


def test_timesheet_to_approval_to_s_curve(browser_context: Any, site: dict[str, Any]) -> None:
    from pmo.finance.models import CostLine, TimesheetEntry
    from pmo.projects.models import Task
    from pmo.resources.models import Assignment

    spec = site["spec"]
    # Dana books 36 h on Specification in the week of Monday 2026-03-02 and submits.
    member = browser_context()
    page = _log_in(member, "dana")
    page.get_by_role("link", name="Timesheets").click()
    page.wait_for_url("**/timesheets/")
    page.goto("/timesheets/?week=2026-03-04")
    assert page.get_by_text("Week of Mon 02 Mar 2026").is_visible()
    hours = page.get_by_label("Hours on Specification")
    hours.fill("36")
    page.get_by_label("Comment on Specification").fill("workshops")
    page.get_by_role("button", name="Save and submit").click()
    page.wait_for_selector("text=Submitted the week of 02 Mar 2026")
    assert page.locator(f'tr[data-task="{spec.pk}"] .badge').inner_text() == "Submitted"
    page.screenshot(path=str(SCREENSHOTS / "pmo-timesheet.png"))
    entry = TimesheetEntry.objects.get(task=spec)
    assert (entry.hours, entry.state) == (Decimal("36"), "submitted")
    member.close()

    # Paul, the project manager, approves it from the approvals page.
    manager = browser_context()
    page = _log_in(manager, "paul")
    page.goto("/timesheets/approvals/")
    row = page.locator(f'tr[data-entry="{entry.pk}"]')
    assert "Dana" in row.inner_text() and "36" in row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "pmo-approvals.png"))
    row.get_by_role("button", name="Approve").click()
    page.wait_for_selector("text=Approved 1 and rejected 0 timesheet entries.")
    entry.refresh_from_db()
    assert entry.state == "approved"
    line = CostLine.objects.get(reference=f"timesheet-entry:{entry.pk}")
    assert line.amount == Decimal("1800.00")  # 36 h x 50 EUR/h
    assert Assignment.objects.get(task=spec).actual_work_minutes == 36 * 60
    assert Task.objects.get(pk=spec.pk).actual_start == dt.datetime(2026, 3, 2, 8, tzinfo=UTC)

    # The Cost tab: the S-curve with the three series, and the actual cost.
    page.goto(f"/projects/{site['project'].pk}/")
    page.get_by_role("tab", name="Cost").click()
    svg = page.locator("svg.s-curve")
    svg.wait_for()
    for key in ("pv", "ev", "ac"):
        assert svg.locator(f'polyline[data-series="{key}"]').count() == 1, key
    ac_points = svg.locator('polyline[data-series="ac"]').get_attribute("points") or ""
    assert len(ac_points.split()) >= 2
    assert page.locator(".kpis").get_by_text("1,800.00", exact=True).is_visible()
    page.get_by_role("button", name="Take snapshot at status date").click()
    page.wait_for_selector("text=Snapshot taken at 2026-03-13")
    page.get_by_role("tab", name="Cost").click()
    page.locator("svg.trend-cpi-spi").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "pmo-cost-tab.png"), full_page=True)
    manager.close()
