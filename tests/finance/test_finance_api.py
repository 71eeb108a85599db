"""The finance API: earned value, snapshots, budget monitoring, the timesheet week and its
review, cost line import — with roles, versions and organisation isolation."""

from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest


@pytest.fixture
def apis(progressed: dict[str, Any], make_user: Any, api_for: Any, two_orgs: dict[str, Any]) -> Any:
    org, project = progressed["org"], progressed["project"]
    users = {
        "admin": progressed["admin"],
        "pm": make_user("api-pm", org, "project_manager", project=project),
        "member": make_user("api-tm", org, "team_member"),
        "viewer": make_user("api-viewer", org, "executive_viewer"),
        "stranger": make_user("api-globex", two_orgs["globex"]["org"], "pmo_admin"),
    }
    return {name: api_for(user) for name, user in users.items()} | {"users": users}


def test_project_evm(progressed: dict[str, Any], apis: Any) -> None:
    pk = progressed["project"].pk
    r = apis["viewer"].get(f"/projects/{pk}/evm?as_of=2026-02-13")
    assert r.status_code == 200, r.content
    body = r.json()
    m = body["measures"]
    assert (m["bac"], m["pv"], m["ev"], m["ac"]) == ("16000.00", "12000.00", "11680.00", "12600.00")
    assert m["cpi"] == pytest.approx(0.926984) and m["spi_t"] == pytest.approx(0.968293)
    assert m["eac"] == "17260.27" and m["vac_percent"] == pytest.approx(-7.88)
    assert body["start"] == "2026-01-01" and body["period"] == "month"
    assert [t["name"] for t in body["tasks"]] == ["Design", "Build"]
    assert any(p["date"] == "2026-02-13" and p["ev"] == "11680.00" for p in body["curve"])
    assert apis["viewer"].get(f"/projects/{pk}/evm?period=fortnight").status_code == 422
    weekly = apis["viewer"].get(f"/projects/{pk}/evm?as_of=2026-02-13&period=week").json()
    assert weekly["measures"]["ev"] == "11680.00" and weekly["start"] == "2026-01-05"
    assert apis["stranger"].get(f"/projects/{pk}/evm").status_code == 404


def test_snapshots(progressed: dict[str, Any], apis: Any) -> None:
    pk = progressed["project"].pk
    url = f"/projects/{pk}/evm/snapshots"
    assert apis["viewer"].post(url, {"status_date": "2026-02-13"}).status_code == 403
    assert apis["member"].post(url, {"status_date": "2026-02-13"}).status_code == 403
    assert apis["stranger"].post(url, {"status_date": "2026-02-13"}).status_code == 404
    r = apis["pm"].post(url, {"status_date": "2026-01-31"})
    assert r.status_code == 201, r.content
    assert r["ETag"] == '"1"'
    assert r.json()["ev"] == "8800.00" and r.json()["spi_t"] == "1.000000"
    r = apis["pm"].post(url, {"status_date": "2026-02-13"})
    assert r.status_code == 201
    snap_id = r.json()["id"]
    r = apis["admin"].post(url, {"status_date": "2026-02-13"})
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    listed = apis["viewer"].get(url).json()
    assert listed["count"] == 2
    assert [s["status_date"] for s in listed["items"]] == ["2026-01-31", "2026-02-13"]
    detail = apis["viewer"].get(f"{url}/{snap_id}").json()
    assert detail["cpi"] == "0.926984" and [t["name"] for t in detail["tasks"]] == [
        "Design",
        "Build",
    ]
    assert apis["viewer"].get(f"{url}/999999").status_code == 404
    assert apis["stranger"].get(url).status_code == 404


def test_budget_monitoring(progressed: dict[str, Any], apis: Any) -> None:
    pf, pg = progressed["portfolio"], progressed["program"]
    r = apis["viewer"].get(f"/portfolios/{pf.pk}/budget-monitoring?as_of=2026-02-13&sort=-cpi")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["currency"] == "EUR" and body["sort"] == "-cpi"
    (row,) = body["rows"]
    assert row["code"] == "acme-1" and row["flags"] == ["CPI"]
    assert row["eac"] == "17260.27" and row["cpi"] == pytest.approx(0.926984)
    assert body["total"]["ev"] == "11680.00" and body["flagged"] == 1
    assert body["thresholds"] == {"cpi": "0.95", "spi": "0.95", "variance_percent": "10.00"}
    r = apis["viewer"].get(f"/portfolios/{pf.pk}/budget-monitoring?sort=colour")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == ["sort"]
    r = apis["viewer"].get(f"/programs/{pg.pk}/budget-monitoring?as_of=2026-02-13")
    assert r.status_code == 200 and r.json()["scope"] == "program"
    assert apis["stranger"].get(f"/portfolios/{pf.pk}/budget-monitoring").status_code == 404
    assert apis["stranger"].get(f"/programs/{pg.pk}/budget-monitoring").status_code == 404


def test_timesheet_week_review_and_versions(plan: dict[str, Any], apis: Any) -> None:
    from pmo.core.access import Access
    from pmo.core.services import do_update
    from pmo.finance.models import CostLine
    from pmo.projects.models import Task

    member = apis["users"]["member"]
    ann = do_update(Access(plan["admin"]), plan["ann"], {"user_id": member.pk}, 1)
    design, build = plan["design"], plan["build"]
    week = {
        "resource_id": ann.pk,
        "week_start": "2026-02-02",
        "entries": [
            {"task_id": design.pk, "hours": "6"},
            {"task_id": build.pk, "hours": "30", "comment": "frames"},
        ],
    }
    r = apis["viewer"].post("/timesheets", week)
    assert r.status_code == 403
    r = apis["member"].post("/timesheets", {**week, "week_start": "2026-02-03"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == ["week_start"]
    r = apis["member"].post("/timesheets", {**week, "submit": True})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total_hours"] == "36.00"
    entries = {e["task_id"]: e for e in body["entries"]}
    assert {e["state"] for e in entries.values()} == {"submitted"}
    first, second = entries[design.pk], entries[build.pk]

    url = f"/timesheet-entries/{second['id']}"
    assert apis["member"].post(f"{url}/approve", {}, If_Match='"2"').status_code == 403
    assert apis["pm"].post(f"{url}/approve", {}).status_code == 428
    r = apis["pm"].post(f"{url}/approve", {}, If_Match='"1"')
    assert r.status_code == 412 and r.json()["current_version"] == 2
    r = apis["pm"].post(f"{url}/approve", {"comment": "fine"}, If_Match='"2"')
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "approved" and r["ETag"] == '"3"'
    line = CostLine.objects.get(reference=f"timesheet-entry:{second['id']}")
    assert line.amount == Decimal("1800.00")  # 30 h x Ann's 60 EUR/h (from 01-19)
    assert Task.objects.get(pk=build.pk).actual_start == dt.datetime(2026, 2, 2, 8, tzinfo=dt.UTC)

    other = f"/timesheet-entries/{first['id']}"
    r = apis["pm"].post(f"{other}/reject", {"comment": " "}, If_Match='"2"')
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == ["review_comment"]
    r = apis["pm"].post(f"{other}/reject", {"comment": "not this week"}, If_Match='"2"')
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert not CostLine.objects.filter(reference=f"timesheet-entry:{first['id']}").exists()
    # the member corrects it (a draft again) and resubmits
    r = apis["member"].post(
        "/timesheets",
        {**week, "entries": [{"task_id": design.pk, "hours": "4"}], "submit": True},
    )
    assert r.status_code == 200
    again = next(e for e in r.json()["entries"] if e["task_id"] == design.pk)
    assert again["state"] == "submitted" and again["hours"] == "4.00"
    # the generic PATCH approves with the same effects
    r = apis["pm"].patch(other, {"state": "approved"}, If_Match=f'"{again["version"]}"')
    assert r.status_code == 200, r.content
    line = CostLine.objects.get(reference=f"timesheet-entry:{first['id']}")
    assert line.amount == Decimal("240.00")  # 4 h x 60 EUR/h


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_cost_line_import(progressed: dict[str, Any], apis: Any) -> None:
    from pmo.finance.models import CostLine

    pk = progressed["project"].pk
    url = f"/projects/{pk}/cost-lines/import"
    before = CostLine.objects.count()
    bad = (
        "Posting date;Net;Cat;WBS;Doc\n"
        "2026-02-20;100.5;material;2;INV-1\n"
        "2026-02-3x;abc;food;9;INV-2\n"
    )
    body = {
        "filename": "ledger.csv",
        "content": bad,
        "mapping": {"Posting date": "date", "Net": "amount", "Cat": "category", "Doc": "reference"},
    }
    r = apis["admin"].post(url, body)
    assert r.status_code == 422
    errors = [(e["path"], e["message"]) for e in r.json()["errors"]]
    assert [p for p, _ in errors] == [
        ["lines", 3, "Posting date"],
        ["lines", 3, "Net"],
        ["lines", 3, "Cat"],
        ["lines", 3, "WBS"],
    ]
    assert "not a date" in errors[0][1] and "no task '9'" in errors[3][1]
    assert CostLine.objects.count() == before
    good = bad.replace("2026-02-3x;abc;food;9", "2026-02-21;1,250.00;Travel;1")
    assert apis["member"].post(url, {**body, "content": good}).status_code == 403
    assert apis["stranger"].post(url, {**body, "content": good}).status_code == 404
    r = apis["admin"].post(url, {**body, "content": good, "dry_run": True})
    assert r.status_code == 200 and r.json()["created"] == 2
    assert CostLine.objects.count() == before
    r = apis["admin"].post(url, {**body, "content": good})
    assert r.status_code == 201, r.content
    assert r.json()["total_by_currency"] == {"EUR": "1350.50"}
    lines = CostLine.objects.filter(reference__in=["INV-1", "INV-2"]).order_by("reference")
    assert [(ln.amount, ln.category, ln.task.name) for ln in lines] == [  # type: ignore[union-attr]
        (Decimal("100.50"), "material", "Build"),
        (Decimal("1250.00"), "travel", "Design"),
    ]
    r = apis["admin"].post(url, {**body, "content": good})
    assert r.status_code == 422  # the references were imported already
    assert r.json()["errors"][0]["path"] == ["lines", 2, "Doc"]
    # XLSX, base64, dates as cells
    data = _xlsx(
        [
            ["Date", "Amount", "Currency", "Category", "Description"],
            [dt.datetime(2026, 2, 25), 300, "EUR", "services", "audit"],
        ]
    )
    r = apis["admin"].post(
        url,
        {"filename": "x.xlsx", "content": base64.b64encode(data).decode(), "encoding": "base64"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["lines"][0]["date"] == "2026-02-25"
    assert r.json()["lines"][0]["task_id"] is None
    r = apis["admin"].post(url, {"filename": "x.xls", "content": "AAAA", "encoding": "base64"})
    assert r.status_code == 415
