"""API: who am I, personal tokens, calendar feed links, the audit trail."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Query, Router, Schema, Status

from pmo.api.auth import access_of
from pmo.api.crud import MAX_LIMIT, InSchema
from pmo.core import feeds, tokens
from pmo.core.models import AuditEvent


class MembershipBrief(Schema):
    organisation_id: int
    role: str
    portfolio_id: int | None
    project_id: int | None


class MeOut(Schema):
    id: int
    username: str
    is_superuser: bool
    memberships: list[MembershipBrief]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreated(TokenOut):
    token: str


class TokenIn(InSchema):
    name: str


class FeedLinksOut(Schema):
    reset_at: dt.datetime


class AuditOut(Schema):
    id: int
    organisation_id: int | None
    username: str
    at: dt.datetime
    action: str
    object_type: str
    object_id: int
    object_repr: str
    changes: dict[str, Any]


class AuditList(Schema):
    items: list[AuditOut]
    count: int


class AuditFilters(Schema):
    object_type: str | None = None
    object_id: int | None = None
    organisation_id: int | None = None
    username: str | None = None


def register(api: NinjaAPI) -> None:
    router = Router(tags=["me"])

    @router.get("/me", response=MeOut, operation_id="get_me")
    def me(request: HttpRequest) -> Any:
        access = access_of(request)
        return {
            "id": access.user.pk,
            "username": access.user.get_username(),
            "is_superuser": access.is_superuser,
            "memberships": [g.__dict__ for g in access.grants],
        }

    @router.get("/tokens", response=list[TokenOut], operation_id="list_tokens")
    def list_tokens(request: HttpRequest) -> Any:
        return tokens.tokens_of(access_of(request))

    @router.post("/tokens", response={201: TokenCreated}, operation_id="create_token")
    def create_token(request: HttpRequest, payload: TokenIn) -> Any:
        row, token = tokens.do_create_token(access_of(request), payload.name)
        return Status(201, {**TokenOut.from_orm(row).model_dump(), "token": token})

    @router.delete("/tokens/{id}", response={204: None}, operation_id="revoke_token")
    def revoke_token(request: HttpRequest, id: int) -> Any:
        tokens.do_revoke_token(access_of(request), id)
        return Status(204, None)

    @router.post("/feed-links", response={201: FeedLinksOut}, operation_id="reset_feed_links")
    def reset_feed_links(request: HttpRequest) -> Any:
        """Reset the caller's calendar feed links: a new secret, so every feed URL
        (``?key=``) handed out so far answers 404; fetch a feed again for its new
        ``X-Feed-Url``. Audited."""
        access = access_of(request)
        return Status(201, feeds.do_reset_feed_links(access, access.user))

    audit = Router(tags=["audit"])

    @audit.get("", response=AuditList, operation_id="list_audit_events")
    def list_audit(
        request: HttpRequest,
        filters: AuditFilters = Query(...),  # noqa: B008
        limit: int = Query(50, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0),
    ) -> Any:
        access = access_of(request)
        qs = AuditEvent.objects.all()
        if not access.is_superuser:
            qs = qs.filter(organisation_id__in=access.organisation_ids)
        for key, value in filters.model_dump(exclude_none=True).items():
            qs = qs.filter(**{key: value})
        return {"count": qs.count(), "items": list(qs[offset : offset + limit])}

    api.add_router("/", router)
    api.add_router("/audit", audit)
