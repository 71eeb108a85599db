"""Keeps the organisation the user is working in (the organisation switcher)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

SESSION_KEY = "pmo_org_id"


class CurrentOrganisationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.current_org_id = None  # type: ignore[attr-defined]
        if request.user.is_authenticated and hasattr(request, "session"):
            request.current_org_id = request.session.get(SESSION_KEY)  # type: ignore[attr-defined]
        return self.get_response(request)
