"""What every page's shell needs: the user's organisations and the current one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from pmo.core.access import Access

# Top navigation after "Portfolios": (URL name, label), shown when the page exists. Domain
# apps add their pages here rather than editing the base template.
NAV = [
    ("web:capacity", "Capacity"),
    ("web:budget-monitoring", "Budgets"),
    ("web:timesheets", "Timesheets"),
    ("web:import", "Import"),
]


def _nav() -> list[tuple[str, str]]:
    out = []
    for name, label in NAV:
        try:
            reverse(name)
        except NoReverseMatch:
            continue
        out.append((name, label))
    return out


def shell(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated or request.path.startswith("/admin/"):
        return {}
    access = Access.for_request(request)
    orgs = list(access.visible_organisations())
    current_id = getattr(request, "current_org_id", None)
    current = next((o for o in orgs if o.pk == current_id), orgs[0] if orgs else None)
    return {
        "shell_organisations": orgs,
        "current_organisation": current,
        "shell_nav": _nav(),
    }
