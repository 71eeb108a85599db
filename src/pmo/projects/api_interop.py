"""API: import project files (with a dry run), export projects, iCalendar feeds.

* ``POST /imports?portfolio_id=&dry_run=true`` with a multipart ``file``: the preview (what
  would be created, and the fidelity report); ``dry_run=false`` creates it (201, the ids).
* ``GET /projects/{id}/export?format=mspdi|xer|xlsx|csv|ics`` (``table=`` for CSV): the file.
* ``GET /projects/{id}/milestones.ics`` and ``GET /resources/{id}/assignments.ics``: feeds for
  calendar applications. Besides the usual token or session they accept ``?key=`` from the
  ``X-Feed-Url`` header of an authenticated request: a key for that one feed only.

No ``from __future__ import annotations``: django-ninja reads the annotations at run time.
"""

import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import File, NinjaAPI, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import APIKeyQuery

from pmo.api.auth import SessionAuth, TokenAuth, access_of
from pmo.core.access import Access
from pmo.core.feeds import feed_key, user_for_feed_key
from pmo.core.models import Role
from pmo.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from pmo.portfolio.models import Portfolio
from pmo.projects import interop_export, interop_import
from pmo.projects.models import Project
from pmo.resources.models import Resource

IMPORTING_ROLES = {Role.PMO_ADMIN.value, Role.PORTFOLIO_MANAGER.value, Role.PROJECT_MANAGER.value}


class FeedKey(APIKeyQuery):
    """``?key=`` made by :func:`pmo.core.feeds.feed_key` for this very path.

    A key that is not (or no longer) valid — reset, password changed, another feed's — is a
    404, as for a feed that does not exist: whoever holds a revoked address learns nothing
    from it, not even that credentials would help (a 401 says so). It is checked before the
    token and the session, so an address means the same whoever opens it.
    """

    param_name = "key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        user = user_for_feed_key(key, request.path)
        if user is None:
            raise NotFound("no calendar feed at this address (its link may have been reset)")
        request.user = user
        request.access = Access(user)  # type: ignore[attr-defined]
        return user


FEED_AUTH = [FeedKey(), TokenAuth(), SessionAuth()]


class TaskLineOut(Schema):
    id: str
    name: str
    level: int
    summary: bool
    milestone: bool
    duration_days: float
    start: str | None
    finish: str | None


class DifferenceOut(Schema):
    field: str
    expected: Any
    got: Any
    delta_minutes: int
    working_delta_minutes: int | None


class TaskDifferenceOut(Schema):
    task_id: str
    name: str
    equivalent: bool
    differences: list[DifferenceOut]


class FieldCountOut(Schema):
    compared: int
    mismatches: int


class FidelityOut(Schema):
    compared: int
    identical: int
    equivalent: int
    percent_identical: float
    percent_equivalent: float
    skipped: dict[str, int]
    fields: dict[str, FieldCountOut]
    differing_tasks: int
    tasks: list[TaskDifferenceOut]


class ProjectPreviewOut(Schema):
    source_id: str
    code: str
    name: str
    planned_start: str | None
    planned_finish: str | None
    currency: str
    calendar: str
    counts: dict[str, int]
    first_tasks: list[TaskLineOut]
    fidelity: FidelityOut | None
    fidelity_error: str


class FidelityTotalOut(Schema):
    compared: int
    identical: int
    equivalent: int
    percent_identical: float | None


class ImportPreviewOut(Schema):
    file_name: str
    format: str
    portfolio_id: int
    program: str
    counts: dict[str, int]
    calendars_new: list[str]
    calendars_reused: list[str]
    resources_new: list[str]
    resources_matched: list[str]
    warnings: list[str]
    columns: list[str]
    mapping: dict[str, str]
    fidelity: FidelityTotalOut
    projects: list[ProjectPreviewOut]


class ScheduleMatchOut(Schema):
    compared: int
    identical: int
    percent_identical: float | None


class ImportResultOut(Schema):
    project_ids: list[int]
    program_id: int | None
    counts: dict[str, int]
    warnings: list[str]
    seconds: float
    schedule: ScheduleMatchOut


def _may_import_somewhere(access: Access) -> None:
    """Refuse at once a user who may create projects nowhere (viewer, team member)."""
    if access.is_superuser:
        return
    if not any(g.role in IMPORTING_ROLES for g in access.grants):
        raise PermissionDenied("you may not import projects with your role")


def _options(
    code: str,
    name: str,
    format: str | None,
    mapping: str,
    sheet: str | None,
    date_format: str | None,
    minutes_per_day: int,
    resources: str,
) -> interop_import.ImportOptions:
    columns: dict[str, str] | None = None
    if mapping:
        try:
            parsed = json.loads(mapping)
        except json.JSONDecodeError as exc:
            raise ValidationFailed.field(
                ("query", "mapping"), f"not JSON: {exc.msg} (column {exc.colno})"
            ) from None
        if not isinstance(parsed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
        ):
            raise ValidationFailed.field(
                ("query", "mapping"), 'a JSON object of field -> column, e.g. {"name": "Task"}'
            )
        columns = parsed
    return interop_import.ImportOptions(
        format=format,
        code=code,
        name=name,
        mapping=columns,
        sheet=sheet,
        date_format=date_format,
        minutes_per_day=minutes_per_day,
        resources=resources,
    )


def _file_response(export: interop_export.ExportFile) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = export.disposition
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _feed_response(request: HttpRequest, content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=interop_export.CONTENT_TYPES["ics"])
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, max-age=300"
    if "key" not in request.GET and request.user.is_authenticated:
        key = feed_key(request.user, request.path)
        response["X-Feed-Url"] = request.build_absolute_uri(f"{request.path}?key={key}")
    return response


def register(api: NinjaAPI) -> None:
    router = Router(tags=["import and export"])

    @router.post(
        "/imports",
        response={200: ImportPreviewOut, 201: ImportResultOut},
        operation_id="import_project_file",
        url_name="import_project_file",
        summary="Import a project file (MSPDI, XER, .mpp, CSV, XLSX) into a portfolio",
    )
    def import_file(
        request: HttpRequest,
        portfolio_id: int | None = None,
        dry_run: bool = True,
        code: str = "",
        name: str = "",
        format: Literal["mspdi", "xer", "mpp", "csv", "xlsx"] | None = None,
        mapping: str = Query("", description='CSV/XLSX: {"field": "column"} as JSON'),
        sheet: str | None = None,
        date_format: str | None = None,
        minutes_per_day: int = Query(480, ge=1, le=1440),
        resources: Literal["create", "match", "none"] = "create",
        file: UploadedFile = File(None),  # noqa: B008
    ) -> Any:
        """``dry_run=true`` (the default): what the import would create, the fidelity report
        (pmo's schedule against the dates stored in the file, task by task) and warnings;
        nothing is written. ``dry_run=false``: import in one transaction, reschedule, 201 with
        the new project ids. Errors: 413 over the size limit, 422 (or 415) for a file that
        cannot be read, naming the line/record and field."""
        access = access_of(request)
        _may_import_somewhere(access)
        if portfolio_id is None:
            raise ValidationFailed([FieldError(("portfolio_id",), "required")])
        portfolio = access.get(Portfolio.objects.select_related("organisation"), portfolio_id)
        if file is None:
            raise ValidationFailed([FieldError(("file",), "send the project file as 'file'")])
        interop_import.check_size(file.size or 0, file.name or "file")
        data = file.read()
        options = _options(
            code, name, format, mapping, sheet, date_format, minutes_per_day, resources
        )
        file_name = file.name or "upload"
        if dry_run:
            preview = interop_import.preview_import_file(
                access, portfolio, data, file_name, options
            )
            return Status(200, interop_import.preview_dict(preview))
        result = interop_import.do_import_project_file(access, portfolio, data, file_name, options)
        return Status(201, interop_import.result_dict(result))

    @router.get(
        "/projects/{id}/export",
        operation_id="export_project",
        url_name="export_project",
        summary="Export a project as MSPDI, XER, XLSX, CSV or iCalendar",
    )
    def export_project(
        request: HttpRequest,
        id: int,
        format: Literal["mspdi", "xer", "xlsx", "csv", "ics"] = "mspdi",
        table: Literal["tasks", "risks", "issues"] = "tasks",
    ) -> HttpResponse:
        """The file, with its content type and a ``Content-Disposition`` naming it. ``csv``
        holds one table (``table``); ``xlsx`` a sheet each for tasks, risks and issues;
        ``ics`` the milestones."""
        project = access_of(request).get(Project.objects.select_related("organisation"), id)
        base = request.build_absolute_uri("/").rstrip("/")
        return _file_response(
            interop_export.export_project(project, format, table=table, base_url=base)
        )

    @router.get(
        "/projects/{id}/milestones.ics",
        auth=FEED_AUTH,
        operation_id="project_milestones_ics",
        url_name="project_milestones_ics",
        summary="The project's milestones as an iCalendar feed",
    )
    def milestones(request: HttpRequest, id: int) -> HttpResponse:
        """Subscribe with the URL of the ``X-Feed-Url`` response header (``?key=``: that
        feed only, for calendar applications that cannot send a token)."""
        project = access_of(request).get(Project.objects.select_related("organisation"), id)
        base = request.build_absolute_uri("/").rstrip("/")
        content = interop_export.milestones_ics(project, base)
        return _feed_response(request, content, f"{project.code}-milestones.ics")

    @router.get(
        "/resources/{id}/assignments.ics",
        auth=FEED_AUTH,
        operation_id="resource_assignments_ics",
        url_name="resource_assignments_ics",
        summary="A resource's assignments as an iCalendar feed",
    )
    def assignments(request: HttpRequest, id: int) -> HttpResponse:
        """Each assignment as an all-day event over its task's scheduled dates."""
        resource = access_of(request).get(Resource.objects.select_related("organisation"), id)
        base = request.build_absolute_uri("/").rstrip("/")
        content = interop_export.assignments_ics(resource, base)
        return _feed_response(request, content, f"{resource.code}-assignments.ics")

    api.add_router("", router)
