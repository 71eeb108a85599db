"""The one way rows are written: create, update and delete with checks, versions and audit.

Every change goes through ``do_create``, ``do_update`` or ``do_delete``. Each runs in one
transaction and:

1. resolves references to other rows within what the writer may see (a reference to a row
   of another organisation is reported exactly like a missing one);
2. derives the row's organisation from its parents and refuses a mix of organisations;
3. checks the writer's role may make the change (``Access.check_write``);
4. validates the values (Django field validators, ``clean()``, and the ``check_*``
   functions each domain registers with ``@checks(Model)``), reporting every bad field
   with its path; then the table's check constraints; then its unique constraints, a
   clash being a ``Conflict`` (409) that names the fields;
5. for updates and deletes, applies the change only if the row is still at the version the
   writer read (optimistic locking, refused with ``StaleVersion``); a delete locks the row
   first so the comparison and the delete are one step;
6. records an ``AuditEvent`` with each field's value before and after;
7. runs the ``@after_write(Model)`` hooks of the domains (e.g. a task's parent becomes a
   summary), inside the same transaction.

The domains' ``services`` modules (``pmo.<app>.services``) are imported on first use, so
their checks and hooks apply whoever writes: the API, the web pages, the CLI or a loader.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Model
from django.utils import timezone

from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.errors import Conflict, FieldError, NotFound, StaleVersion, ValidationFailed

Check = Callable[[Access, Any, Mapping[str, Any]], None]
# after_write hook: (access, obj, action, values before the change; {} on create)
AfterWrite = Callable[[Access | None, Any, str, Mapping[str, Any]], None]

_CHECKS: dict[type[Model], list[Check]] = {}
_PRECISE: dict[type[Model], set[str]] = {}
_AFTER: dict[type[Model], list[AfterWrite]] = {}
_UNAUDITED = {"version", "created_at", "updated_at"}
_domains_loaded = False


def checks(model: type[Model], *, validates: Iterable[str] = ()) -> Callable[[Check], Check]:
    """Register ``check_*(access, obj, data)``, run before ``obj`` is saved.

    ``obj`` already holds the new values; ``data`` is what the writer sent. A check raises
    ``ValidationFailed`` (or another ``PmoError``). ``validates`` names fields the check
    validates itself with more precise paths (e.g. ``("working_week", 2, 0)``); Django's
    own validators are then skipped for them.
    """

    def register(func: Check) -> Check:
        _CHECKS.setdefault(model, []).append(func)
        _PRECISE.setdefault(model, set()).update(validates)
        return func

    return register


def after_write(model: type[Model]) -> Callable[[AfterWrite], AfterWrite]:
    """Register ``hook(access, obj, action, before)``, run after each write of ``model``.

    It runs in the writer's transaction, after the row is saved (or deleted) and audited;
    whatever it raises undoes the whole change.
    """

    def register(func: AfterWrite) -> AfterWrite:
        _AFTER.setdefault(model, []).append(func)
        return func

    return register


def load_domain_services() -> None:
    """Import every ``pmo.<app>.services`` so their checks and hooks are registered."""
    global _domains_loaded
    if _domains_loaded:
        return
    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("pmo."):
            continue
        name = f"{config.name}.services"
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    _domains_loaded = True


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


# --- validation ------------------------------------------------------------------------


def _attname(model: type[Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except Exception:
        return name
    return getattr(field, "attname", name) or name


def _validation_failed(
    exc: ValidationError, model: type[Model] | None = None, prefix: Sequence[str | int] = ()
) -> ValidationFailed:
    errors: list[FieldError] = []
    if hasattr(exc, "error_dict"):
        for field, field_errors in exc.message_dict.items():
            if field == "__all__":
                path: tuple[str | int, ...] = tuple(prefix)
            else:
                path = (*prefix, _attname(model, field) if model else field)
            errors.extend(FieldError(path, m) for m in field_errors)
    else:
        errors.extend(FieldError(tuple(prefix), m) for m in exc.messages)
    return ValidationFailed(errors)


def _full_clean(obj: Model, exclude: Iterable[str] = ()) -> None:
    """Field validators and ``clean()``; constraints are checked later, separately."""
    skip = set(exclude) | _PRECISE.get(type(obj), set())
    try:
        obj.full_clean(exclude=list(skip), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise _validation_failed(exc, type(obj)) from None


def _check_constraints(obj: Model) -> None:
    """The table's check constraints (unique constraints are ``_check_unique``'s)."""
    model = type(obj)
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            continue
        try:
            constraint.validate(model, obj)
        except ValidationError as exc:
            raise _validation_failed(exc, model) from None


def _unique_sets(model: type[Model]) -> list[tuple[str, ...]]:
    sets: list[tuple[str, ...]] = [
        (f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key
    ]
    sets.extend(tuple(c.fields) for c in model._meta.total_unique_constraints)
    sets.extend(tuple(u) for u in model._meta.unique_together)
    return sets


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def unique_message(model: type[Model], fields: Sequence[str]) -> str:
    """``code: a project with this code already exists`` (the organisation is implied)."""
    named = [f for f in fields if f != "organisation"] or list(fields)
    attnames = ", ".join(_attname(model, f) for f in named)
    words = [str(getattr(model._meta.get_field(f), "verbose_name", f)) for f in named]
    what = " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)
    noun = str(model._meta.verbose_name)
    return f"{attnames}: {_article(noun)} {noun} with this {what} already exists"


def _check_unique(obj: Model) -> None:
    """Refuse a duplicate before the database does, naming the fields (409 Conflict)."""
    model = type(obj)
    for fields in _unique_sets(model):
        lookup: dict[str, Any] = {}
        for name in fields:
            value = getattr(obj, _attname(model, name))
            if value is None:  # NULLs never clash
                break
            lookup[_attname(model, name)] = value
        else:
            qs = model._default_manager.filter(**lookup)
            if obj.pk is not None:
                qs = qs.exclude(pk=obj.pk)
            if qs.exists():
                raise Conflict(unique_message(model, fields))


def _integrity_conflict(model: type[Model], exc: IntegrityError) -> Conflict:
    """An IntegrityError (a race the checks could not see) as a Conflict naming fields."""
    text = str(exc)
    for constraint in model._meta.total_unique_constraints:
        if constraint.name and constraint.name in text:
            return Conflict(unique_message(model, constraint.fields))
    match = re.search(r"UNIQUE constraint failed: ([\w., ]+)", text)
    if match:
        columns = {c.strip().rsplit(".", 1)[-1] for c in match.group(1).split(",")}
        for fields in _unique_sets(model):
            if {model._meta.get_field(f).column for f in fields} == columns:  # type: ignore[union-attr]
                return Conflict(unique_message(model, fields))
    return Conflict(
        f"this change to the {model._meta.verbose_name} clashes with data stored meanwhile; "
        "reload and try again"
    )


def _run_checks(access: Access, obj: Model, data: Mapping[str, Any]) -> None:
    load_domain_services()
    for check in _CHECKS.get(type(obj), []):
        check(access, obj, data)


def _validate(access: Access, obj: Model, data: Mapping[str, Any]) -> None:
    load_domain_services()
    _full_clean(obj)
    _run_checks(access, obj, data)
    _check_constraints(obj)
    _check_unique(obj)


def _run_after(access: Access | None, obj: Model, action: str, before: Mapping[str, Any]) -> None:
    load_domain_services()
    for hook in _AFTER.get(type(obj), []):
        hook(access, obj, action, before)


# --- references and organisation -------------------------------------------------------


def _fk_fields(model: type[Model]) -> dict[str, models.ForeignKey[Any, Any]]:
    return {
        f.attname: f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.name != "organisation"
    }


def _is_user_model(model: Any) -> bool:
    return bool(model._meta.label_lower == "auth.user")


def _resolve_references(
    access: Access, model: type[Model], data: Mapping[str, Any]
) -> dict[str, Model | None]:
    """Load each referenced row through the writer's visibility; unknown ids are 422s."""
    from pmo.orgs.models import Membership

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
            if _is_user_model(target) and model is Membership:
                # Who may be made a member: a user the writer can see (one of its
                # organisations' members; anyone for a superuser). Any other user is
                # answered exactly like a missing id, so user ids cannot be probed.
                resolved[field.name] = access.visible_users().get(pk=value)
            elif _is_user_model(target):
                resolved[field.name] = qs.get(pk=value)
            else:
                resolved[field.name] = access.get(qs, value)
        except (NotFound, ObjectDoesNotExist, ValueError, TypeError):
            if _is_user_model(target) and model is not Membership:
                # The same answer as for an existing non-member: user ids are not probed.
                raise ValidationFailed.field(
                    key, f"user {value} is not a member of this organisation"
                ) from None
            raise ValidationFailed.field(
                key, f"{target._meta.verbose_name} {value} does not exist"
            ) from None
    return resolved


def _organisation_of(obj: Model) -> int | None:
    scope = getattr(obj, "scope", None)
    return scope()["organisation"] if scope else None


def _check_same_organisation(access: Access, obj: Model, refs: Mapping[str, Model | None]) -> None:
    from pmo.orgs.models import Membership

    org_id = getattr(obj, "organisation_id", None)
    for name, ref in refs.items():
        if ref is None:
            continue
        if _is_user_model(type(ref)):
            if isinstance(obj, Membership):
                continue
            member = Membership.objects.filter(user_id=ref.pk, organisation_id=int(org_id or 0))
            if not member.exists():
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


def _given_organisation(access: Access, org_given: Any) -> int:
    from pmo.orgs.models import Organisation

    qs = access.visible_organisations()
    try:
        return int(access.get(qs, org_given).pk)
    except NotFound:
        raise ValidationFailed.field(
            "organisation_id", f"{Organisation._meta.verbose_name} {org_given} does not exist"
        ) from None


# --- many-to-many ----------------------------------------------------------------------


def _split_m2m(model: type[Model], data: Mapping[str, Any]) -> tuple[dict[str, Any], dict]:
    m2m_names = {f.name for f in model._meta.many_to_many}
    plain = {k: v for k, v in data.items() if k not in m2m_names}
    m2m = {k: v for k, v in data.items() if k in m2m_names}
    return plain, m2m


def _visible_targets(access: Access, obj: Model, target: type[Model], ids: Iterable[Any]) -> dict:
    org_id = getattr(obj, "organisation_id", None)
    found = access.scoped(target._default_manager.filter(pk__in=list(ids)))
    return {t.pk: t for t in found if _organisation_of(t) == org_id}


def _set_plain_m2m(
    access: Access, obj: Model, name: str, field: Any, values: Iterable[int]
) -> dict[str, list[Any]]:
    target = field.related_model
    ids = sorted(set(values))
    found = _visible_targets(access, obj, target, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed.field(
            name, f"unknown {target._meta.verbose_name} ids: {', '.join(map(str, missing))}"
        )
    manager = getattr(obj, name)
    before = sorted(manager.values_list("pk", flat=True))
    manager.set(list(found.values()))
    return {name: [before, ids]} if before != ids else {}


def _set_through_m2m(
    access: Access, obj: Model, name: str, field: Any, rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """Replace the rows of a custom ``through`` model: ``[{"skill_id": 3, "proficiency": 4}]``."""
    through: type[Model] = field.remote_field.through
    target = field.related_model
    source_fk = field.m2m_field_name()
    target_fk = field.m2m_reverse_field_name()
    key = f"{target_fk}_id"
    extras = [
        f.attname
        for f in through._meta.concrete_fields
        if not f.primary_key and f.name not in {source_fk, target_fk}
    ]
    found = _visible_targets(access, obj, target, [r.get(key) for r in rows])
    errors: list[FieldError] = []
    wanted: dict[Any, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        unknown = sorted(set(row) - {key, *extras})
        for extra in unknown:
            errors.append(FieldError((name, i, extra), "unknown field"))
        tid = row.get(key)
        if tid not in found:
            errors.append(
                FieldError((name, i, key), f"{target._meta.verbose_name} {tid} does not exist")
            )
            continue
        if tid in wanted:
            errors.append(FieldError((name, i, key), "listed twice"))
            continue
        values = {k: row[k] for k in extras if k in row}
        probe = through(**{f"{source_fk}_id": obj.pk, key: tid, **values})
        try:
            probe.full_clean(
                exclude=[source_fk, target_fk], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            errors.extend(_validation_failed(exc, through, (name, i)).errors)
            continue
        wanted[tid] = {k: getattr(probe, k) for k in extras}
    if errors:
        raise ValidationFailed(errors)
    manager = through._default_manager
    existing = {getattr(r, key): r for r in manager.filter(**{source_fk: obj})}
    before = sorted(
        ({key: tid, **{k: getattr(r, k) for k in extras}} for tid, r in existing.items()),
        key=lambda d: d[key],
    )
    manager.filter(**{source_fk: obj}).exclude(**{f"{key}__in": list(wanted)}).delete()
    for tid, values in wanted.items():
        current = existing.get(tid)
        if current is None:
            manager.create(**{f"{source_fk}_id": obj.pk, key: tid, **values})
        elif any(getattr(current, k) != v for k, v in values.items()):
            manager.filter(pk=current.pk).update(**values)
    after = sorted(({key: tid, **values} for tid, values in wanted.items()), key=lambda d: d[key])
    return {name: [jsonable(before), jsonable(after)]} if before != after else {}


def _set_m2m(access: Access, obj: Model, m2m: Mapping[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name, values in m2m.items():
        if values is None:
            continue
        field: Any = obj._meta.get_field(name)
        if field.remote_field.through._meta.auto_created:
            changes.update(_set_plain_m2m(access, obj, name, field, values))
        else:
            changes.update(_set_through_m2m(access, obj, name, field, values))
    if m2m:
        # A prefetched list read before the change must not be shown after it.
        getattr(obj, "_prefetched_objects_cache", {}).clear()
    return changes


# --- the three writes ------------------------------------------------------------------


def _save(obj: Model, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        raise _integrity_conflict(type(obj), exc) from None


@transaction.atomic
def do_create[M: Model](
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
    for name, ref in refs.items():
        setattr(obj, name, ref)
    is_org = model._meta.model_name == "organisation"
    if not is_org:
        derived = _derive_organisation(obj, refs)
        if derived is not None:
            if org_given is not None and str(org_given) != str(derived):
                raise ValidationFailed.field(
                    "organisation_id", "does not match the organisation of the parent"
                )
            obj.organisation_id = derived  # type: ignore[attr-defined]
        elif org_given is not None:
            obj.organisation_id = (  # type: ignore[attr-defined]
                int(org_given) if access.is_superuser else _given_organisation(access, org_given)
            )
        else:
            raise ValidationFailed.field("organisation_id", "required")
        _check_same_organisation(access, obj, refs)
    access.check_write(obj)
    _validate(access, obj, data)
    _save(obj)
    changes = {k: [None, v] for k, v in snapshot(obj).items()}
    changes.update(_set_m2m(access, obj, m2m))
    record(access, AuditEvent.Action.CREATE, obj, changes)
    _run_after(access, obj, AuditEvent.Action.CREATE, {})
    return obj


@contextmanager
def _restored_on_failure(obj: Model) -> Iterator[None]:
    """If the write fails, ``obj`` is left as it was, not holding the refused values."""
    saved = dict(obj.__dict__)
    cache = dict(obj._state.fields_cache)
    try:
        yield
    except BaseException:
        obj.__dict__.clear()
        obj.__dict__.update(saved)
        obj._state.fields_cache = cache
        raise


def do_update[M: Model](access: Access, obj: M, data: Mapping[str, Any], version: int) -> M:
    """Apply ``data`` to ``obj`` if it is still at ``version``; return the updated row.

    On failure nothing is written and ``obj`` keeps the values it had.
    """
    with _restored_on_failure(obj), transaction.atomic():
        return _update(access, obj, data, version)


def _update[M: Model](access: Access, obj: M, data: Mapping[str, Any], version: int) -> M:
    access.check_visible(obj)
    access.check_write(obj)
    plain, m2m = _split_m2m(type(obj), data)
    if "organisation_id" in plain and plain.pop("organisation_id") != getattr(
        obj, "organisation_id", None
    ):
        raise ValidationFailed.field("organisation_id", "a row cannot change organisation")
    before = snapshot(obj)
    refs = _resolve_references(access, type(obj), plain)
    for key, value in plain.items():
        setattr(obj, key, value)
    for name, ref in refs.items():
        setattr(obj, name, ref)
    _check_same_organisation(access, obj, refs)
    access.check_write(obj)  # the new place must be writable too
    _validate(access, obj, data)
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
        raise _integrity_conflict(model, exc) from None
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
    _run_after(access, obj, AuditEvent.Action.UPDATE, before)
    return obj


@transaction.atomic
def do_delete(access: Access, obj: Model, version: int) -> None:
    """Delete ``obj`` if it is still at ``version``.

    The row is locked (``SELECT ... FOR UPDATE``) before its version is compared, so no
    other writer can change it between the comparison and the delete.
    """
    access.check_visible(obj)
    access.check_write(obj)
    model = type(obj)
    label = model._meta.verbose_name
    pk = obj.pk
    locked = model._default_manager.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise NotFound(f"{label} {pk} not found")
    current = getattr(locked, "version", None)
    if current != version:
        raise StaleVersion(
            f"{label} {pk} was changed by someone else since you read it (you had version "
            f"{version}); reload it first",
            current_version=current,
        )
    before = snapshot(locked)
    org_id = _organisation_of(locked)
    cascaded = _cascaded(locked)
    try:
        with transaction.atomic():
            locked.delete()
    except (models.ProtectedError, models.RestrictedError) as exc:
        used_by = sorted({o._meta.verbose_name_plural for o in exc.args[1]})
        raise Conflict(f"{label} {pk} is still used by {', '.join(map(str, used_by))}") from None
    except IntegrityError as exc:
        raise _integrity_conflict(model, exc) from None
    locked.pk = pk
    record(
        access,
        AuditEvent.Action.DELETE,
        locked,
        {k: [v, None] for k, v in before.items()},
        organisation_id=org_id,
    )
    _record_cascaded(access, cascaded, org_id)
    _run_after(access, locked, AuditEvent.Action.DELETE, before)


def _cascaded(obj: Model) -> list[tuple[Model, dict[str, Any]]]:
    """The rows that deleting ``obj`` deletes with it, with their values, so each gets its
    own audit event (a deleted project's tasks do not vanish from the trail)."""
    from django.db import router
    from django.db.models.deletion import Collector

    collector = Collector(using=router.db_for_write(type(obj)))
    try:
        collector.collect([obj])
    except (models.ProtectedError, models.RestrictedError):
        return []  # the delete itself will be refused with a clear message
    rows: list[tuple[Model, dict[str, Any]]] = []
    # rows Django deletes by query without loading them ("fast deletes") are audited too
    groups: list[Iterable[Model]] = [*collector.data.values(), *collector.fast_deletes]
    for instances in groups:
        for instance in instances:
            if instance._meta.label_lower in {"core.auditevent", "core.apitoken"}:
                continue
            if instance is obj or (type(instance) is type(obj) and instance.pk == obj.pk):
                continue
            rows.append((instance, snapshot(instance)))
    return rows


def _record_cascaded(
    access: Access, rows: list[tuple[Model, dict[str, Any]]], org_id: int | None
) -> None:
    user = access.user
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                organisation_id=org_id,
                user_id=user.pk,
                username=user.get_username(),
                action=AuditEvent.Action.DELETE,
                object_type=instance._meta.label_lower,
                object_id=instance.pk,
                object_repr=str(instance)[:200],
                changes={k: [v, None] for k, v in values.items()},
            )
            for instance, values in rows
        ],
        batch_size=1000,
    )
