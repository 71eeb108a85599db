"""Personal API tokens: created (shown once), listed, revoked."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pmo.core.access import Access
from pmo.core.models import ApiToken
from pmo.errors import NotFound, ValidationFailed

TOKEN_PREFIX = "pmo_"  # noqa: S105 - a public prefix, not a secret


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """A fresh token, its display prefix and its digest. Only the digest is stored."""
    secret = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}{secret}"
    return token, token[: len(TOKEN_PREFIX) + 6], digest(token)


def tokens_of(access: Access) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=access.user.pk)


@transaction.atomic
def do_create_token(access: Access, name: str) -> tuple[ApiToken, str]:
    return create_token_for(access.user, name)


def create_token_for(user: Any, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user`` (the CLI uses this directly, as the instance operator)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed.field("name", "give the token a name of 1-100 characters")
    token, prefix, digest = new_token()
    row = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=digest)
    return row, token


@transaction.atomic
def do_revoke_token(access: Access, token_id: int) -> None:
    rows = ApiToken.objects.filter(
        pk=token_id, user_id=access.user.pk, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if rows == 0:
        raise NotFound(f"token {token_id} not found")


def user_by_name(username: str) -> object:
    User = get_user_model()
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise NotFound(f"no user {username!r}") from None
