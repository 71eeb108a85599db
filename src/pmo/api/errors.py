"""The one place where failures become HTTP responses.

Every ``PmoError`` carries its status (``pmo.errors``); request-shape problems that Django
and django-ninja detect (malformed JSON, wrong types, unknown fields, oversize bodies) are
mapped here too, so a client always gets ``{"code", "message", ...}`` and never a 500 for
bad input.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.errors import HttpError as NinjaHttpError

from pmo.errors import PmoError


def _loc(loc: Any) -> list[str | int]:
    # ninja prefixes the parameter source ("body", "query", "path") and the argument name;
    # the client wants the path inside its document.
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
        if parts and parts[0] in {"payload", "filters", "data"}:
            parts = parts[1:]
    return parts


def _has_session(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(PmoError)
    def pmo_error(request: HttpRequest, exc: PmoError) -> HttpResponse:
        response = api.create_response(request, exc.as_dict(), status=exc.http_status)
        if exc.http_status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="pmo"'
        return response

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for e in exc.errors:
            message = str(e.get("msg", "invalid"))
            if e.get("type") == "extra_forbidden":
                message = "unknown field"
            if e.get("type") == "json_invalid":
                return api.create_response(
                    request,
                    {"code": "malformed", "message": "the body is not valid JSON"},
                    status=400,
                )
            errors.append({"path": _loc(e.get("loc", ())), "message": message})
        summary = "; ".join(
            f"{'.'.join(map(str, err['path'])) or '(body)'}: {err['message']}" for err in errors
        )
        return api.create_response(
            request,
            {"code": "validation_failed", "message": summary, "errors": errors},
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request,
            {"code": "not_authenticated", "message": "send a valid API token or log in"},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="pmo"'
        return response

    @api.exception_handler(NinjaHttpError)
    def http_error(request: HttpRequest, exc: NinjaHttpError) -> HttpResponse:
        if exc.status_code == 403 and not _has_session(request):
            # The session authenticator's CSRF check fails for any unsafe request that
            # has no session at all; the real problem is the missing credentials.
            return unauthenticated(request, AuthenticationError())
        codes = {400: "malformed", 403: "forbidden", 404: "not_found", 413: "payload_too_large"}
        return api.create_response(
            request,
            {"code": codes.get(exc.status_code, "error"), "message": str(exc)},
            status=exc.status_code,
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(
            request, {"code": "not_found", "message": str(exc) or "not found"}, status=404
        )

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return api.create_response(
            request,
            {"code": "payload_too_large", "message": "the request body is too large"},
            status=413,
        )
