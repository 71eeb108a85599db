"""Typed list/read/create/update/delete routes for one model, all going through services.

Every resource gets the same contract, so clients learn it once:

- ``GET /things?limit=&offset=&<filters>`` → ``{"items": [...], "count": N}``
- ``GET /things/{id}`` → the object, with ``ETag: "<version>"``
- ``POST /things`` → 201 and the object
- ``PATCH /things/{id}`` with ``If-Match: "<version>"`` (or ``"version"`` in the body)
  → the object; 412 if it changed since, 428 if no version was sent
- ``DELETE /things/{id}`` with ``If-Match`` (or ``?version=``) → 204

A filter maps a query parameter to one ORM lookup, or to several OR-ed together (``q``
searches the name and the code, say). Rows of other organisations never appear: every
query starts from ``Access.scoped``.

No ``from __future__ import annotations`` here: django-ninja reads the annotations of the
route functions this module builds at run time.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, create_model

from pmo.api.auth import access_of
from pmo.core import services
from pmo.errors import ValidationFailed, VersionRequired

MAX_LIMIT = 1000


class InSchema(Schema):
    """Base of request bodies: an unknown field is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class PatchSchema(InSchema):
    version: int | None = None


@dataclass
class CrudSpec:
    model: type[Model]
    path: str  # "projects"
    out: type[Schema]
    create: type[Schema] | None
    update: type[Schema] | None
    # query parameter -> (type, ORM lookup or lookups OR-ed together, or a function of the
    # value giving the condition)
    filters: Mapping[str, tuple[type, str | tuple[str, ...] | Callable[[Any], Q]]] = field(
        default_factory=dict
    )
    select_related: tuple[str, ...] = ()
    # many-to-many or reverse relations the output schema reads (avoids N+1 queries)
    prefetch_related: tuple[str, ...] = ()
    tags: list[str] | None = None
    # turn a request body into service data (e.g. days → minutes); default is identity
    to_data: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    queryset: Callable[[], QuerySet[Any]] | None = None
    deletable: bool = True

    @property
    def name(self) -> str:
        return self.model.__name__


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    if not header:
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed.field(
            ("header", "If-Match"), f'expected a version such as "3", got {header!r}'
        ) from None


def required_version(request: HttpRequest, body_version: int | None = None) -> int:
    header = parse_if_match(request.headers.get("If-Match"))
    version = header if header is not None else body_version
    if version is None and "version" in request.GET:
        try:
            version = int(request.GET["version"])
        except ValueError:
            raise ValidationFailed.field(("query", "version"), "not a whole number") from None
    if version is None:
        raise VersionRequired(
            'say which version you are changing: send If-Match: "<version>" '
            '(the ETag of your GET) or "version" in the body'
        )
    return version


def lookup_filter(lookup: str | tuple[str, ...] | Callable[[Any], Q], value: Any) -> Q:
    if callable(lookup):
        return lookup(value)
    lookups = (lookup,) if isinstance(lookup, str) else lookup
    q = Q()
    for one in lookups:
        q |= Q(**{one: value})
    return q


def add_crud(router: Router, spec: CrudSpec) -> None:
    model = spec.model
    name = spec.name
    tags = spec.tags or [spec.path]
    out_schema: Any = spec.out
    list_schema = create_model(f"{name}List", items=(list[out_schema], ...), count=(int, ...))
    filter_fields: dict[str, Any] = {k: (t | None, None) for k, (t, _) in spec.filters.items()}
    filter_schema = create_model(f"{name}Filters", __base__=Schema, **filter_fields)

    def base_queryset(request: HttpRequest) -> QuerySet[Any]:
        qs = spec.queryset() if spec.queryset else model._default_manager.all()
        if spec.select_related:
            qs = qs.select_related(*spec.select_related)
        if spec.prefetch_related:
            qs = qs.prefetch_related(*spec.prefetch_related)
        return access_of(request).scoped(qs)

    def to_data(payload: Schema) -> dict[str, Any]:
        data = payload.model_dump(exclude_unset=True)
        data.pop("version", None)
        return spec.to_data(data) if spec.to_data else data

    def list_objects(
        request: HttpRequest,
        filters: filter_schema = Query(...),  # type: ignore[valid-type]  # noqa: B008
        limit: int = Query(50, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0),
    ) -> Any:
        qs = base_queryset(request)
        given: dict[str, Any] = filters.model_dump(exclude_none=True)  # type: ignore[attr-defined]
        for key, value in given.items():
            qs = qs.filter(lookup_filter(spec.filters[key][1], value))
        qs = qs.order_by(*(model._meta.ordering or ["pk"]), "pk")
        return {"count": qs.count(), "items": list(qs[offset : offset + limit])}

    def get_object(request: HttpRequest, response: HttpResponse, id: int) -> Any:
        obj = access_of(request).get(base_queryset(request), id)
        response["ETag"] = etag(obj.version)  # type: ignore[attr-defined]
        return obj

    router.add_api_operation(
        "",
        ["GET"],
        list_objects,
        response=list_schema,
        tags=tags,
        operation_id=f"list_{spec.path}",
        summary=f"List {model._meta.verbose_name_plural}",
    )
    router.add_api_operation(
        "/{id}",
        ["GET"],
        get_object,
        response=spec.out,
        tags=tags,
        operation_id=f"get_{spec.path}",
        summary=f"Read a {model._meta.verbose_name}",
    )

    if spec.create is not None:
        create_schema = spec.create

        def create_object(
            request: HttpRequest,
            response: HttpResponse,
            payload: create_schema,  # type: ignore[valid-type]
        ) -> Any:
            obj = services.do_create(access_of(request), model, to_data(payload))
            response["ETag"] = etag(obj.version)  # type: ignore[attr-defined]
            return Status(201, obj)

        router.add_api_operation(
            "",
            ["POST"],
            create_object,
            response={201: spec.out},
            tags=tags,
            operation_id=f"create_{spec.path}",
            summary=f"Create a {model._meta.verbose_name}",
        )

    if spec.update is not None:
        update_schema = spec.update

        def update_object(
            request: HttpRequest,
            response: HttpResponse,
            id: int,
            payload: update_schema,  # type: ignore[valid-type]
        ) -> Any:
            access = access_of(request)
            obj = access.get(base_queryset(request), id)
            version = required_version(request, getattr(payload, "version", None))
            obj = services.do_update(access, obj, to_data(payload), version)
            response["ETag"] = etag(obj.version)  # type: ignore[attr-defined]
            return obj

        router.add_api_operation(
            "/{id}",
            ["PATCH"],
            update_object,
            response=spec.out,
            tags=tags,
            operation_id=f"update_{spec.path}",
            summary=f"Change a {model._meta.verbose_name} (needs If-Match)",
        )

    if spec.deletable:

        def delete_object(request: HttpRequest, id: int) -> Any:
            access = access_of(request)
            obj = access.get(base_queryset(request), id)
            services.do_delete(access, obj, required_version(request))
            return Status(204, None)

        router.add_api_operation(
            "/{id}",
            ["DELETE"],
            delete_object,
            response={204: None},
            tags=tags,
            operation_id=f"delete_{spec.path}",
            summary=f"Delete a {model._meta.verbose_name} (needs If-Match)",
        )


DateFilter = dt.date
