"""Secret calendar-feed URLs: their keys, and resetting them.

Calendar applications subscribe to an iCalendar feed by URL and cannot send an
``Authorization`` header, so a feed URL carries ``?key=<user id>.<HMAC>``: an HMAC-SHA256
(keyed by ``SECRET_KEY``) of the user, the feed's path, the user's password hash, whether the
user is active, and the user's feed secret (:class:`pmo.core.models.FeedSecret`). A key opens
that one feed, read-only, as that user; access is still checked on every fetch, so a user
who leaves the organisation gets 404s.

A key stops working when its user changes password, is deactivated, or resets their feed
links: :func:`do_reset_feed_links` draws a new random secret, which changes every key of the
user at once (the URLs already handed out, on every feed), and records an audit event. A
user who never reset has no secret row; their keys are derived without one, so addresses
issued before resets existed keep working until the first reset.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from pmo.core.access import Access
from pmo.core.models import AuditEvent, FeedSecret
from pmo.core.services import record
from pmo.errors import PermissionDenied

# The salt of the first feed keys (then in pmo.projects.interop_export): kept, so that the
# addresses users already subscribed to stay valid.
FEED_SALT = "pmo.projects.interop_export.feed"
_CACHE = "_pmo_feed_secret"


def feed_secret(user: Any) -> str:
    """The user's current feed secret ('' before the first reset), read once per user
    object: a page listing many feed URLs does not query it for each."""
    cached = getattr(user, _CACHE, None)
    if cached is None:
        try:
            cached = user.feed_secret.secret
        except ObjectDoesNotExist:
            cached = ""
        setattr(user, _CACHE, cached)
    return str(cached)


def feed_key(user: Any, path: str) -> str:
    """The key that lets a calendar application read the one feed at ``path`` as ``user``."""
    value = f"{user.pk}:{path}:{user.password}:{int(bool(user.is_active))}"
    secret = feed_secret(user)
    if secret:
        value = f"{value}:{secret}"
    digest = salted_hmac(FEED_SALT, value, algorithm="sha256").hexdigest()[:40]
    return f"{user.pk}.{digest}"


def user_for_feed_key(key: str, path: str) -> Any:
    """The active user ``key`` was made for, if it is valid for ``path`` now; else ``None``."""
    pk, _, _ = key.partition(".")
    if not pk.isdigit():
        return None
    user = (
        get_user_model()
        ._default_manager.select_related("feed_secret")
        .filter(pk=int(pk), is_active=True)
        .first()
    )
    if user is None or not constant_time_compare(feed_key(user, path), key):
        return None
    return user


def feed_links_reset_at(user: Any) -> Any:
    """When the user last reset their feed links (``None``: never)."""
    return FeedSecret.objects.filter(user_id=user.pk).values_list("reset_at", flat=True).first()


@transaction.atomic
def do_reset_feed_links(access: Access | None, user: Any) -> FeedSecret:
    """Invalidate every feed URL of ``user`` by drawing a new secret; audited.

    A user resets their own links (the page, the API); the instance's operators reset
    anyone's (``access`` ``None`` from the CLI, or a superuser). Only the time of the reset
    is audited, never the secret.
    """
    if access is not None and not access.is_superuser and access.user.pk != user.pk:
        raise PermissionDenied("you may reset only your own calendar feed links")
    row = FeedSecret.objects.select_for_update().filter(user_id=user.pk).first()
    before = row.reset_at.isoformat() if row is not None else None
    secret = secrets.token_hex(32)  # 256 bits, as the API tokens
    now = timezone.now()
    if row is None:
        row = FeedSecret.objects.create(user_id=user.pk, secret=secret, reset_at=now)
    else:
        row.secret, row.reset_at = secret, now
        row.save(update_fields=["secret", "reset_at"])
    setattr(user, _CACHE, secret)
    record(
        access,
        AuditEvent.Action.UPDATE,
        user,
        {"feed_links_reset_at": [before, now.isoformat()]},
        organisation_id=None,
    )
    return row
