"""The Gantt chart in a real browser, on a 5,000-task project.

The chart draws only the visible rows on one canvas, so loading, zooming and scrolling stay
responsive at 5,000 tasks. The figures are printed (``-s``), not asserted as timings: a
timed assertion would fail on a busy machine without anything being wrong. What is asserted
is behaviour: every task arrived, the bars are drawn in the right colours (critical red,
baseline grey), zoom changes the scale, scrolling to the last row draws it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pytest
from browser_support import BROWSER_MARKS
from test_browser import PASSWORD

pytestmark = BROWSER_MARKS
SCREENSHOT = Path(os.environ.get("PMO_GANTT_SCREENSHOT", "/tmp/pmo-gantt.png"))  # noqa: S108
N_TASKS = 5000


@pytest.fixture
def gantt_world(transactional_db: Any) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from pmo.core.access import Access
    from pmo.orgs.models import Calendar, Membership, Organisation
    from pmo.portfolio.models import Portfolio
    from pmo.projects import scheduling
    from pmo.projects.models import Dependency, Project, Task

    org = Organisation.objects.create(code="big", name="Big Co", country="GB", currency="GBP")
    cal = Calendar.objects.create(organisation=org, name="Standard", country="GB")
    portfolio = Portfolio.objects.create(organisation=org, code="P", name="P", currency="GBP")
    project = Project.objects.create(
        organisation=org,
        portfolio=portfolio,
        code="BIG",
        name="Five thousand tasks",
        currency="GBP",
        calendar=cal,
        planned_start=dt.date(2026, 1, 5),
        status_date=dt.date(2026, 3, 2),
    )
    # 100 phases of 50 tasks: each phase a summary, tasks chained inside with SS/FS links
    # and a few lags, phases chained finish-to-start.
    summaries = Task.objects.bulk_create(
        Task(organisation=org, project=project, name=f"Phase {p}", position=p * 51, is_summary=True)
        for p in range(N_TASKS // 50)
    )
    tasks = Task.objects.bulk_create(
        Task(
            organisation=org,
            project=project,
            parent=summaries[i // 50],
            name=f"Task {i}",
            position=(i // 50) * 51 + i % 50 + 1,
            duration_minutes=480 * (1 + i % 4),
            is_milestone=i % 50 == 49,
        )
        for i in range(N_TASKS - len(summaries))
    )
    links = []
    for i in range(1, len(tasks)):
        if i % 50 == 0:
            continue
        kind = "SS" if i % 7 == 0 else "FS"
        links.append(
            Dependency(
                organisation=org,
                predecessor=tasks[i - 1],
                successor=tasks[i],
                type=kind,
                lag=240 if kind == "SS" else 0,
            )
        )
    links += [
        Dependency(organisation=org, predecessor=summaries[p - 1], successor=summaries[p])
        for p in range(1, len(summaries))
    ]
    Dependency.objects.bulk_create(links)
    user = get_user_model().objects.create_user("planner", password=PASSWORD)
    Membership.objects.create(user=user, organisation=org, role="project_manager")
    access = Access(user)
    scheduling.do_schedule_project(access, project)
    scheduling.do_save_baseline(access, project, 0, "Approved plan")
    # then a delay on the first task: the baseline and the schedule now differ
    Task.objects.filter(pk=tasks[0].pk).update(duration_minutes=480 * 5)
    summary = scheduling.do_schedule_project(access, project)
    return {"project": project, "user": user, "summary": summary}


def _pixel(page: Any, x: int, y: int) -> list[int]:
    """The colour the canvas drew at (x, y) in CSS pixels."""
    return page.evaluate(
        """([x, y]) => {
            const c = document.querySelector('.gantt-canvas');
            const r = window.devicePixelRatio || 1;
            return Array.from(c.getContext('2d').getImageData(x * r, y * r, 1, 1).data);
        }""",
        [x, y],
    )


def test_gantt_of_5000_tasks_loads_zooms_and_scrolls(
    page: Any, gantt_world: dict[str, Any]
) -> None:
    project = gantt_world["project"]
    page.goto("/login/")
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    started = time.perf_counter()
    page.goto(f"/projects/{project.pk}/?tab=gantt")
    page.wait_for_selector(".gantt[data-loaded='1']")
    loaded = time.perf_counter() - started
    info = page.evaluate(
        """() => {
            const g = document.querySelector('.gantt').gantt;
            return {tasks: g.tasks.length, links: g.links.length,
                    critical: g.tasks.filter(t => t.critical).length,
                    baseline: g.tasks.filter(t => !Number.isNaN(t.bs)).length,
                    summaries: g.tasks.filter(t => t.summary).length,
                    milestones: g.tasks.filter(t => t.milestone).length,
                    zoom: g.zoom, width: g.spacer.offsetWidth};
        }"""
    )
    assert info["tasks"] == N_TASKS
    assert info["summaries"] == N_TASKS // 50
    assert info["milestones"] == (N_TASKS - N_TASKS // 50) // 50
    assert info["baseline"] == N_TASKS
    assert info["critical"] > 0
    assert info["links"] > 4800

    # The first task is critical: its bar is drawn red, and the baseline bar under it grey.
    first = page.evaluate(
        """() => { const g = document.querySelector('.gantt').gantt;
                   const t = g.tasks[1];
                   return {x0: g.x(t.s), x1: g.x(t.f), bx0: g.x(t.bs), bx1: g.x(t.bf),
                           critical: t.critical}; }"""
    )
    assert first["critical"]
    row_y = 40 + 22 + 11  # header + first (summary) row + half a row
    red = _pixel(page, int((first["x0"] + first["x1"]) / 2), row_y - 2)
    assert red[0] > 180 and red[1] < 80, red
    grey = _pixel(page, int((first["bx0"] + first["bx1"]) / 2), 40 + 22 + 22 - 5)
    assert abs(grey[0] - 184) < 30 and abs(grey[2] - 204) < 30, grey
    page.screenshot(path=str(SCREENSHOT))

    # Zoom to months: the timeline gets narrower (fewer pixels per day).
    started = time.perf_counter()
    page.click(".gantt-toolbar button[data-zoom=month]")
    width_month = page.evaluate("() => document.querySelector('.gantt').gantt.spacer.offsetWidth")
    zoomed = time.perf_counter() - started
    assert width_month < info["width"] / 3

    # Scroll to the last row: it is drawn (its name appears in the visible range).
    started = time.perf_counter()
    last_visible = page.evaluate(
        """() => new Promise(resolve => {
            const g = document.querySelector('.gantt').gantt;
            g.scroller.scrollTop = g.scroller.scrollHeight;
            requestAnimationFrame(() => requestAnimationFrame(() => {
                const first = Math.floor(g.scroller.scrollTop / 22);
                resolve(first + Math.ceil((g.canvas.clientHeight - 40) / 22));
            }));
        })"""
    )
    scrolled = time.perf_counter() - started
    assert last_visible >= N_TASKS - 1
    frame_ms = page.evaluate(
        """() => { const g = document.querySelector('.gantt').gantt;
                   const t0 = performance.now();
                   for (let i = 0; i < 20; i++) { g.scroller.scrollTop = i * 4000; g.draw(); }
                   return (performance.now() - t0) / 20; }"""
    )
    print(
        f"\nGantt of {N_TASKS} tasks: page + data {loaded:.2f} s, zoom {zoomed * 1000:.0f} ms, "
        f"scroll to end {scrolled * 1000:.0f} ms, one frame {frame_ms:.1f} ms"
    )
