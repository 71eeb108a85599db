"""The personal page of API tokens (create, shown once; list; revoke) and of calendar feed
links (reset: every feed URL the user handed out stops working)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pmo.core import feeds, tokens
from pmo.core.access import Access
from pmo.core.views import pmo_view
from pmo.errors import NotFound, ValidationFailed


@pmo_view
def token_list(request: HttpRequest) -> HttpResponse:
    access = Access.for_request(request)
    created = request.session.pop("pmo_new_token", None)
    return render(
        request,
        "core/tokens.html",
        {
            "tokens": list(tokens.tokens_of(access)),
            "created": created,
            "feed_links_reset_at": feeds.feed_links_reset_at(access.user),
        },
    )


@pmo_view
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    access = Access.for_request(request)
    try:
        row, token = tokens.do_create_token(access, request.POST.get("name", ""))
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("web:tokens")
    # shown once, on the next page, then gone from the session
    request.session["pmo_new_token"] = {"name": row.name, "token": token}
    return redirect("web:tokens")


@pmo_view
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        tokens.do_revoke_token(Access.for_request(request), pk)
    except NotFound:
        messages.error(request, "That token does not exist or is already revoked.")
    else:
        messages.success(request, "Token revoked: it no longer opens the API.")
    return redirect("web:tokens")


@pmo_view
@require_POST
def feed_links_reset(request: HttpRequest) -> HttpResponse:
    """Reset the user's calendar feed links; back to the page the button was on."""
    feeds.do_reset_feed_links(Access.for_request(request), request.user)
    messages.success(
        request,
        "Calendar feed links reset: the addresses given out before no longer work. "
        "Subscribe again with the new addresses on a project's Export page.",
    )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("web:tokens")
    return redirect(back)


urlpatterns = [
    path("feeds/reset/", feed_links_reset, name="feed-links-reset"),
    path("tokens/", token_list, name="tokens"),
    path("tokens/new/", token_create, name="token-create"),
    path("tokens/<int:pk>/revoke/", token_revoke, name="token-revoke"),
]
