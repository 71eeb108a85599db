"""Task tags: imported custom fields (MS Project extended attributes, P6 activity codes and
user-defined fields) become ``Task.tags``, go back to the files they came from, and are shown,
edited and filtered in the API and the task page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 8)


@pytest.fixture
def acme(two_orgs: dict[str, Any], make_user: Any) -> dict[str, Any]:
    from pmo.core.access import Access

    data = two_orgs["acme"]
    user = make_user("tagger", data["org"], "pmo_admin")
    return {**data, "user": user, "access": Access(user)}


def _document(source_format: str) -> Any:
    from pmo.interop.document import (
        DocTask,
        ProjectDocument,
        ProjectProperties,
        TagDefinition,
    )

    tasks = (
        DocTask(id="1", name="Pour", duration=960, tags={"Discipline": "Civil", "Area": "C3"}),
        DocTask(id="2", name="Wire", duration=480, tags={"Discipline": "Electrical"}),
        DocTask(id="3", name="Paint", duration=480),
    )
    if source_format == "xer":  # an activity code with its values, a text UDF
        definitions = (
            TagDefinition(
                name="Discipline",
                kind="code",
                data_type="code",
                source_id="7",
                values={"Civil": "Civil works", "Electrical": "Electrical works"},
            ),
            TagDefinition(name="Area", kind="udf", source_id="12"),
        )
    else:  # MS Project's Text1 and Text2 (field ids 188743731, 188743734) with aliases
        definitions = (
            TagDefinition(name="Discipline", source_id="188743731", values={"field_name": "Text1"}),
            TagDefinition(name="Area", source_id="188743734", values={"field_name": "Text2"}),
        )
    return ProjectDocument(
        project=ProjectProperties(name="Tagged", code="TAGGED", start=START),
        tasks=tasks,
        tag_definitions=definitions,
        source_format=source_format,
    )


def _file(fmt: str) -> bytes:
    from pmo.interop.mspdi import mspdi_bytes
    from pmo.interop.xer import xer_bytes

    doc = _document(fmt)
    return xer_bytes(doc) if fmt == "xer" else mspdi_bytes(doc)


def _import(acme: dict[str, Any], data: bytes, name: str) -> Any:
    from pmo.projects.interop_import import do_import_project_file
    from pmo.projects.models import Project

    result = do_import_project_file(acme["access"], acme["portfolio"], data, name)
    return Project.objects.get(pk=result.project_ids[0])


def _tags(project: Any) -> dict[str, dict[str, str]]:
    from pmo.projects.models import Task

    return {t.name: t.tags for t in Task.objects.filter(project=project)}


TAGS = {
    "Pour": {"Discipline": "Civil", "Area": "C3"},
    "Wire": {"Discipline": "Electrical"},
    "Paint": {},
}


@pytest.mark.parametrize("fmt", ["mspdi", "xer"])
def test_custom_fields_become_tags_and_go_back_to_the_file(acme: dict[str, Any], fmt: str) -> None:
    from pmo.interop.mspdi import read_mspdi
    from pmo.interop.xer import read_xer
    from pmo.projects.interop_export import export_project
    from pmo.projects.models import Task

    ext = "xer" if fmt == "xer" else "xml"
    project = _import(acme, _file(fmt), f"tagged.{ext}")
    assert _tags(project) == TAGS
    # the notes hold what the file's notes say, nothing else
    assert set(Task.objects.filter(project=project).values_list("notes", flat=True)) == {""}
    kinds = {d["name"]: (d["kind"], d["source_id"]) for d in project.tag_definitions}
    if fmt == "xer":
        assert kinds == {"Discipline": ("code", "7"), "Area": ("udf", "12")}
        discipline = next(d for d in project.tag_definitions if d["name"] == "Discipline")
        assert discipline["values"] == {"Civil": "Civil works", "Electrical": "Electrical works"}
    else:
        assert kinds == {"Discipline": ("field", "188743731"), "Area": ("field", "188743734")}

    # exported to the same format: the file's own kind of custom field again
    exported = export_project(project, fmt)
    if fmt == "xer":
        (back,) = read_xer(exported.content)
        definitions = {d.name: d for d in back.tag_definitions}
        assert definitions["Discipline"].kind == "code"
        assert definitions["Discipline"].values == {
            "Civil": "Civil works",
            "Electrical": "Electrical works",
        }
        assert definitions["Area"].kind == "udf"
    else:
        back = read_mspdi(exported.content)
        definitions = {d.name: d for d in back.tag_definitions}
        assert definitions["Discipline"].source_id == "188743731"
        assert definitions["Area"].source_id == "188743734"
    assert {t.name: dict(t.tags) for t in back.tasks if t.name in TAGS} == TAGS

    # and imported again: the same tags and definitions (pmo's export -> import is lossless)
    copy = _import(acme, exported.content, exported.filename)
    assert _tags(copy) == TAGS
    assert copy.tag_definitions == project.tag_definitions


def test_tags_cross_to_the_other_format(acme: dict[str, Any]) -> None:
    """P6 activity codes go to MS Project text fields (and back as plain tags)."""
    from pmo.interop.mspdi import read_mspdi
    from pmo.projects.interop_export import export_project

    project = _import(acme, _file("xer"), "tagged.xer")
    back = read_mspdi(export_project(project, "mspdi").content)
    assert {t.name: dict(t.tags) for t in back.tasks if t.name in TAGS} == TAGS
    # named by alias, in two of MS Project's task text fields
    fields = {d.name: d.values.get("field_name") for d in back.tag_definitions}
    assert set(fields) == {"Discipline", "Area"}
    assert sorted(fields.values()) == ["Text1", "Text2"]


def test_old_custom_field_blocks_in_notes_still_export_as_tags(acme: dict[str, Any]) -> None:
    from pmo.projects.interop_export import project_document
    from pmo.projects.models import Task

    project = _import(acme, _file("mspdi"), "tagged.xml")
    Task.objects.filter(project=project, name="Paint").update(
        notes="Two coats.\n\n[custom fields]\nFinish: Matt"
    )
    paint = next(t for t in project_document(project).tasks if t.name == "Paint")
    assert paint.notes == "Two coats." and paint.tags == {"Finish": "Matt"}


def test_tags_in_the_api(acme: dict[str, Any], api_for: Any) -> None:
    from pmo.projects.models import Task

    project = _import(acme, _file("xer"), "tagged.xer")
    api = api_for(acme["user"])
    base = f"/tasks?project_id={project.pk}"

    def names(query: str) -> list[str]:
        response = api.get(f"{base}&{query}")
        assert response.status_code == 200, response.content
        return sorted(t["name"] for t in response.json()["items"])

    assert names("tag=Discipline") == ["Pour", "Wire"]
    assert names("tag=Discipline=Civil") == ["Pour"]
    assert names("tag=Discipline%3DElectrical") == ["Wire"]
    assert names("tag=Area=C3") == ["Pour"]
    assert names("tag=Area=C4") == []
    assert names("tag=Phase") == []
    pour = Task.objects.get(project=project, name="Pour")
    read = api.get(f"/tasks/{pour.pk}").json()
    assert read["tags"] == {"Discipline": "Civil", "Area": "C3"}
    assert read["activity_type"] == "task" and read["secondary_constraint_type"] == ""

    # a label without a value, changed through the API with its version
    changed = api.patch(
        f"/tasks/{pour.pk}",
        {"tags": {"Discipline": "Civil", "urgent": ""}},
        **{"If-Match": f'"{read["version"]}"'},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["tags"] == {"Discipline": "Civil", "urgent": ""}
    assert names("tag=urgent") == ["Pour"]
    refused = api.patch(
        f"/tasks/{pour.pk}",
        {"tags": {" ": "x"}},
        **{"If-Match": f'"{changed.json()["version"]}"'},
    )
    assert refused.status_code == 422
    pour.refresh_from_db()
    assert pour.tags == {"Discipline": "Civil", "urgent": ""}


def test_tags_on_the_task_page(acme: dict[str, Any], client: Any) -> None:
    from pmo.projects.models import Task

    project = _import(acme, _file("mspdi"), "tagged.xml")
    pour = Task.objects.get(project=project, name="Pour")
    client.force_login(acme["user"])
    page = client.get(f"/tasks/{pour.pk}/edit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="tags"' in html and "Area=C3\nDiscipline=Civil</textarea>" in html
    form = {
        "name": pour.name,
        "parent": "",
        "position": pour.position,
        "activity_type": pour.activity_type,
        "duration_days": "2",
        "constraint_type": "ASAP",
        "percent_complete": 0,
        "notes": "",
        "tags": "Discipline = Civil works\n\nurgent\nArea=C3=east",
        "version": pour.version,
    }
    response = client.post(f"/tasks/{pour.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    pour.refresh_from_db()
    assert pour.tags == {"Discipline": "Civil works", "urgent": "", "Area": "C3=east"}
    assert pour.duration_minutes == 960
