"""Writing thousands of rows at once: an import's tasks, links and audit events, a schedule's
results.

Django's ``bulk_create``/``bulk_update`` build model instances and statements that grow with
the batch; for the 6,260-activity P6 sample they took most of an import's time. Here the rows
are plain lists of values already in the driver's form (``adapters``), written

* on PostgreSQL with ``COPY ... FROM STDIN`` (one round trip for all rows; an update copies
  the new values into a temporary table and applies them with one ``UPDATE ... FROM``);
* elsewhere (SQLite) with one prepared statement run per row (``executemany``), which is
  in-process and fast there.

Nothing here checks or audits: the callers are services that do (see
``pmo.projects.interop_import`` and ``pmo.projects.scheduling``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    JSONField,
    Model,
    TextField,
)

__all__ = ["adapters", "insert_rows", "reserve_ids", "update_rows"]

UTC = dt.UTC
BATCH = 2000
# fewer changed rows than this are updated one statement each (a reschedule after an edit)
COPY_UPDATE_FROM = 200

Adapter = Callable[[Any], Any] | None


def _adapter(f: Field[Any, Any]) -> Adapter:
    """How a value of field ``f`` goes to the driver (None: as it is): what
    ``Field.get_db_prep_save`` does, without its per-value layers of calls."""
    ops = connection.ops
    if isinstance(f, DateTimeField):
        if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
            # the UTC reading as text, as Django's SQLite adapter stores it; remembered, as
            # many rows share a moment (created_at, updated_at)
            seen: dict[dt.datetime, str] = {}

            def as_text(v: dt.datetime | None) -> str | None:
                if v is None:
                    return None
                text = seen.get(v)
                if text is None:
                    text = seen[v] = str(v.astimezone(UTC).replace(tzinfo=None))
                return text

            return as_text
        dated = ops.adapt_datetimefield_value
        return lambda v: None if v is None else dated(v)
    if isinstance(f, DateField):
        day = ops.adapt_datefield_value
        return lambda v: None if v is None else day(v)
    if isinstance(f, JSONField):
        # JSON text: what SQLite stores, and what COPY parses into jsonb on PostgreSQL
        encoder = f.encoder
        return lambda v: json.dumps(v, cls=encoder)
    if isinstance(f, CharField | TextField | IntegerField | BooleanField | ForeignKey):
        return None
    return lambda v: f.get_db_prep_save(v, connection)


def adapters(fields: Sequence[Field[Any, Any]]) -> list[Adapter]:
    return [_adapter(f) for f in fields]


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """``count`` primary keys for new rows of ``model``, so that rows referring to each other
    (a task and its parent) are written in one pass, with no second read of their ids.

    PostgreSQL draws them from the table's sequence (unique whatever else is written
    meanwhile); SQLite takes the next ones after the largest used (its ``AUTOINCREMENT``
    counter included), which is safe because pmo's SQLite transactions take the write lock
    when they begin (``transaction_mode = IMMEDIATE``), so the caller must be in one."""
    if count <= 0:
        return []
    assert model._meta.pk is not None and model._meta.pk.column is not None
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
        assert connection.in_atomic_block, "reserve ids inside the writing transaction"
        cursor.execute(f"SELECT MAX({_qn(column)}) FROM {_qn(table)}")  # noqa: S608
        used = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        counter = cursor.fetchone()
        first = max(int(used), int(counter[0]) if counter else 0) + 1
    return list(range(first, first + count))


def insert_rows(
    model: type[Model], fields: Sequence[Field[Any, Any]], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT ``rows`` (values of ``fields``, adapted) into ``model``'s table."""
    if not rows:
        return
    table = _qn(model._meta.db_table)
    columns = ", ".join(_qn(f.column) for f in fields)  # type: ignore[arg-type]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - model names
        for i in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[i : i + BATCH])


def update_rows(
    model: type[Model], fields: Sequence[Field[Any, Any]], rows: Sequence[Sequence[Any]]
) -> None:
    """UPDATE ``fields`` of the rows of ``model`` whose primary key ends each of ``rows``
    (the other values adapted, in the order of ``fields``)."""
    if not rows:
        return
    table = _qn(model._meta.db_table)
    assert model._meta.pk is not None and model._meta.pk.column is not None
    pk = _qn(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_UPDATE_FROM:
            names = [_qn(f.column) for f in fields]  # type: ignore[arg-type]
            types = [f.db_type(connection) for f in fields]
            spec = ", ".join(f"{n} {t}" for n, t in zip(names, types, strict=True))
            cursor.execute(
                f"CREATE TEMPORARY TABLE pmo_bulk_update (pk bigint, {spec}) ON COMMIT DROP"
            )
            with cursor.cursor.copy(
                f"COPY pmo_bulk_update ({', '.join(names)}, pk) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            sets = ", ".join(f"{n} = u.{n}" for n in names)
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} FROM pmo_bulk_update AS u "  # noqa: S608
                f"WHERE t.{pk} = u.pk"
            )
            cursor.execute("DROP TABLE pmo_bulk_update")
            return
        sets = ", ".join(f"{_qn(f.column)} = %s" for f in fields)  # type: ignore[arg-type]
        sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608 - model names
        for i in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[i : i + BATCH])
