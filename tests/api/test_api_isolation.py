"""Organisation isolation, driven by the OpenAPI schema: every route, every reference.

As the PMO admin of globex (B), every route is called with the ids of acme's (A) rows:
reads and lists never show them, writes to them answer 404, and creating or moving a row
under one of A's rows is refused (422 naming the field, or 404) with nothing written. A
route the walker cannot exercise fails the test, so a new route is covered or noticed.
"""

from __future__ import annotations

import json
from typing import Any

from api_walker import PERSONAL, Book, Route, UnknownRoute, fingerprint, row_counts


def _ids(side: dict[str, Any]) -> Any:
    def pick(kind: str, slot: tuple[Any, ...] = ()) -> Any:
        if kind == "user":
            return side["admin"].pk
        obj = side["objects"].get(kind)
        if obj is None:
            raise UnknownRoute(f"the fixture has no {kind!r} row to point at")
        return obj.pk

    return pick


def _walk(tree: Any) -> Any:
    if isinstance(tree, dict):
        yield tree
        for v in tree.values():
            yield from _walk(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from _walk(v)


def _assert_no_leak(route: Route, response: Any, a: dict[str, Any]) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.content[:300]!r}"
    text = response.content.decode()
    assert "acme" not in text.lower(), f"A's data in the response: {text[:300]}"
    if not text:
        return
    body = json.loads(text)
    for node in _walk(body):
        assert node.get("organisation_id") != a["org"].pk, f"a row of A: {node}"
    own = a["objects"].get(route.resource)
    if own is not None and isinstance(body, dict) and "items" in body:
        assert own.pk not in [i.get("id") for i in body["items"]]


def _refused(response: Any, field: str) -> None:
    assert response.status_code in (404, 422), (
        f"expected 404/422 for {field}, got {response.status_code}: {response.content[:300]!r}"
    )
    if response.status_code == 422:
        paths = [e["path"] for e in response.json().get("errors", [])]
        assert any(p[:1] == [field] for p in paths), f"422 does not name {field}: {paths}"


# A small valid MS Project XML file for upload routes (POST /imports).
MSPDI = b"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project"><Name>walker.xml</Name>
<StartDate>2026-01-05T08:00:00</StartDate><CalendarUID>1</CalendarUID>
<Calendars><Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>
</Calendar></Calendars><Tasks><Task><UID>1</UID><ID>1</ID><Name>walker task</Name>
<OutlineLevel>1</OutlineLevel><Duration>PT8H0M0S</Duration></Task></Tasks></Project>"""


def _exercise_upload(route: Route, book: Book, a: dict[str, Any], b: dict[str, Any]) -> None:
    """A file upload with a query parameter pointing at one of A's rows: 404, nothing
    written; pointing at B's rows (a dry run): fine, and nothing of A touched."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = b["api"].client
    refs = [n for n in route.query_params() if book._ref_kind(route, n, {}) is not None]
    if not refs:
        raise UnknownRoute(f"{route}: an upload without a reference to exercise")
    a_id, b_id = _ids(a), _ids(b)
    for name in refs:
        query = "&".join(
            f"{n}={(a_id if n == name else b_id)(book._ref_kind(route, n, {}))}" for n in refs
        )
        counts = row_counts()
        response = client.post(
            f"/api/v1{route.url(query=query)}",
            {"file": SimpleUploadedFile("walker.xml", MSPDI, "application/xml")},
        )
        assert response.status_code == 404, f"{name}=A's: {response.status_code}"
        _assert_no_leak(route, response, a)
        assert row_counts() == counts, f"{name}: rows were written"
    before = fingerprint(a["org"])
    query = "&".join(f"{n}={b_id(book._ref_kind(route, n, {}))}" for n in refs)
    response = client.post(
        f"/api/v1{route.url(query=query + '&dry_run=true')}",
        {"file": SimpleUploadedFile("walker.xml", MSPDI, "application/xml")},
    )
    assert response.status_code == 200, response.content[:300]
    _assert_no_leak(route, response, a)
    assert fingerprint(a["org"]) == before


def _exercise(route: Route, book: Book, a: dict[str, Any], b: dict[str, Any]) -> None:
    api = b["api"]
    a_id, b_id = _ids(a), _ids(b)
    if route.kind == "create" and book.is_upload(route):
        _exercise_upload(route, book, a, b)
        return
    if route.kind == "list":
        _assert_no_leak(route, api.get(route.url()), a)
        for name in route.query_params():
            kind = book._ref_kind(route, name, {})
            if kind is None:
                continue
            response = api.get(route.url(query=f"{name}={a_id(kind)}"))
            assert response.status_code == 200, f"?{name}=: {response.status_code}"
            _assert_no_leak(route, response, a)
            body = response.json()
            if isinstance(body, dict) and "items" in body:
                assert body["items"] == [], f"?{name}= A's id lists {body['items']}"
        return
    if route.kind == "create":
        slots = book.ref_slots(route)
        if not slots:  # nothing of A to point at: may succeed, but only in B
            before = fingerprint(a["org"])
            response = api.post(route.url(), book.body(route, b_id))
            assert response.status_code in (201, 403, 422), response.status_code
            assert fingerprint(a["org"]) == before
            return
        for slot in slots:
            # A user slot gets A's admin, whom B's admin does not see: a membership of B
            # for them is refused like a missing user (no probing of user ids), as is any
            # other reference to a user outside B.

            def ids(kind: str, s: tuple[Any, ...], slot: Any = slot) -> Any:
                return a_id(kind) if s == slot else b_id(kind)

            counts = row_counts()
            response = api.post(route.url(), book.body(route, ids))
            _refused(response, slot[0])
            assert row_counts() == counts, f"{slot}: rows were written"
        return
    target = a["objects"].get(route.resource)
    if target is None:
        raise UnknownRoute(f"{route}: the fixture has no {route.resource!r} row")
    version = f'"{getattr(target, "version", 1)}"'
    counts = row_counts()
    if route.kind == "detail":
        response = api.get(route.url(target.pk))
    elif route.kind == "update":
        response = api.patch(route.url(target.pk), {}, If_Match=version)
    elif route.kind == "delete":
        response = api.delete(route.url(target.pk), If_Match=version)
    else:  # action on another's row, with an otherwise valid body
        body = book.body(route, b_id)
        method = getattr(api, route.method.lower())
        response = (
            method(route.url(target.pk), If_Match=version)
            if route.method in {"GET", "DELETE"}
            else method(route.url(target.pk), body, If_Match=version)
        )
    assert response.status_code == 404, f"{response.status_code}: {response.content[:300]!r}"
    _assert_no_leak(route, response, a)
    assert row_counts() == counts
    if route.kind == "update":
        # B's own row cannot be moved under one of A's rows either.
        own = b["objects"][route.resource]
        for slot in book.ref_slots(route):

            def only(kind: str, s: tuple[Any, ...], slot: Any = slot) -> Any:
                return a_id(kind) if s == slot else None

            body = {k: v for k, v in book.body(route, only).items() if k == slot[0]}
            snapshot = fingerprint(b["org"])
            response = api.patch(route.url(own.pk), body, If_Match=f'"{own.version}"')
            _refused(response, slot[0])
            assert fingerprint(b["org"]) == snapshot, f"{slot}: B's row changed"


def test_every_route_keeps_organisations_apart(world: dict[str, Any], book: Book) -> None:
    a, b = world["acme"], world["globex"]
    before = fingerprint(a["org"])
    problems = list(book.unknown)
    kinds: set[str] = set()
    for route in book.routes:
        try:
            _exercise(route, book, a, b)
            kinds.add(route.kind)
        except UnknownRoute as exc:
            problems.append(f"{route}: cannot exercise: {exc}")
        except AssertionError as exc:
            problems.append(f"{route}: {exc}")
    assert not problems, "\n".join(problems)
    assert fingerprint(a["org"]) == before
    assert {"list", "detail", "create", "update", "delete"} <= kinds
    # Every resource the API serves has a row in the fixture (else the walk proves little).
    served = {r.resource for r in book.routes if r.has_id} - PERSONAL
    assert served <= set(a["objects"]), served - set(a["objects"])


def test_the_walker_refuses_a_route_it_does_not_know(world: dict[str, Any], book: Book) -> None:
    schema = json.loads(json.dumps(book.schema))
    schema["paths"]["/api/v1/members/{user}"] = {
        "get": {"parameters": [{"in": "path", "name": "user", "schema": {"type": "integer"}}]}
    }
    body = {"type": "object", "properties": {"gizmo_id": {"type": "integer"}}}
    schema["paths"]["/api/v1/widgets"] = {
        "post": {"requestBody": {"content": {"application/json": {"schema": body}}}}
    }
    other = Book(schema)
    assert any("/members/{user}" in u for u in other.unknown)
    widgets = next(r for r in other.routes if r.path == "/widgets")
    try:
        other.ref_slots(widgets)
    except UnknownRoute:
        pass
    else:
        raise AssertionError("an unknown reference field must stop the walker")


# The finance actions hang under rows of other resources (projects, portfolios, programs,
# timesheet entries) or take references in their body (``POST /timesheets``), so the walk
# above exercises them as actions and creates; this keeps them from dropping out unnoticed.
FINANCE_ROUTES = {
    "GET /projects/{id}/evm",
    "GET /projects/{id}/evm/snapshots",
    "POST /projects/{id}/evm/snapshots",
    "GET /projects/{id}/evm/snapshots/{snapshot_id}",
    "POST /projects/{id}/cost-lines/import",
    "GET /portfolios/{id}/budget-monitoring",
    "GET /programs/{id}/budget-monitoring",
    "GET /organisations/{id}/budget-monitoring",
    "POST /timesheets",
    "POST /timesheet-entries/{id}/submit",
    "POST /timesheet-entries/{id}/withdraw",
    "POST /timesheet-entries/{id}/approve",
    "POST /timesheet-entries/{id}/reject",
}


def test_the_finance_routes_are_walked(book: Book) -> None:
    walked = {repr(r): r.kind for r in book.routes}
    assert set(walked) >= FINANCE_ROUTES, FINANCE_ROUTES - set(walked)
    assert walked["POST /timesheets"] == "create"
    assert book.ref_slots(next(r for r in book.routes if repr(r) == "POST /timesheets")) == [
        ("resource_id",),
        ("entries", 0, "task_id"),
    ]


def test_the_walk_covers_capacity_staffing_and_levelling(book: Book) -> None:
    """These routes are of shapes the walk above exercises (lists filtered by another
    organisation's ids, actions on another organisation's rows), and the fixture has a row of
    each resource they act on (a levelling run, a skill requirement)."""
    kinds = {(r.method, r.path): r.kind for r in book.routes}
    expected = {
        ("GET", "/capacity"): "list",
        ("GET", "/resources/{id}/demand"): "action",
        ("GET", "/levelling-runs"): "list",
        ("GET", "/levelling-runs/{id}"): "detail",
        ("POST", "/levelling-runs/{id}/accept"): "action",
        ("POST", "/levelling-runs/{id}/discard"): "action",
        ("POST", "/levelling-runs/{id}/undo"): "action",
        ("POST", "/projects/{id}/level"): "action",
        ("POST", "/portfolios/{id}/level"): "action",
        ("GET", "/projects/{id}/staffing"): "action",
        ("POST", "/projects/{id}/staffing"): "action",
        ("GET", "/tasks/{id}/candidates"): "action",
        ("GET", "/skill-requirements"): "list",
        ("POST", "/skill-requirements"): "create",
        ("PATCH", "/skill-requirements/{id}"): "update",
    }
    assert {k: kinds.get(k) for k in expected} == expected
