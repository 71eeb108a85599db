"""The one way rows are written: create, update and delete with checks, versions and audit.

Every change goes through ``do_create``, ``do_update`` or ``do_delete``. Each runs in one
transaction and:

1. resolves references to other rows within what the writer may see (a reference to a row
   of another organisation is reported exactly like a missing one);
2. derives the row's organisation from its parents and refuses a mix of organisations;
3. validates the values (Django field validators, ``clean()``, and the ``check_*``
   functions each domain registers with ``@checks(Model)``), reporting every bad field
   with its path;
4. checks the writer's role may make the change (``Access.check_write``);
5. for updates and deletes, applies the change only if the row is still at the version the
   writer read (optimistic locking, refused with ``StaleVersion``);
6. records an ``AuditEvent`` with each field's value before and after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Model
from django.utils import timezone

from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.errors import Conflict, FieldError, NotFound, StaleVersion, ValidationFailed

M = TypeVar("M", bound=Model)
Check = Callable[[Access, Any, Mapping[str, Any]], None]

_CHECKS: dict[type[Model], list[Check]] = {}
_UNAUDITED = {"version", "created_at", "updated_at"}


def checks(model: type[Model]) -> Callable[[Check], Check]:
    """Register ``check_*(access, obj, data)``, run before ``obj`` is saved.

    ``obj`` already holds the new values; ``data`` is what the writer sent. A check raises
    ``ValidationFailed`` (or another ``PmoError``).
    """

    def register(func: Check) -> Check:
        _CHECKS.setdefault(model, []).append(func)
        return func

    return register


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Model) -> dict[str, Any]:
    """The audited values of a row: every concrete field by its attribute name."""
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in _UNAUDITED or f.primary_key:
            continue
        out[f.attname] = jsonable(getattr(obj, f.attname))
    return out


def record(
    access: Access | None,
    action: str,
    obj: Model,
    changes: dict[str, list[Any]],
    *,
    organisation_id: int | None = None,
) -> AuditEvent:
    user = access.user if access else None
    org_id = organisation_id
    if org_id is None:
        scope = getattr(obj, "scope", None)
        org_id = scope()["organisation"] if scope else None
    return AuditEvent.objects.create(
        organisation_id=org_id,
        user_id=getattr(user, "pk", None),
        username=getattr(user, "username", "") or "system",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        changes=changes,
    )


def _validation_failed(exc: ValidationError) -> ValidationFailed:
    errors: list[FieldError] = []
    if hasattr(exc, "error_dict"):
        for field, field_errors in exc.message_dict.items():
            path: tuple[str | int, ...] = () if field == "__all__" else (field,)
            errors.extend(FieldError(path, m) for m in field_errors)
    else:
        errors.extend(FieldError((), m) for m in exc.messages)
    return ValidationFailed(errors)


def _fk_fields(model: type[Model]) -> dict[str, models.ForeignKey[Any, Any]]:
    return {
        f.attname: f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.name != "organisation"
    }


def _resolve_references(
    access: Access, model: type[Model], data: Mapping[str, Any]
) -> dict[str, Model | None]:
    """Load each referenced row through the writer's visibility; unknown ids are 422s."""
    resolved: dict[str, Model | None] = {}
    fks = _fk_fields(model)
    for key, value in data.items():
        field = fks.get(key)
        if field is None:
            continue
        if value is None:
            resolved[field.name] = None
            continue
        target = field.related_model
        assert isinstance(target, type)
        qs = target._default_manager.all()
        try:
            if target._meta.label_lower == "auth.user":
                resolved[field.name] = qs.get(pk=value)
            else:
                resolved[field.name] = access.get(qs, value)
        except (NotFound, target.DoesNotExist, ValueError, TypeError):
            raise ValidationFailed.field(
                key, f"{target._meta.verbose_name} {value} does not exist"
            ) from None
    return resolved


def _organisation_of(obj: Model) -> int | None:
    scope = getattr(obj, "scope", None)
    return scope()["organisation"] if scope else None


def _check_same_organisation(access: Access, obj: Model, refs: Mapping[str, Model | None]) -> None:
    org_id = getattr(obj, "organisation_id", None)
    for name, ref in refs.items():
        if ref is None:
            continue
        if ref._meta.label_lower == "auth.user":
            from pmo.orgs.models import Membership

            if isinstance(obj, Membership):
                continue

            if not Membership.objects.filter(user=ref, organisation_id=org_id).exists():
                raise ValidationFailed.field(
                    f"{name}_id", f"user {ref.pk} is not a member of this organisation"
                )
            continue
        ref_org = _organisation_of(ref)
        if ref_org is not None and ref_org != org_id:
            raise ValidationFailed.field(
                f"{name}_id", f"{ref._meta.verbose_name} {ref.pk} belongs to another organisation"
            )


def _derive_organisation(obj: Model, refs: Mapping[str, Model | None]) -> int | None:
    for parent_name in getattr(obj, "scope_parents", ()):
        parent = refs.get(parent_name) or getattr(obj, parent_name, None)
        if parent is not None:
            return _organisation_of(parent)
    return None


def _full_clean(obj: Model, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=True, validate_constraints=True)
    except ValidationError as exc:
        raise _validation_failed(exc) from None


def _split_m2m(model: type[Model], data: Mapping[str, Any]) -> tuple[dict[str, Any], dict]:
    m2m_names = {f.name for f in model._meta.many_to_many}
    plain = {k: v for k, v in data.items() if k not in m2m_names}
    m2m = {k: v for k, v in data.items() if k in m2m_names}
    return plain, m2m


def _set_m2m(access: Access, obj: Model, m2m: Mapping[str, Iterable[int]]) -> dict:
    changes = {}
    for name, ids in m2m.items():
        field = obj._meta.get_field(name)
        target = field.related_model
        assert isinstance(target, type)
        ids = sorted(set(ids))
        found = list(access.scoped(target._default_manager.filter(pk__in=ids)))
        org_id = getattr(obj, "organisation_id", None)
        if len(found) != len(ids) or any(_organisation_of(t) != org_id for t in found):
            raise ValidationFailed.field(name, f"unknown {target._meta.verbose_name} ids")
        manager = getattr(obj, name)
        before = sorted(manager.values_list("pk", flat=True))
        manager.set(found)
        if before != ids:
            changes[name] = [before, ids]
    return changes


def _run_checks(access: Access, obj: Model, data: Mapping[str, Any]) -> None:
    for check in _CHECKS.get(type(obj), []):
        check(access, obj, data)


def _save(obj: Model, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        raise Conflict(f"this change clashes with existing data: {exc}") from None


@transaction.atomic
def do_create(
    access: Access,
    model: type[M],
    data: Mapping[str, Any],
    *,
    organisation_id: int | None = None,
) -> M:
    """Create a row from ``data`` (attribute names: ``project_id``, ``name``...)."""
    plain, m2m = _split_m2m(model, data)
    org_given = plain.pop("organisation_id", None) or organisation_id
    refs = _resolve_references(access, model, plain)
    obj = model(**plain)
    derived = _derive_organisation(obj, refs)
    if model._meta.model_name == "organisation":
        pass
    elif derived is not None:
        if org_given is not None and int(org_given) != derived:
            raise ValidationFailed.field(
                "organisation_id", "does not match the organisation of the parent"
            )
        obj.organisation_id = derived  # type: ignore[attr-defined]
    elif org_given is not None:
        org = access.get(access.visible_organisations(), org_given) if not access.is_superuser else None
        obj.organisation_id = org.pk if org else int(org_given)  # type: ignore[attr-defined]
    else:
        raise ValidationFailed.field("organisation_id", "required")
    if model._meta.model_name != "organisation":
        _check_same_organisation(access, obj, refs)
    _full_clean(obj)
    _run_checks(access, obj, data)
    access.check_write(obj)
    _save(obj)
    changes = {k: [None, v] for k, v in snapshot(obj).items()}
    changes.update(_set_m2m(access, obj, m2m))
    record(access, AuditEvent.Action.CREATE, obj, changes)
    return obj


@transaction.atomic
def do_update(access: Access, obj: M, data: Mapping[str, Any], version: int) -> M:
    """Apply ``data`` to ``obj`` if it is still at ``version``; return the updated row."""
    access.check_visible(obj)
    access.check_write(obj)
    plain, m2m = _split_m2m(type(obj), data)
    if "organisation_id" in plain:
        if plain.pop("organisation_id") != getattr(obj, "organisation_id", None):
            raise ValidationFailed.field("organisation_id", "a row cannot change organisation")
    before = snapshot(obj)
    refs = _resolve_references(access, type(obj), plain)
    for key, value in plain.items():
        setattr(obj, key, value)
    for name, ref in refs.items():
        setattr(obj, name, ref)
    _check_same_organisation(access, obj, refs)
    _full_clean(obj)
    _run_checks(access, obj, data)
    access.check_write(obj)  # the new place must be writable too
    after = snapshot(obj)
    changed = {k: after[k] for k in after if after[k] != before[k]}
    model = type(obj)
    values = {
        f.attname: getattr(obj, f.attname)
        for f in model._meta.concrete_fields
        if f.attname in changed
    }
    try:
        with transaction.atomic():
            rows = model._default_manager.filter(pk=obj.pk, version=version).update(
                **values, version=F("version") + 1, updated_at=timezone.now()
            )
    except IntegrityError as exc:
        raise Conflict(f"this change clashes with existing data: {exc}") from None
    if rows == 0:
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True)
        raise StaleVersion(
            f"{model._meta.verbose_name} {obj.pk} was changed by someone else since you read "
            f"it (you had version {version}); reload it and apply your change again",
            current_version=current[0] if current else None,
        )
    obj.version = version + 1  # type: ignore[attr-defined]
    changes: dict[str, list[Any]] = {k: [before[k], after[k]] for k in changed}
    changes.update(_set_m2m(access, obj, m2m))
    record(access, AuditEvent.Action.UPDATE, obj, changes)
    return obj


@transaction.atomic
def do_delete(access: Access, obj: Model, version: int) -> None:
    access.check_visible(obj)
    access.check_write(obj)
    model = type(obj)
    before = snapshot(obj)
    pk = obj.pk
    org_id = _organisation_of(obj)
    label = model._meta.verbose_name
    if not model._default_manager.filter(pk=pk, version=version).exists():
        raise StaleVersion(
            f"{label} {pk} was changed by someone else since you read it; reload it first"
        )
    try:
        with transaction.atomic():
            obj.delete()
    except models.ProtectedError as exc:
        raise Conflict(f"{label} {pk} is still used: {exc.args[0]}") from None
    obj.pk = pk
    record(
        access,
        AuditEvent.Action.DELETE,
        obj,
        {k: [v, None] for k, v in before.items()},
        organisation_id=org_id,
    )
