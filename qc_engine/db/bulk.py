"""Driver-level writes for ingest: rows inserted many at a time (COPY-free executemany on
SQLite, ids reserved from the sequence on PostgreSQL), and telling a concurrent writer's
conflict (retry) from a bug."""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, insert, text


def is_write_conflict(exc: BaseException) -> bool:
    """A concurrent writer got there first: a unique violation, a serialisation failure or
    deadlock (PostgreSQL), or a locked database (SQLite)."""
    import sqlite3

    import psycopg
    from sqlalchemy.exc import DBAPIError

    inner = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(inner, sqlite3.IntegrityError):
        return "UNIQUE" in str(inner)  # not NOT NULL, CHECK or foreign keys: those are bugs
    if isinstance(
        inner,
        (
            psycopg.errors.UniqueViolation,
            psycopg.errors.SerializationFailure,
            psycopg.errors.DeadlockDetected,
        ),
    ):
        return True
    return isinstance(inner, sqlite3.OperationalError) and (
        "locked" in str(inner) or "busy" in str(inner)
    )


def insert_rows(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows: COPY on PostgreSQL (an order of magnitude faster than row-by-row
    INSERTs there), one executemany elsewhere."""
    if not rows:
        return
    if connection.dialect.name == "sqlite":
        executemany_sqlite(connection, table, rows)
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = [c.name for c in table.columns if c.name in rows[0]]
    json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    values = itemgetter(*columns)
    raw = connection.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        write = copy.write_row
        for row in rows:
            record = values(row)
            if json_at:
                record = list(record)
                for i in json_at:
                    record[i] = json.dumps(record[i], ensure_ascii=False) if record[i] else "{}"
            write(record)


def empty_dict_once(processor: Any) -> Any:
    """A JSON column's processor that serialises `{}` (nearly every message's extra) once."""
    empty = processor({})

    def process(value: Any) -> Any:
        return empty if type(value) is dict and not value else processor(value)

    return process


def executemany_sqlite(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """One executemany of plain tuples. Each value goes through its column's own bind
    processor (the UTC conversion and storage format of datetimes, JSON), so what is stored
    is what `insert(table)` stores, without SQLAlchemy's generic per-row parameter
    processing, which was most of an ingest's database time."""
    dialect = connection.dialect
    columns = [c.name for c in table.columns if c.name in rows[0]]
    processed = []
    for i, name in enumerate(columns):
        column_type = table.c[name].type
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None and isinstance(column_type, JSON):
            processor = empty_dict_once(processor)
        if processor is not None:
            processed.append((i, processor))
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    if processed:
        records = []
        for row in rows:
            record = list(values(row))
            for i, processor in processed:
                record[i] = processor(record[i])
            records.append(tuple(record))
    else:
        records = [values(row) for row in rows]
    # our table and column names; the values are bound
    placeholders = ", ".join("?" * len(columns))
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
        records,
    )


def new_ids(connection: Any, table: Any, count: int) -> list[int] | None:
    """PostgreSQL: reserve `count` ids from the table's sequence, so rows can be COPYed
    with their ids known. Elsewhere None (ids come back from INSERT ... RETURNING)."""
    if connection.dialect.name != "postgresql" or count == 0:
        return None
    return list(
        connection.scalars(
            text(  # our table's name; the count is bound
                f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "  # noqa: S608
                "FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
    )
