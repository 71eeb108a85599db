"""Export a whole organisation as one JSON document, and import such a document.

The document holds every row of the organisation, section by section (``calendars``,
``tasks``, ``risks``...). Each section lists its rows in primary-key order, and a row
refers to another by its position in the target's section (``"project": 3`` is the fourth
project of the document), to users by username, so the document does not depend on
database ids: export → import into another database → export gives the same document.

Values: decimals as strings with the field's decimal places, dates ISO, datetimes ISO in
UTC, JSON fields as they are. Versions and creation/update times are not exported (an
imported row starts at version 1, created now).

``import_organisation`` validates the whole document first (format, version, keys, types,
references, uniqueness, acyclic outlines and links) and reports every problem with its
JSON path; it then creates everything in one transaction, with one audit event per row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Model

from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.core.services import snapshot
from pmo.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from pmo.finance.models import BudgetLine, CostLine, EvmSnapshot, ExchangeRate, TimesheetEntry
from pmo.governance.models import ChangeRequest, Decision, LessonLearned, StageGate, StatusReport
from pmo.orgs.models import Calendar, CalendarException, Membership, Organisation
from pmo.portfolio.models import Portfolio, Program, StrategicObjective
from pmo.projects.models import Baseline, BaselineTask, Dependency, Project, Task
from pmo.resources.models import (
    Assignment,
    CostRate,
    Resource,
    ResourceSkill,
    Skill,
    TaskSkillRequirement,
)
from pmo.risks.models import Issue, Risk

FORMAT = "pmo.organisation"
FORMAT_VERSION = 1
MAX_ERRORS = 50

Progress = Callable[[str, int, int], None]
Path = tuple[str | int, ...]

_NOT_EXPORTED = {"id", "organisation", "version", "created_at", "updated_at"}
_USER_FIELDS = ("username", "first_name", "last_name", "email")


@dataclass(frozen=True)
class _Field:
    name: str  # the key in the document
    attname: str
    kind: str  # ref, user, str, int, bool, decimal, date, datetime, json
    target: str | None  # the section a ref points into
    nullable: bool
    required: bool
    field: models.Field[Any, Any]


@dataclass(frozen=True)
class _JsonRef:
    """Row ids kept inside a JSON field: ``field`` is a list of objects whose ``id_key``
    holds the id of a ``target`` row; in the document it is ``doc_key``, a position."""

    field: str
    id_key: str
    doc_key: str
    target: str


@dataclass(frozen=True)
class _Section:
    key: str
    model: type[Model]
    org_lookup: str  # the filter to the organisation
    m2m: tuple[str, ...] = ()
    json_refs: tuple[_JsonRef, ...] = ()


# The order is the order of creation: a section only refers to earlier ones (or itself).
SECTIONS: tuple[_Section, ...] = (
    _Section("calendars", Calendar, "organisation"),
    _Section("calendar_exceptions", CalendarException, "organisation"),
    _Section("objectives", StrategicObjective, "organisation"),
    _Section("portfolios", Portfolio, "organisation", ("objectives",)),
    _Section("programs", Program, "organisation", ("objectives",)),
    _Section("projects", Project, "organisation", ("objectives",)),
    _Section("memberships", Membership, "organisation"),
    _Section("tasks", Task, "organisation"),
    _Section("dependencies", Dependency, "organisation"),
    _Section("baselines", Baseline, "organisation"),
    _Section("baseline_tasks", BaselineTask, "baseline__organisation"),
    _Section("skills", Skill, "organisation"),
    _Section("resources", Resource, "organisation"),
    _Section("resource_skills", ResourceSkill, "resource__organisation"),
    _Section("task_skill_requirements", TaskSkillRequirement, "organisation"),
    _Section("cost_rates", CostRate, "organisation"),
    _Section("assignments", Assignment, "organisation"),
    _Section("budget_lines", BudgetLine, "organisation"),
    _Section("cost_lines", CostLine, "organisation"),
    _Section("exchange_rates", ExchangeRate, "organisation"),
    _Section("timesheet_entries", TimesheetEntry, "organisation"),
    _Section(
        "evm_snapshots",
        EvmSnapshot,
        "organisation",
        json_refs=(_JsonRef("tasks", "task_id", "task", "tasks"),),
    ),
    _Section("risks", Risk, "organisation"),
    _Section("issues", Issue, "organisation"),
    _Section("change_requests", ChangeRequest, "organisation"),
    _Section("decisions", Decision, "organisation"),
    _Section("stage_gates", StageGate, "organisation"),
    _Section("status_reports", StatusReport, "organisation"),
    _Section("lessons_learned", LessonLearned, "organisation"),
)
_SECTION_OF: dict[type[Model], str] = {s.model: s.key for s in SECTIONS}

# Organisation rows deliberately left out, by model label, with the reason.
NOT_EXPORTED: dict[str, str] = {
    "core.auditevent": "the audit trail stays with the database it records; an import "
    "records its own events",
    "resources.levellingrun": "levelling proposals are recomputed on demand, and their JSON "
    "holds database ids of tasks (an accepted run's undo data would point at other rows)",
}
_TOP_KEYS = ("format", "version", "organisation", "users", *(s.key for s in SECTIONS))


def _kind(field: models.Field[Any, Any]) -> str:
    if isinstance(field, models.ForeignKey):
        return "ref"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.DecimalField):
        return "decimal"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.IntegerField):
        return "int"
    if isinstance(field, models.FloatField):
        return "float"
    if isinstance(field, models.JSONField):
        return "json"
    if isinstance(field, models.CharField | models.TextField):
        return "str"
    raise TypeError(f"the organisation export has no form for {field!r} yet: add one here")


@cache
def _fields(model: type[Model]) -> tuple[_Field, ...]:
    user_model = get_user_model()
    out = []
    for f in model._meta.concrete_fields:
        if f.name in _NOT_EXPORTED:
            continue
        kind = _kind(f)
        target = None
        if kind == "ref":
            related = f.related_model
            if related is user_model:
                kind = "user"
            else:
                assert isinstance(related, type)
                target = _SECTION_OF[related]
        required = not (f.null or f.has_default() or f.blank)
        out.append(_Field(f.name, f.attname, kind, target, f.null, required, f))
    return tuple(out)


def _m2m_link(model: type[Model], name: str) -> tuple[type[Model], str, str, str]:
    """The through model of ``model.name``, its two id columns and the target section."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.ManyToManyField)
    through = field.remote_field.through
    assert isinstance(through, type)
    target = field.related_model
    assert isinstance(target, type)
    return through, field.m2m_column_name(), field.m2m_reverse_name(), _SECTION_OF[target]


# ---------------------------------------------------------------------------------------
# Export


def _out(value: Any, f: _Field) -> Any:
    if value is None:
        return None
    if f.kind == "decimal":
        places = f.field.decimal_places  # type: ignore[attr-defined]
        return format(Decimal(value).quantize(Decimal(1).scaleb(-places)), "f")
    if f.kind == "datetime":
        return value.astimezone(dt.UTC).isoformat()
    if f.kind == "date":
        return value.isoformat()
    return value


def _json_refs_out(value: Any, ref: _JsonRef, index: Mapping[int, int]) -> Any:
    """Ids inside a JSON list → positions (``None`` for a row that no longer exists)."""
    if not isinstance(value, list):
        return value
    return [
        {
            (ref.doc_key if k == ref.id_key else k): (index.get(v) if k == ref.id_key else v)
            for k, v in element.items()
        }
        if isinstance(element, dict) and ref.id_key in element
        else element
        for element in value
    ]


def _json_refs_in(value: Any, ref: _JsonRef, pks: Sequence[Any]) -> Any:
    """Positions inside a JSON list (validated) → the new rows' ids."""
    if not isinstance(value, list):
        return value
    return [
        {
            (ref.id_key if k == ref.doc_key else k): (
                pks[v] if k == ref.doc_key and v is not None else v
            )
            for k, v in element.items()
        }
        if isinstance(element, dict) and ref.doc_key in element
        else element
        for element in value
    ]


def export_organisation(org: Organisation, *, progress: Progress | None = None) -> dict[str, Any]:
    """The whole organisation as a JSON-able document (see the module docstring)."""
    raw: dict[str, list[tuple[Any, ...]]] = {}
    index: dict[str, dict[int, int]] = {}
    m2m_raw: dict[tuple[str, str], list[tuple[int, int]]] = {}
    total = len(SECTIONS) + 1
    for step, section in enumerate(SECTIONS):
        attnames = [f.attname for f in _fields(section.model)]
        qs = section.model._default_manager.filter(**{section.org_lookup: org}).order_by("pk")
        rows = list(qs.values_list("pk", *attnames))
        raw[section.key] = rows
        index[section.key] = {row[0]: i for i, row in enumerate(rows)}
        for name in section.m2m:
            through, own, other, _ = _m2m_link(section.model, name)
            m2m_raw[(section.key, name)] = list(
                through._default_manager.filter(**{f"{own}__in": list(index[section.key])})
                .order_by(own, other)
                .values_list(own, other)
            )
        if progress:
            progress("Exporting", step + 1, total)

    user_ids: set[int] = set()
    for section in SECTIONS:
        positions = [i + 1 for i, f in enumerate(_fields(section.model)) if f.kind == "user"]
        for row in raw[section.key]:
            user_ids.update(row[p] for p in positions if row[p] is not None)
    org_fields = _fields(Organisation)
    users = list(
        get_user_model()
        ._default_manager.filter(pk__in=user_ids)
        .order_by("username")
        .values_list("pk", *_USER_FIELDS)
    )
    username = {row[0]: row[1] for row in users}

    def convert(key: str, i: int, value: Any, f: _Field) -> Any:
        if value is None:
            return None
        if f.kind == "user":
            return username[value]
        if f.kind == "ref":
            assert f.target is not None
            position = index[f.target].get(value)
            if position is None:
                raise Conflict(
                    f"{key}[{i}].{f.name} refers to a {f.target} row outside organisation "
                    f"{org.code}; the data is inconsistent"
                )
            return position
        return _out(value, f)

    doc: dict[str, Any] = {"format": FORMAT, "version": FORMAT_VERSION}
    doc["organisation"] = {
        f.name: convert("organisation", 0, getattr(org, f.attname), f) for f in org_fields
    }
    doc["users"] = [dict(zip(_USER_FIELDS, row[1:], strict=True)) for row in users]
    for section in SECTIONS:
        fields = _fields(section.model)
        items = []
        for i, row in enumerate(raw[section.key]):
            item = {f.name: convert(section.key, i, row[n + 1], f) for n, f in enumerate(fields)}
            for ref in section.json_refs:
                item[ref.field] = _json_refs_out(item[ref.field], ref, index[ref.target])
            items.append(item)
        for name in section.m2m:
            _, _, _, target = _m2m_link(section.model, name)
            linked: dict[int, list[int]] = defaultdict(list)
            for own_pk, other_pk in m2m_raw[(section.key, name)]:
                linked[index[section.key][own_pk]].append(index[target][other_pk])
            for i, item in enumerate(items):
                item[name] = sorted(linked.get(i, []))
        doc[section.key] = items
    if progress:
        progress("Exporting", total, total)
    return doc


# ---------------------------------------------------------------------------------------
# Validation


class _TooMany(Exception):
    pass


def json_path(path: Sequence[str | int]) -> str:
    """``("tasks", 3, "parent")`` → ``$.tasks[3].parent``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, path: Path, message: str) -> None:
        self.items.append(FieldError(path, message))
        if len(self.items) >= MAX_ERRORS:
            raise _TooMany

    def check(self) -> None:
        if self.items:
            raise _failure(self.items)


def _failure(errors: list[FieldError]) -> ValidationFailed:
    shown = "; ".join(f"{json_path(e.path)}: {e.message}" for e in errors[:10])
    more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
    return ValidationFailed(errors, f"invalid organisation document: {shown}{more}")


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


@dataclass
class _Parsed:
    organisation: dict[str, Any]
    default_calendar: int | None
    users: list[dict[str, str]]
    objects: dict[str, list[Model]]
    refs: dict[str, list[dict[str, Any]]]  # per row: attname → index or username
    m2m: dict[tuple[str, str], list[list[int]]]
    auto_times: dict[str, list[dict[str, dt.datetime]]]


def _parse_value(value: Any, f: _Field, path: Path, errors: _Errors, sizes: Mapping[str, int],
                 usernames: set[str]) -> tuple[bool, Any]:  # fmt: skip
    """(ok, converted value)."""
    if value is None:
        if f.nullable:
            return True, None
        errors.add(path, "must not be null")
        return False, None
    kind = f.kind
    if kind == "ref":
        assert f.target is not None
        if not isinstance(value, int) or isinstance(value, bool):
            errors.add(path, f"expected a position in {f.target} (an integer), got "
                             f"{_type_name(value)}")  # fmt: skip
            return False, None
        if not 0 <= value < sizes[f.target]:
            errors.add(path, f"no {f.target}[{value}]: the document has {sizes[f.target]}")
            return False, None
        return True, value
    if kind == "user":
        if not isinstance(value, str):
            errors.add(path, f"expected a username, got {_type_name(value)}")
            return False, None
        if value not in usernames:
            errors.add(path, f"user {value!r} is not in $.users")
            return False, None
        return True, value
    if kind == "str":
        if not isinstance(value, str):
            errors.add(path, f"expected a string, got {_type_name(value)}")
            return False, None
        return True, value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.add(path, f"expected an integer, got {_type_name(value)}")
            return False, None
        return True, value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.add(path, f"expected a number, got {_type_name(value)}")
            return False, None
        return True, float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            errors.add(path, f"expected true or false, got {_type_name(value)}")
            return False, None
        return True, value
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, str | int):
            errors.add(path, f"expected a decimal as a string, got {_type_name(value)}")
            return False, None
        try:
            number = Decimal(value)
        except InvalidOperation:
            errors.add(path, f"not a decimal number: {value!r}")
            return False, None
        if not number.is_finite():
            errors.add(path, f"not a finite number: {value!r}")
            return False, None
        return True, number
    if kind == "date":
        try:
            if not isinstance(value, str):
                raise TypeError
            return True, dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            errors.add(path, f"expected an ISO date (YYYY-MM-DD), got {value!r}")
            return False, None
    if kind == "datetime":
        try:
            if not isinstance(value, str):
                raise TypeError
            moment = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            errors.add(path, f"expected an ISO date-time, got {value!r}")
            return False, None
        if moment.tzinfo is None:
            errors.add(path, f"the date-time {value!r} has no time zone (use UTC: +00:00)")
            return False, None
        return True, moment.astimezone(dt.UTC)
    return True, value  # json


def _validation_errors(exc: ValidationError, path: Path) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            sub = path if name == "__all__" else (*path, name)
            out.extend((sub, m) for m in messages)
    else:
        out.extend((path, m) for m in exc.messages)
    return out


def _expect_list(doc: Mapping[str, Any], key: str, errors: _Errors) -> list[Any]:
    value = doc.get(key)
    if not isinstance(value, list):
        errors.add((key,), f"expected a list, got {_type_name(value)}")
        return []
    return value


def _parse_rows(
    key: str,
    model: type[Model],
    rows: list[Any],
    errors: _Errors,
    sizes: Mapping[str, int],
    usernames: set[str],
    m2m: Sequence[str] = (),
) -> tuple[list[Model], list[dict[str, Any]], dict[str, list[list[int]]], list[dict[str, Any]]]:
    """Typed model instances (without references), references, m2m lists, raw values."""
    fields = _fields(model)
    known = {f.name for f in fields} | set(m2m)
    fk_names = [f.name for f in model._meta.concrete_fields if f.is_relation]
    auto = {f.name for f in fields if getattr(f.field, "auto_now_add", False)}
    objects: list[Model] = []
    refs: list[dict[str, Any]] = []
    links: dict[str, list[list[int]]] = {name: [] for name in m2m}
    values_out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        path: Path = (key, i)
        if not isinstance(row, dict):
            errors.add(path, f"expected an object, got {_type_name(row)}")
            objects.append(model())
            refs.append({})
            values_out.append({})
            for name in m2m:
                links[name].append([])
            continue
        for name in row:
            if name not in known:
                errors.add((*path, str(name)), "unknown key")
        values: dict[str, Any] = {}
        row_refs: dict[str, Any] = {}
        bad: list[str] = []
        for f in fields:
            if f.name not in row:
                if f.required:
                    errors.add((*path, f.name), "required")
                    bad.append(f.name)
                continue
            ok, value = _parse_value(row[f.name], f, (*path, f.name), errors, sizes, usernames)
            if not ok:
                bad.append(f.name)
                continue
            if f.kind in ("ref", "user"):
                row_refs[f.attname] = value
            else:
                values[f.attname] = value
        for name in m2m:
            _, _, _, target = _m2m_link(model, name)
            value = row.get(name, [])
            ok_list: list[int] = []
            if not isinstance(value, list):
                errors.add((*path, name), f"expected a list of positions in {target}")
            else:
                for n, item in enumerate(value):
                    if (
                        not isinstance(item, int)
                        or isinstance(item, bool)
                        or not 0 <= item < sizes[target]
                    ):
                        errors.add((*path, name, n), f"no {target}[{item!r}]")
                    elif item in ok_list:
                        errors.add((*path, name, n), f"{target}[{item}] is listed twice")
                    else:
                        ok_list.append(item)
            links[name].append(sorted(ok_list))
        obj = model(**values)
        try:
            obj.clean_fields(exclude=[*fk_names, *auto, *bad])
        except ValidationError as exc:
            for sub, message in _validation_errors(exc, path):
                errors.add(sub, message)
        objects.append(obj)
        refs.append(row_refs)
        values_out.append(values)
    return objects, refs, links, values_out


def _check_unique(
    key: str, model: type[Model], values: list[dict[str, Any]], refs: list[dict[str, Any]],
    errors: _Errors,
) -> None:  # fmt: skip
    fields_by_name = {f.name: f for f in model._meta.concrete_fields}
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint) or not constraint.fields:
            continue
        names = [n for n in constraint.fields if n != "organisation"]
        attnames = [fields_by_name[n].attname for n in names]
        seen: dict[tuple[Any, ...], int] = {}
        for i, (vals, rs) in enumerate(zip(values, refs, strict=True)):
            merged = {**vals, **rs}
            if any(a not in merged or merged[a] is None for a in attnames):
                continue
            k = tuple(merged[a] for a in attnames)
            if k in seen:
                errors.add(
                    (key, i, names[-1]),
                    f"duplicate {', '.join(names)}: same as {json_path((key, seen[k]))}",
                )
            else:
                seen[k] = i


def _check_outline(
    key: str, parents: Sequence[int | None], errors: _Errors, groups: Sequence[Any] | None = None
) -> None:
    """Parents form trees (no cycles), within the same group (a task's project)."""
    for i, parent in enumerate(parents):
        if parent is None:
            continue
        if groups is not None and groups[parent] != groups[i]:
            errors.add((key, i, "parent"), f"the parent {key}[{parent}] is in another project")
    state = [0] * len(parents)  # 0 new, 1 on the current path, 2 done
    for start in range(len(parents)):
        node: int | None = start
        path: list[int] = []
        while node is not None and state[node] == 0:
            state[node] = 1
            path.append(node)
            node = parents[node]
        if node is not None and state[node] == 1:
            errors.add((key, node, "parent"), f"{key} parents form a cycle through [{node}]")
        for n in path:
            state[n] = 2


def _check_links_acyclic(
    preds: Sequence[int | None], succs: Sequence[int | None], n_tasks: int, errors: _Errors
) -> None:
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    indegree = [0] * n_tasks
    for i, (p, s) in enumerate(zip(preds, succs, strict=True)):
        if p is None or s is None:
            continue
        if p == s:
            errors.add(("dependencies", i), "a task cannot depend on itself")
            continue
        out[p].append((s, i))
        indegree[s] += 1
    ready = [t for t in range(n_tasks) if indegree[t] == 0]
    seen = 0
    while ready:
        t = ready.pop()
        seen += 1
        for s, _ in out[t]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    if seen < n_tasks:
        in_cycle = next(
            i
            for i, (p, s) in enumerate(zip(preds, succs, strict=True))
            if p is not None and s is not None and indegree[s] > 0 and indegree[p] > 0
        )
        errors.add(
            ("dependencies", in_cycle),
            "the dependencies form a cycle (circular dependency) through this link",
        )


def _parse(doc: Any) -> _Parsed:
    errors = _Errors()
    try:
        if not isinstance(doc, dict):
            errors.add((), f"expected a JSON object, got {_type_name(doc)}")
            errors.check()
        if doc.get("format") != FORMAT:
            errors.add(("format",), f"expected {FORMAT!r}: this is not a pmo organisation")
            errors.check()
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            errors.add(("version",), f"expected an integer, got {_type_name(version)}")
            errors.check()
        if version > FORMAT_VERSION or version < 1:
            errors.add(
                ("version",),
                f"version {version} is not supported (this pmo reads version {FORMAT_VERSION})",
            )
            errors.check()
        for name in doc:
            if name not in _TOP_KEYS:
                errors.add((str(name),), "unknown key")
        for name in _TOP_KEYS[2:]:
            if name not in doc:
                errors.add((name,), "required")
        errors.check()

        # Users
        usernames: set[str] = set()
        users: list[dict[str, str]] = []
        check_username = UnicodeUsernameValidator()
        for i, row in enumerate(_expect_list(doc, "users", errors)):
            if not isinstance(row, dict):
                errors.add(("users", i), f"expected an object, got {_type_name(row)}")
                continue
            for name in row:
                if name not in _USER_FIELDS:
                    errors.add(("users", i, str(name)), "unknown key")
            clean: dict[str, str] = {}
            for name in _USER_FIELDS:
                value = row.get(name, "")
                if not isinstance(value, str):
                    errors.add(("users", i, name), f"expected a string, got {_type_name(value)}")
                    value = ""
                clean[name] = value
            name = clean["username"]
            try:
                if not name or len(name) > 150:
                    raise ValidationError("a username has 1-150 characters")
                check_username(name)
            except ValidationError as exc:
                errors.add(("users", i, "username"), " ".join(exc.messages))
                continue
            if name in usernames:
                errors.add(("users", i, "username"), f"user {name!r} is listed twice")
            usernames.add(name)
            users.append(clean)

        lists = {s.key: _expect_list(doc, s.key, errors) for s in SECTIONS}
        errors.check()
        sizes = {key: len(rows) for key, rows in lists.items()}

        # The organisation
        org_doc = doc.get("organisation")
        org_values: dict[str, Any] = {}
        default_calendar = None
        if not isinstance(org_doc, dict):
            errors.add(("organisation",), f"expected an object, got {_type_name(org_doc)}")
        else:
            objs, org_refs, _, vals = _parse_rows(
                "organisation", Organisation, [org_doc], errors, sizes, usernames
            )
            # Rows of one: report paths as $.organisation.x, not $.organisation[0].x
            errors.items = [
                FieldError(("organisation", *e.path[2:]), e.message)
                if e.path[:2] == ("organisation", 0)
                else e
                for e in errors.items
            ]
            org_values = vals[0]
            default_calendar = org_refs[0].get("default_calendar_id")

        objects: dict[str, list[Model]] = {}
        refs: dict[str, list[dict[str, Any]]] = {}
        m2m: dict[tuple[str, str], list[list[int]]] = {}
        values: dict[str, list[dict[str, Any]]] = {}
        for section in SECTIONS:
            objs, row_refs, links, vals = _parse_rows(
                section.key, section.model, lists[section.key], errors, sizes, usernames,
                section.m2m,
            )  # fmt: skip
            objects[section.key], refs[section.key], values[section.key] = objs, row_refs, vals
            for name, lst in links.items():
                m2m[(section.key, name)] = lst
            _check_unique(section.key, section.model, vals, row_refs, errors)
            for ref in section.json_refs:
                for i, v in enumerate(vals):
                    elements = v.get(ref.field)  # a JSON field: attname == name
                    if not isinstance(elements, list):
                        continue
                    for j, element in enumerate(elements):
                        if not isinstance(element, dict) or ref.doc_key not in element:
                            continue
                        position = element[ref.doc_key]
                        if position is not None and (
                            not isinstance(position, int)
                            or isinstance(position, bool)
                            or not 0 <= position < sizes[ref.target]
                        ):
                            errors.add(
                                (section.key, i, ref.field, j, ref.doc_key),
                                f"no {ref.target}[{position!r}]",
                            )

        task_refs = refs["tasks"]
        _check_outline(
            "tasks",
            [r.get("parent_id") for r in task_refs],
            errors,
            [r.get("project_id") for r in task_refs],
        )
        _check_outline("objectives", [r.get("parent_id") for r in refs["objectives"]], errors)
        dep_refs = refs["dependencies"]
        _check_links_acyclic(
            [r.get("predecessor_id") for r in dep_refs],
            [r.get("successor_id") for r in dep_refs],
            sizes["tasks"],
            errors,
        )
        for i, r in enumerate(refs["baseline_tasks"]):
            b, t = r.get("baseline_id"), r.get("task_id")
            if (
                b is not None
                and t is not None
                and refs["baselines"][b].get("project_id") != task_refs[t].get("project_id")
            ):
                errors.add(
                    ("baseline_tasks", i, "task"), "the task is not in the baseline's project"
                )
        errors.check()
    except _TooMany:
        raise _failure(errors.items) from None
    auto_times = {
        s.key: [
            {
                f.attname: v[f.attname]
                for f in _fields(s.model)
                if getattr(f.field, "auto_now_add", False) and v.get(f.attname) is not None
            }
            for v in values[s.key]
        ]
        for s in SECTIONS
    }
    return _Parsed(org_values, default_calendar, users, objects, refs, m2m, auto_times)


def validate_document(doc: Any) -> None:
    """Raise ``ValidationFailed`` (every problem with its JSON path) if ``doc`` is invalid."""
    _parse(doc)


# ---------------------------------------------------------------------------------------
# Import


def _audit(
    objs: Iterable[Model], org_id: int, user_id: int | None, username: str
) -> list[AuditEvent]:
    return [
        AuditEvent(
            organisation_id=org_id,
            user_id=user_id,
            username=username,
            action=AuditEvent.Action.CREATE,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            object_repr=str(obj)[:200],
            changes={k: [None, v] for k, v in snapshot(obj).items()},
        )
        for obj in objs
    ]


def import_organisation(
    doc: Any, access: Access | None = None, *, progress: Progress | None = None
) -> Organisation:
    """Create the organisation of ``doc`` and everything in it, in one transaction.

    ``access`` is the importing user (who must be a superuser: it creates an organisation),
    or ``None`` for the instance operator (the CLI). Users the document names that do not
    exist are created with unusable passwords (they get a password from an administrator).
    A bad document raises ``ValidationFailed`` naming each problem's JSON path; an
    organisation with the same code raises ``Conflict``. Nothing is written on error.
    """
    if access is not None and not access.is_superuser:
        raise PermissionDenied("only an instance administrator may import an organisation")
    parsed = _parse(doc)
    user_id = access.user.pk if access else None
    audit_name = access.user.get_username() if access else "import"
    total = len(SECTIONS) + 3
    try:
        with transaction.atomic():
            org = _create(parsed, user_id, audit_name, progress, total)
    except IntegrityError as exc:
        raise Conflict(f"the document clashes with existing data: {exc}") from None
    if progress:
        progress("Importing", total, total)
    return org


def _create(
    parsed: _Parsed, user_id: int | None, audit_name: str, progress: Progress | None, total: int
) -> Organisation:
    code = parsed.organisation.get("code")
    if Organisation.objects.filter(code=code).exists():
        raise Conflict(f"an organisation with code {code!r} already exists")
    # Users: existing ones are used as they are; missing ones are created, no password.
    User = get_user_model()
    names = [u["username"] for u in parsed.users]
    existing = {u.username: u for u in User._default_manager.filter(username__in=names)}
    new_users = []
    for u in parsed.users:
        if u["username"] in existing:
            continue
        user = User(**u)
        user.set_unusable_password()
        new_users.append(user)
    User._default_manager.bulk_create(new_users, batch_size=500)
    user_by_name = {u.username: u for u in [*existing.values(), *new_users]}

    org = Organisation(**parsed.organisation)
    org.save()
    events = _audit([org], org.pk, user_id, audit_name)
    events += [
        AuditEvent(
            organisation_id=org.pk,
            user_id=user_id,
            username=audit_name,
            action=AuditEvent.Action.CREATE,
            object_type=u._meta.label_lower,
            object_id=u.pk,
            object_repr=str(u)[:200],
            changes={k: [None, getattr(u, k)] for k in _USER_FIELDS},
        )
        for u in new_users
    ]
    if progress:
        progress("Importing", 2, total)

    # References are set as instances, so that __str__ (for the audit) needs no queries.
    created: dict[str, list[Model]] = {}
    for step, section in enumerate(SECTIONS):
        objs = parsed.objects[section.key]
        has_org = any(f.name == "organisation" for f in section.model._meta.concrete_fields)
        deferred: list[tuple[Model, str, int]] = []
        for i, (obj, row_refs) in enumerate(zip(objs, parsed.refs[section.key], strict=True)):
            if has_org:
                obj.organisation = org  # type: ignore[attr-defined]
            for f in _fields(section.model):
                if f.attname not in row_refs:
                    continue
                value = row_refs[f.attname]
                if value is None:
                    setattr(obj, f.name, None)
                elif f.kind == "user":
                    setattr(obj, f.name, user_by_name[value])
                elif f.target == section.key:
                    deferred.append((obj, f.name, value))
                else:
                    assert f.target is not None
                    setattr(obj, f.name, created[f.target][value])
            for ref in section.json_refs:
                pks = [o.pk for o in created[ref.target]]
                setattr(obj, ref.field, _json_refs_in(getattr(obj, ref.field), ref, pks))
            try:
                obj.clean()
            except ValidationError as exc:
                raise _failure(
                    [FieldError(p, m) for p, m in _validation_errors(exc, (section.key, i))]
                ) from None
        section.model._default_manager.bulk_create(objs, batch_size=500)
        created[section.key] = objs
        if deferred:
            for obj, name, value in deferred:
                setattr(obj, name, objs[value])
            section.model._default_manager.bulk_update(
                [o for o, _, _ in deferred],
                sorted({name for _, name, _ in deferred}),
                batch_size=500,
            )
        for obj, times in zip(objs, parsed.auto_times[section.key], strict=True):
            if times:
                section.model._default_manager.filter(pk=obj.pk).update(**times)
                for attname, value in times.items():
                    setattr(obj, attname, value)
        for name in section.m2m:
            through, own, other, target = _m2m_link(section.model, name)
            through._default_manager.bulk_create(
                [
                    through(**{own: objs[i].pk, other: created[target][t].pk})
                    for i, targets in enumerate(parsed.m2m[(section.key, name)])
                    for t in targets
                ],
                batch_size=500,
            )
        if section.key == "calendars" and parsed.default_calendar is not None:
            org.default_calendar = objs[parsed.default_calendar]  # type: ignore[assignment]
            org.save(update_fields=["default_calendar"])
            events[0].changes["default_calendar_id"] = [None, org.default_calendar_id]
        section_events = _audit(objs, org.pk, user_id, audit_name)
        for name in section.m2m:
            _, _, _, target = _m2m_link(section.model, name)
            lists = parsed.m2m[(section.key, name)]
            for event, targets in zip(section_events, lists, strict=True):
                event.changes[name] = [None, sorted(created[target][t].pk for t in targets)]
        events += section_events
        if progress:
            progress("Importing", step + 3, total)
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return org


# ---------------------------------------------------------------------------------------
# Removal (for operators and tests)


@transaction.atomic
def delete_organisation(org: Organisation) -> None:
    """Delete an organisation and every row in it (projects first: they protect others)."""
    Project.objects.filter(organisation=org).delete()
    Resource.objects.filter(organisation=org).delete()
    Organisation.objects.filter(pk=org.pk).update(default_calendar=None)
    Calendar.objects.filter(organisation=org).delete()
    org.delete()


def document_counts(doc: Mapping[str, Any]) -> dict[str, int]:
    """How many rows each section of a (valid) document holds."""
    return {
        key: len(doc.get(key) or [])
        for key in ("users", *(s.key for s in SECTIONS))
        if isinstance(doc.get(key), list)
    }
