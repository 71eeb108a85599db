"""Change requests and decisions of a project: its tabs and the forms."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path

from pmo.core.access import Access
from pmo.core.views import pmo_view
from pmo.governance.models import ChangeRequest, Decision
from pmo.projects.models import Project
from pmo.projects.views import edit_in_project, new_in_project
from pmo.web.forms import ServiceForm


def changes_tab(access: Access, project: Project) -> tuple[str, dict[str, Any]]:
    changes = list(ChangeRequest.objects.filter(project=project).order_by("code"))
    probe = ChangeRequest(organisation_id=project.organisation_id, project=project)
    return "governance/_changes.html", {"changes": changes, "can_write": access.can_write(probe)}


def decisions_tab(access: Access, project: Project) -> tuple[str, dict[str, Any]]:
    decisions = list(Decision.objects.filter(project=project).order_by("code"))
    probe = Decision(organisation_id=project.organisation_id, project=project)
    return "governance/_decisions.html", {
        "decisions": decisions,
        "can_write": access.can_write(probe),
    }


class _ProjectForm(ServiceForm):
    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        self.project = project
        super().__init__(*args, **kwargs)


class ChangeRequestForm(_ProjectForm):
    model = ChangeRequest
    model_fields = [
        "code",
        "title",
        "description",
        "state",
        "cost_impact",
        "schedule_impact_days",
        "requested_by",
        "requested_on",
        "decided_on",
        "scope_impact",
    ]


class DecisionForm(_ProjectForm):
    model = Decision
    model_fields = [
        "code",
        "title",
        "description",
        "rationale",
        "state",
        "decided_on",
        "decided_by",
    ]


@pmo_view
def change_new(request: HttpRequest, project_pk: int) -> HttpResponse:
    return new_in_project(request, project_pk, ChangeRequestForm, "CR", "changes")


@pmo_view
def change_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return edit_in_project(request, pk, ChangeRequestForm, "changes")


@pmo_view
def decision_new(request: HttpRequest, project_pk: int) -> HttpResponse:
    return new_in_project(request, project_pk, DecisionForm, "D", "decisions")


@pmo_view
def decision_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return edit_in_project(request, pk, DecisionForm, "decisions")


urlpatterns = [
    path("projects/<int:project_pk>/changes/new/", change_new, name="change-new"),
    path("changes/<int:pk>/edit/", change_edit, name="change-edit"),
    path("projects/<int:project_pk>/decisions/new/", decision_new, name="decision-new"),
    path("decisions/<int:pk>/edit/", decision_edit, name="decision-edit"),
]
