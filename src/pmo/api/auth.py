"""API authentication: personal tokens (``Authorization: Bearer``) or the web session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from pmo.core.access import Access
from pmo.core.models import ApiToken
from pmo.core.tokens import digest


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.access = Access(row.user)  # type: ignore[attr-defined]
        return row.user


class SessionAuth(APIKeyCookie):
    """The browser's login session; unsafe methods need the CSRF token like any form."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.user.is_authenticated:
            request.access = Access(request.user)  # type: ignore[attr-defined]
            return request.user
        return None


def access_of(request: HttpRequest) -> Access:
    return Access.for_request(request)
