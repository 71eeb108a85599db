"""Building blocks every domain model shares: versioning, organisation scope, audit, tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    """A member's role in an organisation, a portfolio or a project (highest first)."""

    PMO_ADMIN = "pmo_admin", "PMO admin"
    PORTFOLIO_MANAGER = "portfolio_manager", "Portfolio manager"
    PROJECT_MANAGER = "project_manager", "Project manager"
    TEAM_MEMBER = "team_member", "Team member"
    EXECUTIVE_VIEWER = "executive_viewer", "Executive viewer"


class VersionedModel(models.Model):
    """A row that carries the version it is at, so a stale write can be refused.

    Every successful update adds one to ``version``; a writer must say which version it
    read (If-Match on the API, a hidden field in forms) and the update only applies if
    that is still the stored one (optimistic concurrency control).
    """

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OrgScopedModel(VersionedModel):
    """A row that belongs to exactly one organisation: the unit of isolation.

    Every domain row carries its organisation directly (denormalised from its parent) so
    that scoping a query to what a user may see is one indexed filter, never a join chain
    that a new route could forget.
    """

    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="+", db_index=True
    )

    # Fields that hold the parent objects this row lives under; the service layer checks
    # each lies in the same organisation and is visible to the writer.
    scope_parents: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def scope(self) -> dict[str, int | None]:
        """Organisation, portfolio, program and project ids this row lives under."""
        return {
            "organisation": self.organisation_id,  # type: ignore[attr-defined]
            "portfolio": self._scope_id("portfolio"),
            "program": self._scope_id("program"),
            "project": self._scope_id("project"),
        }

    def _scope_id(self, level: str) -> int | None:
        direct = getattr(self, f"{level}_id", None)
        if direct is not None:
            return int(direct)
        for parent_field in self.scope_parents:
            parent = getattr(self, parent_field, None)
            if parent is not None and hasattr(parent, "scope"):
                value = parent.scope().get(level)
                if value is not None:
                    return int(value)
        return None


class AuditEvent(models.Model):
    """Who changed what, when, with each field's value before and after."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"

    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.CASCADE, null=True, related_name="audit_events"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200)
    changes: models.JSONField[Any] = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.object_type}#{self.object_id}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token is shown once.

    The token has 256 bits of randomness, so a fast hash is enough: slow password hashes
    protect low-entropy secrets and would only make every API call slower.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class FeedSecret(models.Model):
    """The secret mixed into every calendar-feed key of one user (``pmo.core.feeds``).

    A feed URL carries a key derived from the user, the feed's path, the password hash and
    this secret; replacing the secret ("reset feed links") invalidates every feed URL the
    user has handed out, without changing the password. A user who never reset has no row
    and keys derived without a secret.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_secret"
    )
    secret = models.CharField(max_length=64)
    reset_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"feed links of {self.user} (reset {self.reset_at:%Y-%m-%d %H:%M})"
