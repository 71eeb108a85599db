"""Bad input is answered with a precise 4xx, never a 500, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_walker import row_counts


@pytest.fixture
def setup(two_orgs: dict[str, Any], make_user: Any, api_for: Any) -> dict[str, Any]:
    acme = two_orgs["acme"]
    return {**acme, "api": api_for(make_user("admin", acme["org"]))}


def _refused(response: Any, status: int, counts: dict[str, int]) -> dict[str, Any]:
    assert response.status_code != 500
    assert response.status_code == status, response.content
    assert row_counts() == counts, "nothing may be written"
    body = response.json()
    assert set(body) >= {"code", "message"}
    return body


def test_malformed_json_is_400(setup: dict[str, Any]) -> None:
    counts = row_counts()
    r = setup["api"].post("/tasks", '{"project_id": 1, "name": ')
    assert _refused(r, 400, counts)["code"] == "malformed"
    r = setup["api"].patch(f"/tasks/{setup['tasks'][0].pk}", "[1, 2", If_Match='"1"')
    _refused(r, 400, counts)


def test_unknown_field_is_422_with_its_path(setup: dict[str, Any]) -> None:
    counts = row_counts()
    body = {"project_id": setup["project"].pk, "name": "x", "colour": "red"}
    r = setup["api"].post("/tasks", body)
    errors = _refused(r, 422, counts)["errors"]
    assert {"path": ["colour"], "message": "unknown field"} in errors
    r = setup["api"].patch(f"/tasks/{setup['tasks'][0].pk}", {"is_summary": True}, If_Match='"1"')
    assert ["is_summary"] in [e["path"] for e in _refused(r, 422, counts)["errors"]]


def test_wrong_type_is_422_with_its_path(setup: dict[str, Any]) -> None:
    counts = row_counts()
    body = {"project_id": setup["project"].pk, "name": "x", "duration_minutes": "long"}
    r = setup["api"].post("/tasks", body)
    assert [e["path"] for e in _refused(r, 422, counts)["errors"]] == [["duration_minutes"]]
    r = setup["api"].get("/tasks?project_id=abc")
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == ["project_id"]
    r = setup["api"].get("/tasks/abc")
    assert r.status_code in (404, 422)


def test_nested_paths_for_list_fields(setup: dict[str, Any]) -> None:
    counts = row_counts()
    cal = setup["calendar"]
    week = [[[480, 720]] for _ in range(5)] + [[], []]
    bad_type = json.loads(json.dumps(week))
    bad_type[2][0] = ["8am", 720]
    r = setup["api"].patch(f"/calendars/{cal.pk}", {"working_week": bad_type}, If_Match='"1"')
    paths = [e["path"] for e in _refused(r, 422, counts)["errors"]]
    assert ["working_week", 2, 0, 0] in paths
    bad_range = json.loads(json.dumps(week))
    bad_range[1] = [[480, 720], [700, 1500]]
    r = setup["api"].patch(f"/calendars/{cal.pk}", {"working_week": bad_range}, If_Match='"1"')
    errors = _refused(r, 422, counts)["errors"]
    assert [e["path"] for e in errors] == [["working_week", 1, 1]]
    assert "1440" in errors[0]["message"]
    r = setup["api"].post(
        "/calendar-exceptions",
        {
            "calendar_id": cal.pk,
            "name": "half day",
            "start_date": "2026-12-24",
            "end_date": "2026-12-24",
            "working_intervals": [[480, 720], [600, 700]],
        },
    )
    assert [e["path"] for e in _refused(r, 422, counts)["errors"]] == [["working_intervals", 1]]
    r = setup["api"].post(
        "/skills", {"organisation_id": setup["org"].pk, "name": "Welding"}
    )  # a real skill, then a bad proficiency for it
    assert r.status_code == 201
    counts = row_counts()
    body = {
        "organisation_id": setup["org"].pk,
        "code": "R1",
        "name": "Welder",
        "currency": "EUR",
        "skills": [{"skill_id": r.json()["id"], "proficiency": 9}],
    }
    r = setup["api"].post("/resources", body)
    assert [e["path"] for e in _refused(r, 422, counts)["errors"]] == [["skills", 0, "proficiency"]]


def test_oversize_body_is_413(setup: dict[str, Any], settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    counts = row_counts()
    body = {"project_id": setup["project"].pk, "name": "x", "notes": "n" * 2000}
    r = setup["api"].post("/tasks", body)
    assert _refused(r, 413, counts)["code"] == "payload_too_large"


def test_invalid_choice_names_the_field(setup: dict[str, Any]) -> None:
    counts = row_counts()
    project = setup["project"]
    r = setup["api"].patch(f"/projects/{project.pk}", {"phase": "foo"}, If_Match='"1"')
    errors = _refused(r, 422, counts)["errors"]
    assert [e["path"] for e in errors] == [["phase"]]
    assert "foo" in errors[0]["message"]
    body = {"portfolio_id": setup["portfolio"].pk, "code": "P9", "name": "x", "currency": "EUR"}
    r = setup["api"].post("/projects", {**body, "status": "meh"})
    assert [e["path"] for e in _refused(r, 422, counts)["errors"]] == [["status"]]
    project.refresh_from_db()
    assert (project.phase, project.version) == ("proposal", 1)


def test_rule_violations_name_their_field(setup: dict[str, Any]) -> None:
    counts = row_counts()
    api = setup["api"]
    task = setup["tasks"][0]
    r = api.patch(f"/tasks/{task.pk}", {"constraint_type": "MSO"}, If_Match='"1"')
    assert [e["path"] for e in _refused(r, 422, counts)["errors"]] == [["constraint_date"]]
    r = api.patch(f"/tasks/{task.pk}", {"percent_complete": 101}, If_Match='"1"')
    assert [e["path"] for e in _refused(r, 422, counts)["errors"]] == [["percent_complete"]]
    r = api.patch(f"/tasks/{task.pk}", {"name": None}, If_Match='"1"')
    assert [e["path"] for e in _refused(r, 422, counts)["errors"]] == [["name"]]
    dup = {"portfolio_id": setup["portfolio"].pk, "code": "acme-1", "name": "x", "currency": "EUR"}
    body = _refused(api.post("/projects", dup), 409, counts)
    assert body["code"] == "conflict"
    assert body["message"] == "code: a project with this code already exists"
