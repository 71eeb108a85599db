"""The Import page: upload, preview (counts, fidelity, mapping), create; uploads kept by a
random id only this session may use; the Export page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
pytestmark = pytest.mark.django_db
PLAN = b"Ref;Job;Days;After\nA;Survey;2;\nB;Dig;3;A\nC;Done;0;B\n"


@pytest.fixture
def web(
    two_orgs: dict[str, Any], make_user: Any, client: Any, settings: Any, tmp_path: Path
) -> dict[str, Any]:
    settings.DATA_DIR = tmp_path
    acme = two_orgs["acme"]
    user = make_user("alice", acme["org"], "pmo_admin")
    client.force_login(user)
    return {**acme, "client": client, "user": user, "dir": tmp_path / "imports"}


def _upload(web: dict[str, Any], data: bytes, name: str, **fields: Any) -> Any:
    return web["client"].post(
        "/import/",
        {"portfolio": web["portfolio"].pk, "file": SimpleUploadedFile(name, data), **fields},
    )


def test_the_import_page_is_in_the_navigation(web: dict[str, Any]) -> None:
    page = web["client"].get("/")
    assert b'href="/import/"' in page.content
    form = web["client"].get("/import/")
    assert form.status_code == 200 and b"acme portfolio" in form.content


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not present")
def test_upload_preview_create(web: dict[str, Any]) -> None:
    from pmo.projects.models import Project

    path = SAMPLES / "mspdi" / "mpxj__task-links-project2003-mspdi.xml"
    r = _upload(web, path.read_bytes(), path.name)
    assert r.status_code == 302
    preview_url = r["Location"]
    stored = list(web["dir"].glob("*.upload"))
    assert len(stored) == 1 and stored[0].stem in preview_url
    page = web["client"].get(preview_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-count="tasks">16<' in html and 'data-count="links">8<' in html
    assert "17 of 17 tasks identical to the minute" in html
    assert not Project.objects.filter(name__contains="task-links").exists()
    done = web["client"].post(preview_url + "create/", {"code": "LINKS", "name": "Links"})
    project = Project.objects.get(code="LINKS")
    assert done["Location"] == f"/projects/{project.pk}/?tab=gantt"
    assert not list(web["dir"].glob("*"))  # the upload is gone
    assert web["client"].get(preview_url).status_code == 404


def test_a_csv_mapping_is_chosen_on_the_preview(web: dict[str, Any]) -> None:
    from pmo.projects.models import Task

    r = _upload(web, PLAN, "dig.csv", code="DIG")
    url = r["Location"]
    first = web["client"].get(url)
    assert first.status_code == 422 and b"no task columns recognised" in first.content
    assert b'name="map_name"' in first.content and b'<option value="Job"' in first.content
    mapped = web["client"].post(
        url,
        {"map_id": "Ref", "map_name": "Job", "map_duration": "Days", "map_predecessors": "After"},
    )
    assert mapped.status_code == 302
    page = web["client"].get(url)
    assert page.status_code == 200 and b'data-count="tasks">3<' in page.content
    assert b'<option value="Job" selected>' in page.content
    web["client"].post(url + "create/", {"code": "DIG", "name": "Digging"})
    assert Task.objects.filter(project__code="DIG", is_milestone=True).count() == 1


def test_uploads_belong_to_their_session(web: dict[str, Any], client: Any, make_user: Any) -> None:
    from django.test import Client

    url = _upload(web, b"ID,Name,Duration\n1,A,1d\n", "a.csv")["Location"]
    other = Client()
    other.force_login(make_user("mallory", web["org"], "pmo_admin"))
    assert other.get(url).status_code == 404
    assert other.post(url + "create/").status_code == 404
    assert web["client"].get("/import/../../etc/passwd/").status_code == 404
    assert web["client"].get("/import/" + "x" * 32 + "/").status_code == 404


def test_errors_and_roles_on_the_page(
    web: dict[str, Any], settings: Any, two_orgs: dict[str, Any], client: Any, make_user: Any
) -> None:
    from pmo.projects.models import Project

    r = web["client"].post("/import/", {"portfolio": web["portfolio"].pk})
    assert r.status_code == 422 and b"Choose a file" in r.content
    foreign = two_orgs["globex"]["portfolio"].pk
    r = web["client"].post(
        "/import/", {"portfolio": foreign, "file": SimpleUploadedFile("a.csv", b"x")}
    )
    assert r.status_code == 422 and b"Choose a portfolio" in r.content
    settings.MAX_UPLOAD_MB = 0
    r = _upload(web, b"ID,Name,Duration\n1,A,1d\n", "a.csv")
    assert r.status_code == 413
    settings.MAX_UPLOAD_MB = 50
    url = _upload(web, b"ID,Name,Duration\n1,A,soon\n", "bad.csv")["Location"]
    page = web["client"].get(url)
    assert page.status_code == 422 and b"line 2" in page.content
    client.force_login(make_user("viewer", web["org"], "executive_viewer"))
    r = _upload(web, b"ID,Name,Duration\n1,A,1d\n", "a.csv")
    assert r.status_code == 403
    assert not Project.objects.filter(name="a").exists()


def test_the_export_page(web: dict[str, Any]) -> None:
    project = web["project"]
    r = web["client"].get(f"/export/?project={project.pk}")
    assert r["Location"] == f"/projects/{project.pk}/export/"
    page = web["client"].get(r["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/api/v1/projects/{project.pk}/export?format=xer" in html
    assert f"/api/v1/projects/{project.pk}/milestones.ics?key=" in html
    assert web["client"].get("/projects/999999/export/").status_code == 404
