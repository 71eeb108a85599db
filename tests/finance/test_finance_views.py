"""Finance pages: the Cost tab, budget monitoring, timesheets and approvals, cost import —
scoped like every page (another organisation's object is a 404, a viewer's write a 403)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest


@pytest.fixture
def login(client: Any, make_user: Callable[..., Any]) -> Callable[..., Any]:
    counter = {"n": 0}

    def do(org: Any, role: str = "pmo_admin", **scope: Any) -> Any:
        counter["n"] += 1
        user = make_user(f"web-{role}-{counter['n']}", org, role, **scope)
        client.force_login(user)
        return user

    return do


def test_cost_tab_shows_the_s_curve_and_measures(
    client: Any, progressed: dict[str, Any], login: Any
) -> None:
    from pmo.projects.models import Project

    project = progressed["project"]
    Project.objects.filter(pk=project.pk).update(status_date=dt.date(2026, 2, 13))
    login(progressed["org"], "executive_viewer")
    response = client.get(f"/projects/{project.pk}/?tab=cost")
    assert response.status_code == 200
    html = response.content.decode()
    svg = re.search(r'<svg[^>]*class="chart s-curve".*?</svg>', html, re.S)
    assert svg is not None
    for key in ("pv", "ev", "ac", "eac"):
        assert f'data-series="{key}"' in svg.group(0)
    assert "11,680.00" in html and "12,600.00" in html  # EV and AC
    assert "0.93" in html and "0.97" in html  # CPI, SPI(t)
    assert "Take snapshot at status date" not in html  # a viewer may not
    # another status date through the htmx fragment
    response = client.get(f"/projects/{project.pk}/cost/?as_of=2026-01-31", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "8,800.00" in response.content.decode()


def test_snapshot_button_and_roles(client: Any, progressed: dict[str, Any], login: Any) -> None:
    from pmo.finance.models import EvmSnapshot

    project = progressed["project"]
    login(progressed["org"], "executive_viewer")
    url = f"/projects/{project.pk}/evm/snapshots/"
    assert client.post(url, {"status_date": "2026-02-13"}).status_code == 403
    login(progressed["org"], "project_manager", project=project)
    response = client.post(url, {"status_date": "2026-02-13"})
    assert response.status_code == 302
    snap = EvmSnapshot.objects.get(project=project)
    assert snap.status_date == dt.date(2026, 2, 13) and snap.ev == Decimal("11680")
    response = client.post(url, {"status_date": "2026-02-13"}, follow=True)
    assert "already has an EVM snapshot" in response.content.decode()
    assert EvmSnapshot.objects.filter(project=project).count() == 1
    html = client.get(f"/projects/{project.pk}/?tab=cost").content.decode()
    assert 'class="chart trend trend-cpi-spi"' in html
    assert "2026-02-13" in html


def test_pages_of_another_organisation_are_404(
    client: Any, progressed: dict[str, Any], two_orgs: dict[str, Any], login: Any
) -> None:
    globex = two_orgs["globex"]
    login(globex["org"], "pmo_admin")
    project = progressed["project"]
    for url in (
        f"/projects/{project.pk}/cost/",
        f"/projects/{project.pk}/cost-lines/import/",
        f"/projects/{project.pk}/budget-lines/new/",
        f"/budgets/?portfolio={progressed['portfolio'].pk}",
        f"/budgets/organisation/?organisation={progressed['org'].pk}",
        f"/timesheets/?resource={progressed['ann'].pk}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/projects/{project.pk}/evm/snapshots/").status_code == 404
    # its own budgets page works and shows none of acme
    response = client.get("/budgets/")
    assert response.status_code == 200
    assert "acme" not in response.content.decode().lower()


def test_budget_monitoring_page_sorts_and_flags(
    client: Any, progressed: dict[str, Any], login: Any
) -> None:
    login(progressed["org"], "executive_viewer")
    portfolio = progressed["portfolio"]
    response = client.get(f"/budgets/?portfolio={portfolio.pk}&as_of=2026-02-13&sort=-cpi")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-project="acme-1"' in html
    assert '<span class="flag">CPI</span>' in html  # CPI 0.93 < 0.95
    assert "17,260" in html  # EAC
    assert "CPI ▼" in html
    bad = client.get(f"/budgets/?portfolio={portfolio.pk}&sort=nonsense")
    assert bad.status_code == 200
    summary = client.get("/budgets/organisation/?as_of=2026-02-13")
    assert summary.status_code == 200
    assert "acme portfolio" in summary.content.decode()


def test_timesheet_week_submit_and_approve(
    client: Any, plan: dict[str, Any], login: Any, make_user: Any
) -> None:
    from pmo.core.access import Access
    from pmo.core.services import do_update
    from pmo.finance.models import CostLine, TimesheetEntry
    from pmo.projects.models import Task
    from pmo.resources.models import Assignment

    org, project = plan["org"], plan["project"]
    member = login(org, "team_member")
    ann = do_update(Access(plan["admin"]), plan["ann"], {"user_id": member.pk}, 1)
    week = dt.date(2026, 1, 12)
    page = client.get("/timesheets/?week=2026-01-14")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Week of Mon 12 Jan 2026" in html
    design = plan["design"]
    assert f'name="hours-{design.pk}"' in html
    response = client.post(
        "/timesheets/",
        {
            "resource": ann.pk,
            "week": week.isoformat(),
            "task": [design.pk],
            f"hours-{design.pk}": "abc",
        },
    )
    assert response.status_code == 422
    assert 'value="abc"' in response.content.decode()
    assert not TimesheetEntry.objects.exists()
    response = client.post(
        "/timesheets/",
        {
            "resource": ann.pk,
            "week": week.isoformat(),
            "task": [design.pk],
            f"hours-{design.pk}": "32.5",
            f"comment-{design.pk}": "specs",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    entry = TimesheetEntry.objects.get()
    assert (entry.hours, entry.state, entry.comment) == (Decimal("32.5"), "submitted", "specs")
    # the team member cannot approve; the project manager sees it and approves
    assert "Nothing to approve" in client.get("/timesheets/approvals/").content.decode()
    response = client.post(
        "/timesheets/approvals/", {"approve": entry.pk, f"version-{entry.pk}": entry.version}
    )
    assert response.status_code == 403
    login(org, "project_manager", project=project)
    html = client.get("/timesheets/approvals/").content.decode()
    assert f'data-entry="{entry.pk}"' in html
    response = client.post(
        "/timesheets/approvals/", {"approve": entry.pk, f"version-{entry.pk}": entry.version}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.state == "approved"
    line = CostLine.objects.get(reference=f"timesheet-entry:{entry.pk}")
    assert line.amount == Decimal("1625.00")  # 32.5 h x 50 EUR/h (60 only from 01-19)
    assert Assignment.objects.get(task=design, resource=ann).actual_work_minutes == 1950
    assert Task.objects.get(pk=design.pk).actual_start == dt.datetime(2026, 1, 12, 8, tzinfo=dt.UTC)


def test_a_stale_week_is_refused_not_overwritten(
    client: Any, plan: dict[str, Any], login: Any
) -> None:
    from pmo.core.access import Access
    from pmo.core.services import do_update
    from pmo.finance.models import TimesheetEntry
    from pmo.finance.timesheets import WeekEntry, do_save_week

    member = login(plan["org"], "team_member")
    ann = do_update(Access(plan["admin"]), plan["ann"], {"user_id": member.pk}, 1)
    design = plan["design"]
    week = dt.date(2026, 1, 12)
    html = client.get(f"/timesheets/?week={week}").content.decode()
    assert f'name="version-{design.pk}" value="0"' in html
    # meanwhile, in another tab, 5 hours are saved
    do_save_week(Access(member), ann, week, [WeekEntry(design.pk, Decimal(5))])
    form = {
        "resource": ann.pk,
        "week": week.isoformat(),
        "task": [design.pk],
        f"hours-{design.pk}": "8",
        f"version-{design.pk}": "0",
    }
    response = client.post("/timesheets/", form)
    assert response.status_code == 409
    assert "changed this week meanwhile" in response.content.decode()
    assert TimesheetEntry.objects.get().hours == Decimal(5)
    response = client.post("/timesheets/", {**form, f"version-{design.pk}": "1"})
    assert response.status_code == 302
    assert TimesheetEntry.objects.get().hours == Decimal(8)


def test_cost_import_page(client: Any, plan: dict[str, Any], login: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pmo.finance.models import CostLine

    project = plan["project"]
    url = f"/projects/{project.pk}/cost-lines/import/"
    login(plan["org"], "executive_viewer")
    assert client.get(url).status_code == 403
    login(plan["org"], "project_manager", project=project)
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("gl.csv", b"Date,Amount\n2026-02-01,12\n2026-02-30,5\n")
    response = client.post(url, {"file": bad, "kind": "actual", "category": "material"})
    assert response.status_code == 422
    assert "line 3, column Date: not a date" in response.content.decode()
    assert not CostLine.objects.filter(kind="actual").exists()
    good = SimpleUploadedFile("gl.csv", b"Booked,Amount,Task\n2026-02-01,12,Design\n")
    response = client.post(
        url,
        {"file": good, "kind": "actual", "category": "material", "mapping": "Booked=date"},
    )
    assert response.status_code == 302
    line = CostLine.objects.get(kind="actual")
    assert (line.amount, line.task_id, line.date) == (
        Decimal("12.00"),
        plan["design"].pk,
        dt.date(2026, 2, 1),
    )
