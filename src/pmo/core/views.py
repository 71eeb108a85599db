"""Shared view helpers: error pages, the generic create/edit page, breadcrumbs, audit trail.

Views stay thin: they read through ``Access`` (scoped querysets) and write only through
``pmo.core.services``. ``pmo_view`` turns the typed errors into pages (another
organisation's object → 404, a role that may not write → 403 with the reason);
``edit_page`` runs one form against ``do_create``/``do_update`` and shows validation
errors next to the fields and a stale version as a clear message, never overwriting.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django_htmx.http import HttpResponseClientRedirect

from pmo.core import services
from pmo.core.access import Access
from pmo.core.models import AuditEvent, Role
from pmo.errors import (
    NotFound,
    PermissionDenied,
    PmoError,
    StaleVersion,
    ValidationFailed,
)
from pmo.web.forms import ServiceForm

View = Callable[..., HttpResponse]

NOT_FOUND_TEXT = (
    "This page does not exist, or it belongs to an organisation you are not a member of."
)


def is_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (not a history restore, which wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    template = "web/_error.html" if is_partial(request) else "web/error.html"
    return render(
        request, template, {"title": title, "message": message, "status": status}, status=status
    )


def _role_names(access: Access, obj: Model | None) -> str:
    org_id = None
    if obj is not None and hasattr(obj, "scope"):
        org_id = obj.scope().get("organisation")
    roles = access.roles_in(org_id) if org_id is not None else set()
    labels = dict(Role.choices)
    return ", ".join(sorted(str(labels.get(r, r)) for r in roles))


def forbidden(
    request: HttpRequest, exc: PermissionDenied, obj: Model | None = None
) -> HttpResponse:
    message = exc.message[:1].upper() + exc.message[1:]
    if not message.endswith("."):
        message += "."
    if obj is not None and request.user.is_authenticated:
        roles = _role_names(Access.for_request(request), obj)
        if roles:
            message += f" Your role here: {roles}."
    message += " Ask a PMO admin of the organisation if you need to make this change."
    return error_page(request, 403, "You may not make this change", message)


def pmo_view(view: View) -> View:
    """Log in first; a ``NotFound`` becomes the 404 page, a ``PermissionDenied`` the 403 one."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except NotFound:
            return error_page(request, 404, "Not found", NOT_FOUND_TEXT)
        except PermissionDenied as exc:
            return forbidden(request, exc, getattr(exc, "obj", None))
        response.headers.setdefault("Vary", "HX-Request")
        return response

    return login_required(wrapper)


def deny(access: Access, obj: Model) -> None:
    """Raise ``PermissionDenied`` (remembering ``obj`` for the 403 page) unless writable."""
    if not access.can_write(obj):
        exc = PermissionDenied(f"you may not change this {obj._meta.verbose_name} with your role")
        exc.obj = obj  # type: ignore[attr-defined]
        raise exc


def working_in(request: HttpRequest, organisation_id: int | None) -> None:
    """Make the organisation of the page shown the current one (the switcher follows)."""
    from pmo.web.middleware import SESSION_KEY

    if organisation_id is None or getattr(request, "current_org_id", None) == organisation_id:
        return
    if hasattr(request, "session"):
        request.session[SESSION_KEY] = organisation_id
    request.current_org_id = organisation_id  # type: ignore[attr-defined]


# --- breadcrumbs -------------------------------------------------------------------------


Crumb = tuple[str, str | None]


def crumbs_for(
    *,
    organisation: Any = None,
    portfolio: Any = None,
    program: Any = None,
    project: Any = None,
    extra: Iterable[Crumb] = (),
) -> list[Crumb]:
    """Organisation › portfolio › program › project › ``extra`` (each linked to its page)."""
    out: list[Crumb] = []
    if project is not None:
        portfolio = portfolio or project.portfolio
        program = program or project.program
        organisation = organisation or project.organisation
    if program is not None:
        portfolio = portfolio or program.portfolio
        organisation = organisation or program.organisation
    if portfolio is not None:
        organisation = organisation or portfolio.organisation
    if organisation is not None:
        out.append((organisation.name, reverse("web:home")))
    if portfolio is not None:
        out.append((portfolio.name, reverse("web:portfolio", args=[portfolio.pk])))
    if program is not None:
        out.append((program.name, reverse("web:program", args=[program.pk])))
    if project is not None:
        out.append((f"{project.code} {project.name}", reverse("web:project", args=[project.pk])))
    out.extend(extra)
    return out


# --- audit trail -------------------------------------------------------------------------


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class AuditRow:
    at: dt.datetime
    username: str
    action: str
    action_label: str
    changes: list[Change] = field(default_factory=list)


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T":
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def _labels(object_type: str) -> dict[str, str]:
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    out = {}
    for f in model._meta.concrete_fields:
        out[f.attname] = str(f.verbose_name)
    for f in model._meta.many_to_many:
        out[f.name] = str(f.verbose_name)
    return out


def audit_trail(
    access: Access, object_type: str, object_id: int, limit: int = 100
) -> list[AuditRow]:
    """The audit events of one object, newest first, scoped to the user's organisations."""
    events = access.scoped(
        AuditEvent.objects.filter(object_type=object_type, object_id=object_id)
    ).order_by("-at", "-id")[:limit]
    labels = _labels(object_type)
    actions = dict(AuditEvent.Action.choices)
    rows = []
    for event in events:
        row = AuditRow(
            at=event.at,
            username=event.username or "system",
            action=event.action,
            action_label=str(actions.get(event.action, event.action)),
        )
        changes = event.changes if isinstance(event.changes, dict) else {}
        for key in sorted(changes, key=lambda k: labels.get(k, k)):
            pair = changes[key]
            before, after = ([*pair, None, None])[:2] if isinstance(pair, list) else (None, pair)
            if event.action == AuditEvent.Action.CREATE and after in (None, "", [], False):
                continue
            row.changes.append(Change(labels.get(key, key), _show(before), _show(after)))
        rows.append(row)
    return rows


def audit_for(access: Access, obj: Model) -> list[AuditRow]:
    return audit_trail(access, obj._meta.label_lower, int(obj.pk))


@pmo_view
def history(request: HttpRequest, object_type: str, object_id: int) -> HttpResponse:
    """The audit trail of any object (a fragment for htmx, else a page)."""
    access = Access.for_request(request)
    rows = audit_trail(access, object_type, object_id)
    if not rows and not access.is_superuser:
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):
            raise NotFound("no such object") from None
        access.get(model._default_manager.all(), object_id)
    context = {"audit": rows, "object_type": object_type, "object_id": object_id}
    if is_partial(request):
        return render(request, "core/_audit.html", context)
    return render(request, "core/history.html", context)


# --- the generic create/edit page --------------------------------------------------------


def stale_message(noun: str) -> str:
    return (
        f"This {noun} was changed by someone else since you opened it — reload to see "
        "their change; your edit was not saved."
    )


def edit_page(
    request: HttpRequest,
    *,
    access: Access,
    form_class: type[ServiceForm],
    obj: Model | None = None,
    probe: Model | None = None,
    create_data: Mapping[str, Any] | None = None,
    form_kwargs: Mapping[str, Any] | None = None,
    to_data: Callable[[ServiceForm], dict[str, Any]] | None = None,
    success_url: str | Callable[[Model], str],
    cancel_url: str,
    crumbs: Sequence[Crumb] = (),
    title: str = "",
    template: str = "core/edit.html",
    context: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """Show and save one form: ``obj`` is updated, or a new ``form_class.model`` created.

    ``probe`` is an unsaved instance placed where the new object would be (to check the
    role before showing an empty form); ``create_data`` adds the parent references.
    """
    model = form_class.model
    noun = str(model._meta.verbose_name)
    target = obj if obj is not None else probe
    can_write = target is None or access.can_write(target)
    if obj is None and target is not None:
        deny(access, target)
    org_id = getattr(target, "organisation_id", None)
    working_in(request, org_id)
    kwargs = {"organisation_id": org_id, **(form_kwargs or {})}
    status = 200
    stale = False
    audit = audit_for(access, obj) if obj is not None else []
    heading = title or (f"Edit {noun} {obj}" if obj is not None else f"New {noun}")
    if request.method == "POST":
        if obj is not None and not can_write:
            deny(access, obj)
        form = form_class(request.POST, instance=obj, **kwargs)
        if form.is_valid():
            data = to_data(form) if to_data else form.to_data()
            try:
                if obj is None:
                    saved = services.do_create(access, model, {**(create_data or {}), **data})
                else:
                    version = form.cleaned_data.get("version")
                    if version is None:
                        raise StaleVersion("no version")
                    saved = services.do_update(access, obj, data, version)
            except ValidationFailed as exc:
                form.add_service_errors(exc)
                status = 422
            except StaleVersion:
                stale = True
                form.add_error(None, stale_message(noun))
                status = 409
            except PermissionDenied as exc:
                exc.obj = target  # type: ignore[attr-defined]
                raise
            except NotFound:
                raise
            except PmoError as exc:  # a conflict, a circular dependency...
                form.add_error(None, exc.message)
                status = exc.http_status if 400 <= exc.http_status < 500 else 422
            else:
                verb = "Created" if obj is None else "Saved"
                messages.success(request, f"{verb} {noun} “{saved}”.")
                url = success_url(saved) if callable(success_url) else success_url
                if is_partial(request):
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        else:
            status = 422
    else:
        form = form_class(instance=obj, **kwargs)
    if not can_write:
        for f in form.fields.values():
            f.disabled = True
    ctx = {
        "form": form,
        "obj": obj,
        "noun": noun,
        "heading": heading,
        "crumbs": [*crumbs, (heading, None)],
        "can_write": can_write,
        "stale": stale,
        "audit": audit,
        "action_url": request.get_full_path(),
        "cancel_url": cancel_url,
        **(context or {}),
    }
    if is_partial(request):
        htmx: Any = getattr(request, "htmx", None)
        # a form opened inline (the "New ..." buttons) keeps its heading once posted
        ctx["inline"] = htmx.target == "inline-form" or bool(request.POST.get("_inline"))
        return render(request, "core/_form.html", ctx, status=status)
    return render(request, template, ctx, status=status)


def delete_object(
    request: HttpRequest, access: Access, obj: Model, success_url: str
) -> HttpResponse:
    """Delete ``obj`` at the posted ``version`` (a stale version is refused with a message)."""
    noun = str(obj._meta.verbose_name)
    deny(access, obj)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.do_delete(access, obj, version)
    except StaleVersion:
        messages.error(
            request,
            f"This {noun} was changed by someone else since you opened it — reload to see "
            "their change; it was not deleted.",
        )
    except (PermissionDenied, NotFound):
        raise
    except PmoError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Deleted {noun} “{obj}”.")
    if is_partial(request):
        return HttpResponseClientRedirect(success_url)
    return redirect(success_url)


urlpatterns = [
    path("history/<str:object_type>/<int:object_id>/", history, name="history"),
]
