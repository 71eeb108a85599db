"""Who may see and change what.

Reading is per organisation: any membership in an organisation lets a user see it. Writing
depends on the role and where the membership applies:

| role              | may change                                                      |
|-------------------|-----------------------------------------------------------------|
| pmo_admin         | everything in the organisation, its settings but its code (**)  |
| portfolio_manager | portfolios, programs, projects and their content in its scope   |
| project_manager   | projects and their content in its scope (not portfolios)        |
| team_member       | tasks, issues, risks, timesheets in its scope (*)               |
| executive_viewer  | nothing                                                         |

(*) Timesheet entries only of the resource linked to the user's account; a role that may
change the task's project books for anyone (``pmo.finance.timesheets.may_book``).
(**) The organisation's code is unique across the instance; only superusers change it
(``pmo.orgs.services.check_organisation`` says why).

A membership's scope is the whole organisation, one portfolio, or one project. Superusers
(the instance's operators) see and change everything. Objects outside a user's
organisations do not exist for that user: lookups raise ``NotFound``, never
``PermissionDenied``, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet

from pmo.core.models import Role
from pmo.errors import NotAuthenticated, NotFound, PermissionDenied

M = TypeVar("M", bound=Model)

# Model names (``_meta.model_name``) each role may change, within its scope.
ORG_LEVEL = {"organisation", "membership", "calendar", "calendarexception", "exchangerate"}
PORTFOLIO_LEVEL = {"portfolio", "program", "strategicobjective", "budgetline"}
TEAM_WRITABLE = {"task", "issue", "risk", "timesheetentry", "assignment", "lessonlearned"}
POOL_LEVEL = {"resource", "skill", "costrate"}


@dataclass(frozen=True)
class Grant:
    organisation_id: int
    role: str
    portfolio_id: int | None
    project_id: int | None


class Access:
    """The memberships of one user, loaded once per request or command."""

    def __init__(self, user: AbstractBaseUser | AnonymousUser) -> None:
        if not user.is_authenticated:
            raise NotAuthenticated("log in first")
        self.user = user
        self.is_superuser = bool(getattr(user, "is_superuser", False))
        from pmo.orgs.models import Membership

        self.grants = [
            Grant(m.organisation_id, m.role, m.portfolio_id, m.project_id)
            for m in Membership.objects.filter(user_id=user.pk)
        ]

    @classmethod
    def for_request(cls, request: Any) -> Access:
        """The request's user's access, loaded once per request (pages, their shell and the
        API all ask for it; each ``Access()`` costs a query of the memberships)."""
        access = getattr(request, "access", None)
        if access is None or access.user.pk != request.user.pk:
            access = cls(request.user)
            request.access = access
        return access

    @property
    def organisation_ids(self) -> set[int]:
        return {g.organisation_id for g in self.grants}

    def visible_organisations(self) -> QuerySet[Any]:
        from pmo.orgs.models import Organisation

        qs = Organisation.objects.all()
        return qs if self.is_superuser else qs.filter(pk__in=self.organisation_ids)

    def visible_users(self) -> QuerySet[Any]:
        """The users this user may see: the members of its organisations (every user for a
        superuser). Users belong to no organisation, so this is the rule for them: a user
        who shares no organisation with this one does not exist for it, exactly like a
        missing id (``pmo.core.services`` resolves membership references through it)."""
        from django.contrib.auth import get_user_model

        from pmo.orgs.models import Membership

        qs = get_user_model()._default_manager.all()
        if self.is_superuser:
            return qs
        members = Membership.objects.filter(organisation_id__in=self.organisation_ids)
        return qs.filter(pk__in=members.values("user_id"))

    def scoped(self, queryset: QuerySet[M]) -> QuerySet[M]:
        """Only the rows of organisations this user belongs to."""
        if self.is_superuser:
            return queryset
        if queryset.model._meta.model_name == "organisation":
            return queryset.filter(pk__in=self.organisation_ids)
        return queryset.filter(organisation_id__in=self.organisation_ids)

    def get(self, queryset: QuerySet[M], pk: Any) -> M:
        """One visible object, or ``NotFound`` whether it is missing or another's."""
        try:
            return self.scoped(queryset).get(pk=pk)
        except (ObjectDoesNotExist, ValueError, TypeError) as exc:
            raise NotFound(f"{queryset.model._meta.verbose_name} {pk} not found") from exc

    def roles_in(self, organisation_id: int) -> set[str]:
        return {g.role for g in self.grants if g.organisation_id == organisation_id}

    def can_write(self, obj: Model) -> bool:
        if self.is_superuser:
            return True
        scope = _scope_of(obj)
        kind = obj._meta.model_name or ""
        for g in self.grants:
            if g.organisation_id != scope["organisation"]:
                continue
            if g.role == Role.PMO_ADMIN:
                return True
            if not _in_scope(g, scope):
                continue
            if g.role == Role.PORTFOLIO_MANAGER and kind not in ORG_LEVEL:
                return True
            if g.role == Role.PROJECT_MANAGER and (
                kind not in ORG_LEVEL | PORTFOLIO_LEVEL | POOL_LEVEL
                or (kind == "budgetline" and scope["project"] is not None)
            ):
                return True
            if g.role == Role.TEAM_MEMBER and kind in TEAM_WRITABLE:
                return True
        return False

    def check_write(self, obj: Model) -> None:
        if not self.can_write(obj):
            raise PermissionDenied(
                f"you may not change this {obj._meta.verbose_name} with your role"
            )

    def check_visible(self, obj: Model) -> None:
        if self.is_superuser:
            return
        if _scope_of(obj)["organisation"] not in self.organisation_ids:
            raise NotFound(f"{obj._meta.verbose_name} not found")

    def writable_organisations(self) -> Iterable[int]:
        return {g.organisation_id for g in self.grants if g.role != Role.EXECUTIVE_VIEWER}


def _scope_of(obj: Model) -> dict[str, int | None]:
    scope = getattr(obj, "scope", None)
    if scope is None:
        raise TypeError(f"{type(obj).__name__} has no organisation scope")
    return dict(scope())


def _in_scope(grant: Grant, scope: dict[str, int | None]) -> bool:
    """An organisation-wide grant covers all; a narrower one covers what lies under it."""
    if grant.project_id is not None:
        return scope["project"] == grant.project_id
    if grant.portfolio_id is not None:
        return scope["portfolio"] == grant.portfolio_id
    return True
