"""Import in a real browser: upload an MS Project XML sample, see the preview and the
fidelity report, create, and land on the new project's Gantt chart."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from browser_support import BROWSER_MARKS
from test_browser import PASSWORD, _log_in

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
SAMPLE = SAMPLES / "mspdi" / "aspose__Software-Development-Plan.mspdi.xml"
SCREENSHOT = Path(os.environ.get("PMO_IMPORT_SCREENSHOT", "/tmp/pmo-import.png"))  # noqa: S108

pytestmark = [
    *BROWSER_MARKS,
    pytest.mark.skipif(not SAMPLE.is_file(), reason="../shared/samples is not present"),
]


@pytest.fixture
def world(transactional_db: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from pmo.orgs.models import Calendar, Membership, Organisation
    from pmo.portfolio.models import Portfolio

    settings.DATA_DIR = tmp_path
    org = Organisation.objects.create(code="initech", name="Initech", country="FR", currency="EUR")
    Calendar.objects.create(organisation=org, name="Standard", country="FR")
    portfolio = Portfolio.objects.create(
        organisation=org, code="IT", name="IT portfolio", currency="EUR"
    )
    user = get_user_model().objects.create_user("alice", password=PASSWORD)
    Membership.objects.create(user=user, organisation=org, role="pmo_admin")
    return {"org": org, "portfolio": portfolio, "dir": tmp_path / "imports"}


def test_upload_preview_fidelity_create_and_gantt(page: Any, world: dict[str, Any]) -> None:
    from pmo.projects.models import Project, Task

    _log_in(page)
    page.get_by_role("navigation").get_by_role("link", name="Import").click()
    page.wait_for_url("**/import/")
    page.select_option("select[name=portfolio]", str(world["portfolio"].pk))
    page.set_input_files("input[name=file]", str(SAMPLE))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url(re.compile(r".*/import/[A-Za-z0-9_-]{32}/$"))

    # the preview: counts, first tasks, fidelity report; nothing created yet
    assert page.inner_text("[data-count=tasks]") == "86"
    assert page.inner_text("[data-count=links]") == "84"
    assert page.inner_text("[data-count=resources]") == "8"
    assert "Determine project scope" in page.inner_text("table.first-tasks")
    summary = page.inner_text(".fidelity-summary")
    assert re.search(r"\d+ of 87 tasks identical to the minute \(\d+\.\d\d %\)", summary), summary
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert not Project.objects.exists()

    form = page.locator("#import-create")
    form.locator("input[name=code]").fill("SDP")
    form.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/projects/\d+/\?tab=gantt$"))
    page.wait_for_selector(".gantt[data-loaded='1']")
    project = Project.objects.get(code="SDP")
    assert page.url.endswith(f"/projects/{project.pk}/?tab=gantt")
    assert "Imported aspose__Software-Development-Plan.mspdi.xml" in page.inner_text(".messages")
    rows = page.evaluate("() => document.querySelector('.gantt').gantt.tasks.length")
    assert rows == Task.objects.filter(project=project).count() == 86
    page.screenshot(path=str(SCREENSHOT.with_name("pmo-import-gantt.png")), full_page=False)
    assert not list(world["dir"].glob("*"))  # the upload is gone
