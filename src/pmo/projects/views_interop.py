"""The Import page (``web:import``) and a project's Export page.

Importing is three steps, so nothing is created before the user has seen what will be:

1. ``/import/``: choose a portfolio of the current organisation and a file; the upload is kept
   on the server under ``PMO_DATA_DIR/imports/`` by a random id (the browser only ever sends
   that id back, never a path; the id must also be one this session uploaded);
2. ``/import/<id>/``: the preview (what will be created, the first tasks, the fidelity report:
   pmo's schedule against the dates stored in the file, task by task) and, for CSV/XLSX task
   lists, the column mapping;
3. ``/import/<id>/create/`` (POST): the import, in one transaction; the upload is deleted and
   the browser lands on the new project's Gantt chart (the program page for several).

Uploads not committed are deleted after ``UPLOAD_TTL`` (on the next upload of anyone).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from pmo.core.access import Access
from pmo.core.feeds import feed_key, feed_links_reset_at
from pmo.core.views import crumbs_for, pmo_view, working_in
from pmo.errors import NotFound, PermissionDenied, PmoError
from pmo.portfolio.models import Portfolio
from pmo.projects import interop_import
from pmo.projects.models import Project
from pmo.projects.views import get_project, project_url
from pmo.resources.models import Resource

UPLOAD_TTL = 3600  # seconds an uploaded file waits for its "Create"
SESSION_KEY = "pmo_import_uploads"
_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
FIELD_LABELS = {
    "id": "ID",
    "name": "Name",
    "duration": "Duration",
    "predecessors": "Predecessors",
    "parent": "Parent ID",
    "outline_level": "Outline level",
    "wbs": "WBS / outline number",
    "start": "Start",
    "finish": "Finish",
    "milestone": "Milestone",
    "constraint_type": "Constraint type",
    "constraint_date": "Constraint date",
    "deadline": "Deadline",
    "percent_complete": "% complete",
    "actual_start": "Actual start",
    "actual_finish": "Actual finish",
    "resources": "Resources",
    "notes": "Notes",
}


# --- uploads kept between the preview and the import --------------------------------------


def upload_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    limit = time.time() - UPLOAD_TTL
    for item in folder.glob("*.upload"):
        try:
            if item.stat().st_mtime < limit:
                item.unlink(missing_ok=True)
                item.with_suffix(".json").unlink(missing_ok=True)
        except OSError:
            continue


def save_upload(request: HttpRequest, data: bytes, meta: dict[str, Any]) -> str:
    folder = upload_dir()
    _sweep(folder)
    upload_id = secrets.token_urlsafe(24)
    (folder / f"{upload_id}.upload").write_bytes(data)
    (folder / f"{upload_id}.json").write_text(
        json.dumps({**meta, "user": request.user.pk, "at": time.time()}), encoding="utf-8"
    )
    mine = [i for i in request.session.get(SESSION_KEY, []) if _ID.match(i)][-9:]
    request.session[SESSION_KEY] = [*mine, upload_id]
    return upload_id


def load_upload(request: HttpRequest, upload_id: str) -> tuple[bytes, dict[str, Any]]:
    """The bytes and options of one of this session's uploads (else ``NotFound``)."""
    if not _ID.match(upload_id) or upload_id not in request.session.get(SESSION_KEY, []):
        raise NotFound("no such upload")
    folder = upload_dir()
    try:
        meta = json.loads((folder / f"{upload_id}.json").read_text(encoding="utf-8"))
        data = (folder / f"{upload_id}.upload").read_bytes()
    except (OSError, ValueError):
        raise NotFound("this upload has expired: upload the file again") from None
    if meta.get("user") != request.user.pk or time.time() - meta.get("at", 0) > UPLOAD_TTL:
        raise NotFound("this upload has expired: upload the file again")
    return data, meta


def drop_upload(request: HttpRequest, upload_id: str) -> None:
    if not _ID.match(upload_id):
        return
    folder = upload_dir()
    (folder / f"{upload_id}.upload").unlink(missing_ok=True)
    (folder / f"{upload_id}.json").unlink(missing_ok=True)
    request.session[SESSION_KEY] = [
        i for i in request.session.get(SESSION_KEY, []) if i != upload_id
    ]


def _options(meta: dict[str, Any]) -> interop_import.ImportOptions:
    try:
        mpd = min(max(int(meta.get("minutes_per_day") or 480), 1), 1440)
    except (TypeError, ValueError):
        mpd = 480
    mapping = meta.get("mapping")
    return interop_import.ImportOptions(
        code=str(meta.get("code") or ""),
        name=str(meta.get("name") or ""),
        mapping=mapping if isinstance(mapping, dict) and mapping else None,
        sheet=str(meta.get("sheet") or "") or None,
        date_format=str(meta.get("date_format") or "") or None,
        minutes_per_day=mpd,
        resources=str(meta.get("resources") or "create"),
    )


# --- pages --------------------------------------------------------------------------------


def _portfolios(access: Access, request: HttpRequest) -> list[Portfolio]:
    """Portfolios of the current organisation the user may create projects in."""
    current = getattr(request, "current_org_id", None)
    qs = access.scoped(Portfolio.objects.select_related("organisation")).order_by(
        "organisation__name", "code"
    )
    portfolios = [
        p for p in qs if access.can_write(Project(organisation_id=p.organisation_id, portfolio=p))
    ]
    here = [p for p in portfolios if p.organisation_id == current]
    return here or portfolios


def _projects(access: Access, request: HttpRequest) -> list[Project]:
    current = getattr(request, "current_org_id", None)
    qs = access.scoped(Project.objects.all()).order_by("code")
    if current is not None:
        qs = qs.filter(organisation_id=current)
    return list(qs.only("pk", "code", "name")[:500])


def _form_page(
    request: HttpRequest, access: Access, *, error: str = "", status: int = 200
) -> HttpResponse:
    from pmo.interop.mpp import mpxj_status

    mpp_ok, mpp_text = mpxj_status()
    portfolios = _portfolios(access, request)
    chosen = request.POST.get("portfolio") or request.GET.get("portfolio") or ""
    return render(
        request,
        "projects/import.html",
        {
            "portfolios": portfolios,
            "chosen": chosen,
            "projects": _projects(access, request),
            "error": error,
            "max_mb": interop_import.max_upload_bytes() // (1024 * 1024),
            "mpp_ok": mpp_ok,
            "mpp_text": mpp_text,
            "values": request.POST,
            "crumbs": [("Import", None)],
        },
        status=status,
    )


@pmo_view
def import_page(request: HttpRequest) -> HttpResponse:
    access = Access.for_request(request)
    if request.method != "POST":
        return _form_page(request, access)
    upload = request.FILES.get("file")
    if upload is None:
        return _form_page(request, access, error="Choose a file to import.", status=422)
    try:
        portfolio = access.get(
            Portfolio.objects.select_related("organisation"), request.POST.get("portfolio")
        )
        interop_import.check_size(upload.size or 0, upload.name or "file")
    except NotFound:
        return _form_page(request, access, error="Choose a portfolio.", status=422)
    except PmoError as exc:
        return _form_page(request, access, error=exc.message, status=exc.http_status)
    probe = Project(organisation_id=portfolio.organisation_id, portfolio=portfolio)
    if not access.can_write(probe):
        denied = PermissionDenied(
            f"you may not create projects in portfolio {portfolio.code} with your role"
        )
        denied.obj = probe  # type: ignore[attr-defined]
        raise denied
    upload_id = save_upload(
        request,
        upload.read(),
        {
            "file_name": Path(upload.name or "upload").name,
            "portfolio": portfolio.pk,
            "code": request.POST.get("code", "").strip(),
            "name": request.POST.get("name", "").strip(),
            "resources": request.POST.get("resources", "create"),
            "sheet": request.POST.get("sheet", "").strip(),
            "date_format": request.POST.get("date_format", "").strip(),
            "minutes_per_day": request.POST.get("minutes_per_day", "480"),
        },
    )
    return redirect("web:import-preview", upload_id=upload_id)


def _mapping_rows(mapping: dict[str, str] | Any) -> list[dict[str, Any]]:
    return [
        {"field": f, "label": label, "column": mapping.get(f, "")}
        for f, label in FIELD_LABELS.items()
    ]


def _task_list_columns(
    data: bytes, meta: dict[str, Any]
) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """A task list's columns and the mapping so far, to fix a mapping the preview refused."""
    from pmo.interop.projectfile import detect_format
    from pmo.interop.tabular import default_mapping, read_table

    try:
        if detect_format(data, meta.get("file_name", "")) not in ("csv", "xlsx"):
            return (), []
        header = read_table(
            data, meta.get("file_name", "upload"), sheet=meta.get("sheet") or None
        ).header
    except PmoError:
        return (), []
    columns = tuple(h for h in header if h)
    mapping = {**default_mapping(header), **(meta.get("mapping") or {})}
    return columns, _mapping_rows(mapping)


@pmo_view
def import_preview(request: HttpRequest, upload_id: str) -> HttpResponse:
    access = Access.for_request(request)
    data, meta = load_upload(request, upload_id)
    portfolio = access.get(Portfolio.objects.select_related("organisation"), meta["portfolio"])
    working_in(request, portfolio.organisation_id)
    if request.method == "POST":  # new options (mapping, code, name): preview again
        mapping = {
            f: request.POST.get(f"map_{f}", "") for f in FIELD_LABELS if f"map_{f}" in request.POST
        }
        for key in ("code", "name", "resources", "sheet", "date_format", "minutes_per_day"):
            if key in request.POST:
                meta[key] = request.POST[key].strip()
        if mapping:
            meta["mapping"] = mapping
        (upload_dir() / f"{upload_id}.json").write_text(json.dumps(meta), encoding="utf-8")
        return redirect("web:import-preview", upload_id=upload_id)
    try:
        preview = interop_import.preview_import_file(
            access, portfolio, data, meta["file_name"], _options(meta)
        )
    except PermissionDenied:
        raise
    except PmoError as exc:
        error = exc.message
        if exc.http_status == 409:  # a code clash: let the user pick another code
            error += " Choose another code below."
        columns, rows = _task_list_columns(data, meta)
        return render(
            request,
            "projects/import_preview.html",
            {
                "error": error,
                "upload_id": upload_id,
                "meta": meta,
                "columns": columns,
                "mapping_rows": rows,
                "portfolio": portfolio,
                "crumbs": crumbs_for(
                    portfolio=portfolio,
                    extra=[("Import", reverse("web:import")), (meta["file_name"], None)],
                ),
            },
            status=exc.http_status,
        )
    return render(
        request,
        "projects/import_preview.html",
        {
            "preview": preview,
            "upload_id": upload_id,
            "meta": meta,
            "portfolio": portfolio,
            "columns": preview.columns,
            "mapping_rows": _mapping_rows(preview.mapping)
            if preview.format in ("csv", "xlsx")
            else [],
            "crumbs": crumbs_for(
                portfolio=portfolio,
                extra=[("Import", reverse("web:import")), (meta["file_name"], None)],
            ),
        },
    )


@pmo_view
@require_POST
def import_create(request: HttpRequest, upload_id: str) -> HttpResponse:
    access = Access.for_request(request)
    data, meta = load_upload(request, upload_id)
    portfolio = access.get(Portfolio.objects.select_related("organisation"), meta["portfolio"])
    for key in ("code", "name"):
        if key in request.POST:
            meta[key] = request.POST[key].strip()
    try:
        result = interop_import.do_import_project_file(
            access, portfolio, data, meta["file_name"], _options(meta)
        )
    except PermissionDenied:
        raise
    except PmoError as exc:
        messages.error(request, f"Nothing was imported. {exc.message}")
        (upload_dir() / f"{upload_id}.json").write_text(json.dumps(meta), encoding="utf-8")
        return redirect("web:import-preview", upload_id=upload_id)
    drop_upload(request, upload_id)
    c = result.counts
    text = (
        f"Imported {meta['file_name']}: {c['projects']} project(s), {c['tasks']:,} tasks, "
        f"{c['links']:,} links, {c['resources']} new resources, {c['assignments']} assignments, "
        f"{c['baselines']} baselines in {result.seconds:.1f} s."
    )
    if result.percent_schedule_identical is not None:
        text += (
            f" After the import, pmo's schedule of the stored project gives the file's dates "
            f"(early and late, floats) to the minute for {result.schedule_identical} of "
            f"{result.schedule_compared} tasks ({result.percent_schedule_identical:g} %)."
        )
    messages.success(request, text)
    for warning in result.warnings[:3]:
        messages.warning(request, warning)
    if result.program_id is not None:
        return redirect("web:program", pk=result.program_id)
    return redirect(project_url(result.project_ids[0], "gantt"))


@pmo_view
def project_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Download links for every format and the subscribe URLs of the iCalendar feeds."""
    access = Access.for_request(request)
    project = get_project(access, pk)
    working_in(request, project.organisation_id)
    api_export = reverse("api:export_project", args=[project.pk])
    milestones = reverse("api:project_milestones_ics", args=[project.pk])
    resources = (
        Resource.objects.filter(assignments__task__project=project).distinct().order_by("name")
    )
    feeds = [
        (
            f"{r.name} ({r.code})",
            request.build_absolute_uri(
                (p := reverse("api:resource_assignments_ics", args=[r.pk]))
                + f"?key={feed_key(request.user, p)}"
            ),
        )
        for r in resources[:200]
    ]
    return render(
        request,
        "projects/export.html",
        {
            "project": project,
            "downloads": [
                ("MS Project XML (MSPDI)", f"{api_export}?format=mspdi"),
                ("Primavera P6 (XER)", f"{api_export}?format=xer"),
                ("Excel workbook: tasks, risks, issues", f"{api_export}?format=xlsx"),
                ("CSV: tasks", f"{api_export}?format=csv&table=tasks"),
                ("CSV: risks", f"{api_export}?format=csv&table=risks"),
                ("CSV: issues", f"{api_export}?format=csv&table=issues"),
                ("iCalendar: milestones", f"{api_export}?format=ics"),
            ],
            "milestones_feed": request.build_absolute_uri(
                f"{milestones}?key={feed_key(request.user, milestones)}"
            ),
            "feeds": feeds,
            "feed_links_reset_at": feed_links_reset_at(request.user),
            "crumbs": crumbs_for(project=project, extra=[("Export", None)]),
        },
    )


@pmo_view
def export_pick(request: HttpRequest) -> HttpResponse:
    """The project chosen on the Import page's "Export a project" form."""
    project = get_project(Access.for_request(request), request.GET.get("project"))
    return redirect("web:project-export", pk=project.pk)


urlpatterns = [
    path("export/", export_pick, name="export"),
    path("import/", import_page, name="import"),
    path("import/<str:upload_id>/", import_preview, name="import-preview"),
    path("import/<str:upload_id>/create/", import_create, name="import-create"),
    path("projects/<int:pk>/export/", project_export, name="project-export"),
]
