"""Personal API tokens: created (shown once), listed, revoked; each creation and revocation
audited.

The audit event of a token names its owner, its name and its display prefix (and the time of
a revocation), never the token nor its digest: whoever reads the audit trail must not be able
to use or look up the token. The events belong to no organisation (a token is personal), so
the instance's operators read them (``/admin``, or ``/api/v1/audit`` as a superuser).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pmo.core.access import Access
from pmo.core.models import ApiToken, AuditEvent
from pmo.core.services import jsonable, record
from pmo.errors import NotFound, PermissionDenied, ValidationFailed

TOKEN_PREFIX = "pmo_"  # noqa: S105 - a public prefix, not a secret
# What the audit trail records of a token: nothing that opens the API or finds the digest.
AUDITED_FIELDS = ("user_id", "name", "prefix")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """A fresh token, its display prefix and its digest. Only the digest is stored."""
    secret = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}{secret}"
    return token, token[: len(TOKEN_PREFIX) + 6], digest(token)


def tokens_of(access: Access) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=access.user.pk)


def _owner(access: Access | None, user: Any) -> Any:
    """Whose token: the acting user's own; any user's for the instance's operators (the
    CLI, ``access`` ``None``, or a superuser)."""
    if access is None:
        if user is None:
            raise ValueError("without an acting user, say whose token it is")
        return user
    if user is None or user.pk == access.user.pk:
        return access.user
    if not access.is_superuser:
        raise PermissionDenied("you may manage only your own API tokens")
    return user


@transaction.atomic
def do_create_token(access: Access | None, name: str, *, user: Any = None) -> tuple[ApiToken, str]:
    """Create a token for the acting user (the page, the API) or, as the instance operator
    (the CLI: ``access`` ``None``), for ``user``; audited. Returns the row and the token,
    which is shown once and stored only as its digest."""
    owner = _owner(access, user)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed.field("name", "give the token a name of 1-100 characters")
    token, prefix, token_digest = new_token()
    row = ApiToken.objects.create(user=owner, name=name, prefix=prefix, digest=token_digest)
    record(
        access,
        AuditEvent.Action.CREATE,
        row,
        {k: [None, jsonable(getattr(row, k))] for k in AUDITED_FIELDS},
        organisation_id=None,
    )
    return row, token


def create_token_for(user: Any, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user`` as the instance operator (the CLI); audited."""
    return do_create_token(None, name, user=user)


@transaction.atomic
def do_revoke_token(access: Access | None, token_id: int, *, user: Any = None) -> ApiToken:
    """Revoke one of the acting user's tokens (or, as the instance operator, one of
    ``user``'s); audited. A token of someone else, or already revoked, is ``NotFound``."""
    owner = _owner(access, user)
    row = (
        ApiToken.objects.select_for_update()
        .filter(pk=token_id, user_id=owner.pk, revoked_at__isnull=True)
        .first()
    )
    if row is None:
        raise NotFound(f"token {token_id} not found")
    row.revoked_at = timezone.now()
    row.save(update_fields=["revoked_at"])
    record(
        access,
        AuditEvent.Action.UPDATE,
        row,
        {"revoked_at": [None, jsonable(row.revoked_at)]},
        organisation_id=None,
    )
    return row


def user_by_name(username: str) -> object:
    User = get_user_model()
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise NotFound(f"no user {username!r}") from None
