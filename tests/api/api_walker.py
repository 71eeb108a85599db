"""Helpers that drive every API route from the OpenAPI schema (see test_api_isolation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

MONDAY = dt.date(2026, 1, 5)

# --- driving every route from the OpenAPI schema -----------------------------------------

# Body fields and query parameters that point at another row: which resource (path) they
# point at. A new reference-like field missing here makes the walkers fail, not skip.
REF_FIELDS = {
    "organisation_id": "organisations",
    "portfolio_id": "portfolios",
    "program_id": "programs",
    "project_id": "projects",
    "task_id": "tasks",
    "predecessor_id": "tasks",
    "successor_id": "tasks2",
    "calendar_id": "calendars",
    "default_calendar_id": "calendars",
    "resource_id": "resources",
    "skill_id": "skills",
    "objectives": "objectives",
    "objective_id": "objectives",
    "object_id": "tasks",
}
USER_FIELDS = {"user_id", "manager_id", "owner_id", "author_id", "reviewed_by_id"}
SELF_FIELDS = {"parent_id"}  # a row of the same resource
PERSONAL = {"tokens", "me", "feed-links"}  # the caller's own things, in no organisation


class UnknownRoute(Exception):
    """The walker does not know how to exercise this route: the test must fail."""


class Route:
    def __init__(self, method: str, path: str, op: dict[str, Any]) -> None:
        self.method = method.upper()
        self.path = path.removeprefix("/api/v1")
        self.op = op
        self.parts = [p for p in self.path.split("/") if p]
        self.resource = self.parts[0] if self.parts else ""
        self.has_id = len(self.parts) >= 2 and self.parts[1] == "{id}"
        params = [p for p in op.get("parameters", []) if p.get("in") == "path"]
        names = [p["name"] for p in params]
        if names and (not self.has_id or names[0] != "id"):
            raise UnknownRoute(f"{self}: path parameters without a leading /{{id}}")
        # Further parameters (``/projects/{id}/baselines/{number}``) get a plain value: the
        # row named by {id} decides the answer.
        self.extra: dict[str, Any] = {}
        for param in params[1:]:
            kind = param.get("schema", {}).get("type")
            if kind not in {"integer", "string"}:
                raise UnknownRoute(f"{self}: cannot fill path parameter {param['name']!r}")
            self.extra[param["name"]] = 0 if kind == "integer" else "x"
        self.kind = self._kind()

    def _kind(self) -> str:
        n = len(self.parts)
        if n == 1 and self.method == "GET":
            return "list"
        if n == 1 and self.method == "POST":
            return "create"
        if n == 2 and self.has_id and self.method in {"GET", "PATCH", "DELETE"}:
            return {"GET": "detail", "PATCH": "update", "DELETE": "delete"}[self.method]
        if n >= 2 and self.has_id:
            return "action"  # /things/{id}/something: must 404 on another's id
        raise UnknownRoute(f"{self}: no rule for this shape of route")

    def url(self, pk: Any = None, query: str = "") -> str:
        path = self.path.replace("{id}", str(pk)) if self.has_id else self.path
        for name, value in self.extra.items():
            path = path.replace(f"{{{name}}}", str(value))
        return path + (f"?{query}" if query else "")

    def query_params(self) -> list[str]:
        return [p["name"] for p in self.op.get("parameters", []) if p.get("in") == "query"]

    def __repr__(self) -> str:
        return f"{self.method} {self.path}"


class Book:
    """The API's routes and request schemas, read from /api/v1/openapi.json."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.routes: list[Route] = []
        self.unknown: list[str] = []
        for path, item in schema["paths"].items():
            for method, op in item.items():
                if method.lower() not in {"get", "post", "put", "patch", "delete"}:
                    continue
                try:
                    self.routes.append(Route(method, path, op))
                except UnknownRoute as exc:
                    self.unknown.append(str(exc))

    def deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = self.schema["components"]["schemas"][name]
        return node

    def body_schema(self, route: Route) -> dict[str, Any] | None:
        body = route.op.get("requestBody")
        if not body or "application/json" not in body["content"]:
            return None  # no body, or a file upload (see is_upload)
        return self.deref(body["content"]["application/json"]["schema"])

    def is_upload(self, route: Route) -> bool:
        """A multipart route (a file upload): the walkers exercise it with a file."""
        body = route.op.get("requestBody") or {}
        return "multipart/form-data" in body.get("content", {})

    def ref_slots(self, route: Route) -> list[tuple[Any, ...]]:
        """Paths in the body that point at other rows: ("project_id",), ("skills", 0,
        "skill_id"), ("objectives",)."""
        node = self.body_schema(route)
        return [] if node is None else self._slots(route, node, ())

    def _slots(self, route: Route, node: dict[str, Any], prefix: tuple[Any, ...]) -> list:
        out: list[tuple[Any, ...]] = []
        for name, prop in node.get("properties", {}).items():
            if name == "version":
                continue
            kind = self._ref_kind(route, name, prop)
            if kind is not None:
                out.append((*prefix, name))
                continue
            inner = self._array_object(prop)
            if inner is not None:
                out.extend(self._slots(route, inner, (*prefix, name, 0)))
        return out

    def _array_object(self, prop: dict[str, Any]) -> dict[str, Any] | None:
        for option in [prop, *prop.get("anyOf", [])]:
            option = self.deref(option)
            if option.get("type") == "array":
                items = self.deref(option.get("items", {}))
                if items.get("type") == "object" or "properties" in items:
                    return items
        return None

    def _ref_kind(self, route: Route, name: str, prop: dict[str, Any]) -> str | None:
        if name in REF_FIELDS:
            return REF_FIELDS[name]
        if name in USER_FIELDS:
            return "user"
        if name in SELF_FIELDS:
            return route.resource
        types = {self.deref(o).get("type") for o in [prop, *prop.get("anyOf", [])]}
        if name.endswith("_id") or name.endswith("_ids") or name == "id":
            raise UnknownRoute(f"{route}: the walker does not know what {name!r} points at")
        if "array" in types and self._array_object(prop) is None:
            items = [self.deref(o).get("items", {}) for o in [prop, *prop.get("anyOf", [])]]
            if any(self.deref(i).get("type") == "integer" for i in items if i):
                raise UnknownRoute(f"{route}: the walker does not know what {name!r} lists")
        return None

    def body(
        self,
        route: Route,
        ids: Callable[[str, tuple[Any, ...]], Any],
        *,
        only_refs: bool = False,
        counter: list[int] | None = None,
    ) -> dict[str, Any]:
        """A body for ``route``: every reference from ``ids(kind, slot)``, the other
        required fields with plausible values (``only_refs``: references only)."""
        node = self.body_schema(route)
        if node is None:
            return {}
        return self._fill(route, node, (), ids, only_refs, counter or [0])

    def _fill(self, route, node, prefix, ids, only_refs, counter) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        out: dict[str, Any] = {}
        required = set(node.get("required", []))
        for name, prop in node.get("properties", {}).items():
            if name == "version":
                continue
            kind = self._ref_kind(route, name, prop)
            slot = (*prefix, name)
            if kind is not None:
                value = ids(kind, slot)
                if value is not None:
                    out[name] = [value] if name == "objectives" else value
                continue
            inner = self._array_object(prop)
            if inner is not None:
                out[name] = [self._fill(route, inner, (*slot, 0), ids, only_refs, counter)]
                continue
            if name in required and not only_refs:
                out[name] = self._sample(name, self.deref(prop), counter)
        return out

    def _sample(self, name: str, prop: dict[str, Any], counter: list[int]) -> Any:
        counter[0] += 1
        options = [self.deref(o) for o in prop.get("anyOf", [prop])]
        types = {o.get("type") for o in options}
        fmt = {o.get("format") for o in options}
        if "currency" in name:
            return "USD" if name.startswith("to_") else "EUR"
        if name == "country":
            return "FR"
        if "date" in fmt:
            return MONDAY.isoformat()
        if "date-time" in fmt:
            return f"{MONDAY.isoformat()}T08:00:00Z"
        if "integer" in types:
            return 1
        if "number" in types:
            return 1
        if "boolean" in types:
            return False
        if "array" in types:
            return []
        if "string" in types:
            return f"walker-{counter[0]}"
        raise UnknownRoute(f"cannot make up a value for {name!r}: {prop}")


def fingerprint(org: Any) -> dict[str, Any]:
    """Every row of ``org`` with its version (or revocation), to see any change."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    from pmo.core.models import ApiToken
    from pmo.orgs.models import Membership, Organisation
    from pmo.resources.models import ResourceSkill

    out: dict[str, Any] = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        names = {f.name for f in model._meta.concrete_fields}
        qs: Any
        if model is Organisation:
            qs = model.objects.filter(pk=org.pk)
        elif "organisation" in names:
            qs = model._default_manager.filter(organisation_id=org.pk)
        else:
            continue
        cols = ["pk", "version"] if "version" in names else ["pk"]
        out[label] = sorted(qs.values_list(*cols))
    members = Membership.objects.filter(organisation=org).values("user_id")
    out["tokens"] = sorted(
        ApiToken.objects.filter(user_id__in=members).values_list("pk", "revoked_at")
    )
    out["resource_skills"] = sorted(
        ResourceSkill.objects.filter(resource__organisation=org).values_list("pk", "proficiency")
    )
    out["users"] = get_user_model().objects.count()
    return out


def row_counts() -> dict[str, int]:
    from django.apps import apps

    return {m._meta.label_lower: m._default_manager.count() for m in apps.get_models()}
