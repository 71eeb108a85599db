"""The import/export API: dry run and commit, safety (size, corrupt files, billion laughs),
scoping and roles, exported files, iCalendar feeds with their secret URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
pytestmark = pytest.mark.django_db

PLAN = b"""ID,Name,Duration,Predecessors,Resource Names
1,Design,3d,,Ann
2,Build,5d,1,Ann[50%]
3,Go live,0d,2,
"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol9;</Name></Project>
"""


def upload(api: Any, query: str, data: bytes, name: str = "plan.csv") -> Any:
    return api.client.post(f"/api/v1/imports?{query}", {"file": SimpleUploadedFile(name, data)})


def counts() -> dict[str, int]:
    from django.apps import apps

    return {m._meta.label_lower: m._default_manager.count() for m in apps.get_models()}


@pytest.fixture
def acme(two_orgs: dict[str, Any], make_user: Any, api_for: Any) -> dict[str, Any]:
    data = two_orgs["acme"]
    admin = make_user("acme-admin", data["org"], "pmo_admin")
    return {**data, "admin": admin, "api": api_for(admin)}


def test_dry_run_previews_and_writes_nothing(acme: dict[str, Any]) -> None:
    before = counts()
    r = upload(acme["api"], f"portfolio_id={acme['portfolio'].pk}", PLAN)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["format"] == "csv" and body["counts"]["tasks"] == 3
    assert body["counts"]["links"] == 2 and body["counts"]["resources"] == 1
    assert body["counts"]["assignments"] == 2 and body["counts"]["milestones"] == 1
    (project,) = body["projects"]
    assert [t["name"] for t in project["first_tasks"]] == ["Design", "Build", "Go live"]
    assert body["mapping"]["predecessors"] == "Predecessors"
    assert project["fidelity"] is None or project["fidelity"]["compared"] == 0
    assert counts() == before


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not present")
def test_the_fidelity_report_of_a_sample(acme: dict[str, Any]) -> None:
    path = SAMPLES / "mspdi" / "aspose__Software-Development-Plan.mspdi.xml"
    r = upload(acme["api"], f"portfolio_id={acme['portfolio'].pk}", path.read_bytes(), path.name)
    assert r.status_code == 200
    fidelity = r.json()["projects"][0]["fidelity"]
    assert fidelity["compared"] == 87
    assert fidelity["identical"] + fidelity["differing_tasks"] == fidelity["compared"]
    assert set(fidelity["fields"]) >= {"early_start", "early_finish", "late_start"}
    assert r.json()["fidelity"]["percent_identical"] == fidelity["percent_identical"]


def test_commit_creates_the_project_and_reschedules_it(acme: dict[str, Any]) -> None:
    from pmo.core.models import AuditEvent
    from pmo.projects.models import Project, Task

    q = f"portfolio_id={acme['portfolio'].pk}&dry_run=false&code=WEB-1&name=Website"
    r = upload(acme["api"], q, PLAN)
    assert r.status_code == 201, r.content
    body = r.json()
    project = Project.objects.get(pk=body["project_ids"][0])
    assert (project.code, project.name, project.portfolio_id) == (
        "WEB-1",
        "Website",
        acme["portfolio"].pk,
    )
    assert Task.objects.filter(project=project, early_start__isnull=False).count() == 3
    assert project.scheduled_finish is not None
    assert AuditEvent.objects.filter(
        object_type="projects.project", object_id=project.pk, username="acme-admin"
    ).exists()
    again = upload(acme["api"], q, PLAN)
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_a_mapping_for_a_task_list(acme: dict[str, Any]) -> None:
    data = b"Ref;Job;Days\nA;Dig;2\nB;Fill;1\n"
    mapping = '{"id": "Ref", "name": "Job", "duration": "Days"}'
    r = upload(acme["api"], f"portfolio_id={acme['portfolio'].pk}&mapping={mapping}", data)
    assert r.status_code == 200, r.content
    assert r.json()["counts"]["tasks"] == 2
    bad = upload(acme["api"], f"portfolio_id={acme['portfolio'].pk}&mapping=[1]", data)
    assert bad.status_code == 422
    missing = upload(
        acme["api"], f'portfolio_id={acme["portfolio"].pk}&mapping={{"name": "Nope"}}', data
    )
    assert missing.status_code == 422 and "Nope" in missing.json()["message"]


def test_billion_laughs_is_refused_and_nothing_created(acme: dict[str, Any]) -> None:
    before = counts()
    r = upload(
        acme["api"], f"portfolio_id={acme['portfolio'].pk}&dry_run=false", BILLION_LAUGHS, "x.xml"
    )
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["code"] == "file_format_error" and body["line"] is not None
    assert counts() == before


def test_size_limit_and_corrupt_files(acme: dict[str, Any], settings: Any) -> None:
    before = counts()
    q = f"portfolio_id={acme['portfolio'].pk}&dry_run=false"
    truncated = b"ERMHDR\t8.0\n%T\tPROJECT\n%F\tproj_id\tproj_short_name\n%R\t1\tP\n"
    r = upload(acme["api"], q, truncated, "cut.xer")
    assert r.status_code == 422 and r.json()["line"] is not None, r.content
    r = upload(acme["api"], q, b"ID,Name,Duration\n1,A,soon\n")
    assert r.status_code == 422
    assert (r.json()["line"], r.json()["field"]) == (2, "Duration")
    r = upload(acme["api"], q, b"\x00\x01\x02", "x.bin")
    assert r.status_code == 415
    missing_file = acme["api"].client.post(f"/api/v1/imports?{q}")
    assert missing_file.status_code == 422
    settings.MAX_UPLOAD_MB = 0
    r = upload(acme["api"], q, PLAN)
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    assert counts() == before


def test_scoping_and_roles(
    acme: dict[str, Any], two_orgs: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    viewer = api_for(make_user("viewer", acme["org"], "executive_viewer"))
    pm = api_for(make_user("pm", acme["org"], "project_manager"))
    before = counts()
    globex = two_orgs["globex"]
    r = upload(acme["api"], f"portfolio_id={globex['portfolio'].pk}&dry_run=false", PLAN)
    assert r.status_code == 404
    r = upload(viewer, f"portfolio_id={acme['portfolio'].pk}", PLAN)
    assert r.status_code == 403
    r = upload(viewer, f"portfolio_id={acme['portfolio'].pk}&dry_run=false", PLAN)
    assert r.status_code == 403
    r = upload(pm, f"portfolio_id={acme['portfolio'].pk}&dry_run=false", PLAN)
    assert r.status_code == 403 and "resources" in r.json()["message"]
    assert Client().post("/api/v1/imports").status_code == 401
    assert counts() == before
    assert acme["api"].get(f"/projects/{globex['project'].pk}/export").status_code == 404


def _imported(acme: dict[str, Any]) -> int:
    r = upload(acme["api"], f"portfolio_id={acme['portfolio'].pk}&dry_run=false", PLAN)
    assert r.status_code == 201
    return int(r.json()["project_ids"][0])


@pytest.mark.parametrize(
    ("fmt", "content_type", "ext"),
    [
        ("mspdi", "application/xml", "xml"),
        ("xer", "application/x-primavera-xer", "xer"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        ("csv", "text/csv; charset=utf-8", "csv"),
        ("ics", "text/calendar; charset=utf-8", "ics"),
    ],
)
def test_export_formats(acme: dict[str, Any], fmt: str, content_type: str, ext: str) -> None:
    pk = _imported(acme)
    viewer_can_read = acme["api"].get(f"/projects/{pk}/export?format={fmt}")
    assert viewer_can_read.status_code == 200
    assert viewer_can_read["Content-Type"] == content_type
    disposition = viewer_can_read["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith(f'.{ext}"')
    assert acme["api"].get(f"/projects/{pk}/export?format=pdf").status_code == 422


def test_feeds_with_their_secret_urls(acme: dict[str, Any], two_orgs: dict[str, Any]) -> None:
    from pmo.interop.ical import events_of
    from pmo.resources.models import Resource

    pk = _imported(acme)
    r = acme["api"].get(f"/projects/{pk}/milestones.ics")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    assert [e["SUMMARY"] for e in events_of(r.content.decode())] == ["WEB: Go live"] or len(
        events_of(r.content.decode())
    ) == 1
    url = r["X-Feed-Url"].removeprefix("http://testserver")
    anonymous = Client()
    assert anonymous.get(url).status_code == 200  # the calendar application's fetch
    assert anonymous.get(f"/api/v1/projects/{pk}/milestones.ics").status_code == 401
    assert anonymous.get(url.replace("milestones.ics", "export")).status_code == 401
    other = two_orgs["globex"]["project"].pk
    # a key that does not open this feed: 404, like a feed that does not exist
    assert anonymous.get(url.replace(f"/projects/{pk}/", f"/projects/{other}/")).status_code == 404
    assert anonymous.get(url[:-4] + "0000").status_code == 404
    ann = Resource.objects.get(organisation=acme["org"], name="Ann")
    r = acme["api"].get(f"/resources/{ann.pk}/assignments.ics")
    assert r.status_code == 200
    events = events_of(r.content.decode())
    assert len(events) == 2 and all("DTSTART;VALUE=DATE" in e for e in events)
    feed = r["X-Feed-Url"].removeprefix("http://testserver")
    assert anonymous.get(feed).status_code == 200
    # a password change revokes the user's feed URLs
    acme["admin"].set_password("a-new-password-42")
    acme["admin"].save()
    assert anonymous.get(feed).status_code == 404
    globex_resource = Resource.objects.create(
        organisation=two_orgs["globex"]["org"], code="g1", name="G", currency="GBP"
    )
    assert acme["api"].get(f"/resources/{globex_resource.pk}/assignments.ics").status_code == 404
