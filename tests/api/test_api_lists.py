"""Lists: filters, text search, paging, and no query per row."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_filters_and_search(world: dict[str, Any]) -> None:
    acme = world["acme"]
    api = acme["api"]
    project = acme["project"].pk
    r = api.get(f"/risks?project_id={project}&state=open&q=SUPPLIER")
    assert [x["code"] for x in r.json()["items"]] == ["acme-R1"]
    assert r.json()["items"][0]["score"] == 12
    assert api.get("/risks?q=acme-r1").json()["count"] == 1  # the code matches too
    assert api.get("/risks?state=closed").json()["count"] == 0
    skill = acme["objects"]["skills"].pk
    r = api.get(f"/resources?skill_id={skill}")
    assert r.json()["items"][0]["skills"] == [{"skill_id": skill, "proficiency": 4}]
    assert api.get(f"/timesheet-entries?project_id={project}&state=draft").json()["count"] == 1
    assert api.get(f"/assignments?project_id={project}").json()["count"] == 1
    r = api.get("/tasks?limit=1&offset=1")
    assert r.json()["count"] == 2 and [t["name"] for t in r.json()["items"]] == ["Build"]
    assert api.get("/tasks?limit=0").status_code == 422


def test_lists_do_not_query_per_row(world: dict[str, Any]) -> None:
    from pmo.portfolio.models import Portfolio, StrategicObjective
    from pmo.resources.models import Resource, ResourceSkill

    acme = world["acme"]
    api = acme["api"]
    org = acme["org"]
    objective = StrategicObjective.objects.get(organisation=org)
    skill = acme["objects"]["skills"]

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        return len(queries)

    count("/me")  # the token's first use is recorded once; not part of what is measured
    before = (count("/portfolios"), count("/resources"))
    for i in range(5):
        pf = Portfolio.objects.create(organisation=org, code=f"x{i}", name="n", currency="EUR")
        pf.objectives.add(objective)
        res = Resource.objects.create(organisation=org, code=f"x{i}", name="n", currency="EUR")
        ResourceSkill.objects.create(resource=res, skill=skill, proficiency=2)
    assert (count("/portfolios"), count("/resources")) == before
    r = api.get(f"/portfolios?objective_id={objective.pk}")
    assert r.json()["count"] == 5
    assert all(p["objectives"] == [objective.pk] for p in r.json()["items"])
