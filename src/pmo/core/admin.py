"""Admin of the instance's operators: the audit log (read-only), API tokens, and the base
class every app's admin uses so that admin edits are versioned and audited like any other.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from pmo.core import tokens
from pmo.core.access import Access
from pmo.core.models import ApiToken, AuditEvent
from pmo.core.services import jsonable, record, snapshot

VERSION_FIELDS = ("version", "created_at", "updated_at")


def _audit_save(request: HttpRequest, obj: Model, before: dict[str, Any] | None) -> None:
    after = snapshot(obj)
    if before is None:
        changes = {k: [None, v] for k, v in after.items()}
        action = AuditEvent.Action.CREATE
    else:
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        action = AuditEvent.Action.UPDATE
    record(Access.for_request(request), action, obj, changes)


def _audit_delete(request: HttpRequest, obj: Model, before: dict[str, Any] | None = None) -> None:
    """Delete ``obj`` and audit it with ``before`` (default: all its fields)."""
    if before is None:
        before = snapshot(obj)
    scope = getattr(obj, "scope", None)
    org_id = scope()["organisation"] if scope else None
    pk = obj.pk
    obj.delete()
    obj.pk = pk
    record(
        Access.for_request(request),
        AuditEvent.Action.DELETE,
        obj,
        {k: [v, None] for k, v in before.items()},
        organisation_id=org_id,
    )


def _bump_and_snapshot(obj: Model) -> dict[str, Any] | None:
    """The stored values before an admin change (``None`` for a new row); bumps ``version``."""
    if obj.pk is None:
        return None
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    if stored is None:
        return None
    if hasattr(obj, "version"):
        obj.version = int(getattr(stored, "version", 0)) + 1
    return snapshot(stored)


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Admin edits bump ``version`` and record an ``AuditEvent``, like the services do."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        names = {f.name for f in self.model._meta.concrete_fields}
        extra = tuple(f for f in VERSION_FIELDS if f in names)
        return (*super().get_readonly_fields(request, obj), *extra)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        before = _bump_and_snapshot(obj) if change else None
        super().save_model(request, obj, form, change)
        _audit_save(request, obj, before)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        _audit_delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            _audit_delete(request, obj)

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm,  # type: ignore[type-arg]
        formset: BaseInlineFormSet,  # type: ignore[type-arg]
        change: bool,
    ) -> None:
        """Inline rows take the organisation of the row they belong to, and are audited."""
        parent = form.instance
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            if obj.pk is not None:
                _audit_delete(request, obj)
        for obj in instances:
            if hasattr(obj, "organisation_id") and hasattr(parent, "organisation_id"):
                obj.organisation_id = parent.organisation_id
            before = _bump_and_snapshot(obj)
            obj.save()
            _audit_save(request, obj, before)
        formset.save_m2m()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "username", "action", "object_type", "object_id", "object_repr")
    list_filter = ("action", "object_type", "organisation")
    search_fields = ("username", "object_repr", "object_type")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Tokens are created by their owners (the digest only is stored); admins may revoke
    (set ``revoked_at``) or delete. Both are audited like the owners' own revocations, with
    the token's owner, name and prefix, never its digest (``pmo.core.tokens``)."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("user", "name", "prefix", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        stored = ApiToken.objects.filter(pk=obj.pk).values_list("revoked_at", flat=True).first()
        super().save_model(request, obj, form, change)
        if stored != obj.revoked_at:
            record(
                Access.for_request(request),
                AuditEvent.Action.UPDATE,
                obj,
                {"revoked_at": [jsonable(stored), jsonable(obj.revoked_at)]},
                organisation_id=None,
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        # never the digest: only what tokens.AUDITED_FIELDS names
        _audit_delete(request, obj, {k: jsonable(getattr(obj, k)) for k in tokens.AUDITED_FIELDS})

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():  # the admin's bulk action runs outside its transactions
            for obj in queryset:
                self.delete_model(request, obj)
