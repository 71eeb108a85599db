"""The personal API tokens page: create (the token is shown once), list, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from pmo.core import tokens
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
        {"tokens": list(tokens.tokens_of(access)), "created": created},
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


urlpatterns = [
    path("tokens/", token_list, name="tokens"),
    path("tokens/new/", token_create, name="token-create"),
    path("tokens/<int:pk>/revoke/", token_revoke, name="token-revoke"),
]
