"""The web shell: log in and out, the home page, the organisation switcher."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pmo.core.access import Access
from pmo.errors import NotFound
from pmo.web.middleware import SESSION_KEY


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The current organisation's portfolios (the top of the navigation)."""
    from pmo.portfolio.models import Portfolio
    from pmo.projects.models import Project

    access = Access.for_request(request)
    orgs = list(access.visible_organisations())
    current_id = getattr(request, "current_org_id", None)
    org = next((o for o in orgs if o.pk == current_id), orgs[0] if orgs else None)
    portfolios = []
    if org is not None:
        portfolios = list(
            Portfolio.objects.filter(organisation=org).prefetch_related("programs").order_by("code")
        )
        counts: dict[int, dict[str, int]] = {}
        for row in Project.objects.filter(organisation=org).values("portfolio_id", "status"):
            counts.setdefault(row["portfolio_id"], {}).setdefault(row["status"], 0)
            counts[row["portfolio_id"]][row["status"]] += 1
        for p in portfolios:
            p.status_counts = sorted(counts.get(p.pk, {}).items())  # type: ignore[attr-defined]
    return render(request, "web/home.html", {"organisation": org, "portfolios": portfolios})


@login_required
@require_POST
def switch_organisation(request: HttpRequest) -> HttpResponse:
    access = Access.for_request(request)
    try:
        org = access.get(access.visible_organisations(), request.POST.get("organisation"))
    except NotFound:
        messages.error(request, "That organisation does not exist or is not yours.")
        return redirect("web:home")
    request.session[SESSION_KEY] = org.pk
    return redirect("web:home")
