"""Risk and issue registers of a project: its tabs and the forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import path

from pmo.core.access import Access
from pmo.core.views import pmo_view
from pmo.projects.models import Project, Task
from pmo.projects.views import edit_in_project, new_in_project
from pmo.risks.models import Issue, Risk
from pmo.web.forms import ServiceForm, TaskChoiceField


def score_level(score: int) -> str:
    """The colour band of a 5×5 probability × impact score."""
    if score >= 15:
        return "high"
    if score >= 5:
        return "medium"
    return "low"


def risks_tab(access: Access, project: Project) -> tuple[str, dict[str, Any]]:
    risks = list(Risk.objects.filter(project=project).select_related("owner").order_by("code"))
    for risk in risks:
        risk.level = score_level(risk.score)  # type: ignore[attr-defined]
    probe = Risk(organisation_id=project.organisation_id, project=project)
    return "risks/_risks.html", {"risks": risks, "can_write": access.can_write(probe)}


def issues_tab(access: Access, project: Project) -> tuple[str, dict[str, Any]]:
    issues = list(
        Issue.objects.filter(project=project).select_related("owner", "task").order_by("code")
    )
    probe = Issue(organisation_id=project.organisation_id, project=project)
    return "risks/_issues.html", {"issues": issues, "can_write": access.can_write(probe)}


class _ProjectTaskForm(ServiceForm):
    task = TaskChoiceField(queryset=Task.objects.all(), required=False, label="Related task")

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        task = self.fields["task"]
        assert isinstance(task, forms.ModelChoiceField)
        task.queryset = Task.objects.filter(project=project).order_by("position", "id")


class RiskForm(_ProjectTaskForm):
    model = Risk
    model_fields = [
        "code",
        "title",
        "description",
        "category",
        "probability",
        "impact",
        "state",
        "response",
        "owner",
        "due_date",
        "task",
        "response_plan",
        "cost_impact_min",
        "cost_impact_likely",
        "cost_impact_max",
        "schedule_impact_days_min",
        "schedule_impact_days_likely",
        "schedule_impact_days_max",
    ]


class IssueForm(_ProjectTaskForm):
    model = Issue
    model_fields = [
        "code",
        "title",
        "description",
        "priority",
        "state",
        "owner",
        "task",
        "raised_on",
        "due_date",
        "resolution",
    ]


@pmo_view
def risk_new(request: HttpRequest, project_pk: int) -> HttpResponse:
    return new_in_project(request, project_pk, RiskForm, "R", "risks")


@pmo_view
def risk_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return edit_in_project(request, pk, RiskForm, "risks")


@pmo_view
def issue_new(request: HttpRequest, project_pk: int) -> HttpResponse:
    return new_in_project(request, project_pk, IssueForm, "I", "issues")


@pmo_view
def issue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return edit_in_project(request, pk, IssueForm, "issues")


urlpatterns = [
    path("projects/<int:project_pk>/risks/new/", risk_new, name="risk-new"),
    path("risks/<int:pk>/edit/", risk_edit, name="risk-edit"),
    path("projects/<int:project_pk>/issues/new/", issue_new, name="issue-new"),
    path("issues/<int:pk>/edit/", issue_edit, name="issue-edit"),
]
