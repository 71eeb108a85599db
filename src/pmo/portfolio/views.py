"""Portfolio and program pages: what lies under them, with status badges and counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from pmo.core.access import Access
from pmo.core.views import crumbs_for, pmo_view, working_in
from pmo.portfolio.models import Portfolio, Program
from pmo.projects.models import Project, Status

PROJECT_COLUMNS = ("organisation", "portfolio", "program", "manager")


def _status_counts(projects: list[Project]) -> list[tuple[str, str, int]]:
    """(status, label, count) in the order of ``Status``, only the statuses present."""
    counts = Counter(p.status for p in projects)
    return [(s.value, str(s.label), counts[s.value]) for s in Status if counts[s.value]]


@pmo_view
def portfolio_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    portfolio = access.get(Portfolio.objects.select_related("organisation", "manager"), pk)
    working_in(request, portfolio.organisation_id)
    projects = list(
        Project.objects.filter(portfolio=portfolio).select_related("manager").order_by("code")
    )
    programs = list(Program.objects.filter(portfolio=portfolio).select_related("manager"))
    by_program: dict[int | None, list[Project]] = {}
    for p in projects:
        by_program.setdefault(p.program_id, []).append(p)
    sections: list[dict[str, Any]] = [
        {
            "program": program,
            "projects": by_program.get(program.pk, []),
            "counts": _status_counts(by_program.get(program.pk, [])),
        }
        for program in programs
    ]
    # projects whose program lies in another portfolio are listed with those without one
    known = {program.pk for program in programs}
    loose = [p for p in projects if p.program_id is None or p.program_id not in known]
    probe = Project(organisation_id=portfolio.organisation_id, portfolio=portfolio)
    return render(
        request,
        "portfolio/portfolio.html",
        {
            "portfolio": portfolio,
            "sections": sections,
            "loose_projects": loose,
            "counts": _status_counts(projects),
            "project_count": len(projects),
            "can_add_project": access.can_write(probe),
            "crumbs": crumbs_for(portfolio=portfolio),
        },
    )


@pmo_view
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access.for_request(request)
    program = access.get(
        Program.objects.select_related("organisation", "portfolio", "manager").prefetch_related(
            Prefetch("projects", queryset=Project.objects.select_related("manager"))
        ),
        pk,
    )
    working_in(request, program.organisation_id)
    projects = sorted(program.projects.all(), key=lambda p: p.code)  # type: ignore[attr-defined]
    probe = Project(
        organisation_id=program.organisation_id, portfolio_id=program.portfolio_id, program=program
    )
    return render(
        request,
        "portfolio/program.html",
        {
            "program": program,
            "projects": projects,
            "counts": _status_counts(projects),
            "can_add_project": access.can_write(probe),
            "crumbs": crumbs_for(program=program),
        },
    )


urlpatterns = [
    path("portfolios/<int:pk>/", portfolio_detail, name="portfolio"),
    path("programs/<int:pk>/", program_detail, name="program"),
]
