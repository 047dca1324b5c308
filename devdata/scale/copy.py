"""Bulk rows: COPY on PostgreSQL, executemany elsewhere; ids and sequences handled here."""

import datetime
import io
import json

from django.db import connection


class CopyWriter:
    """Rows into one table, flushed in chunks: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, model, chunk=50_000):
        self.table = model._meta.db_table
        self.columns = [f.column for f in model._meta.concrete_fields]
        self.rows = []
        self.chunk = chunk
        self.total = 0

    def add(self, row):
        self.rows.append(row)
        if len(self.rows) >= self.chunk:
            self.flush()

    def flush(self):
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                buffer = io.StringIO()
                for row in self.rows:
                    buffer.write("\t".join(_copy_value(value) for value in row))
                    buffer.write("\n")
                buffer.seek(0)
                cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", buffer)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})",  # nosec B608 # table and column names from the models
                    [[_db_value(value) for value in row] for row in self.rows],
                )
        self.total += len(self.rows)
        self.rows = []


def _copy_value(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _db_value(value):
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime.datetime):
        # SQLite keeps Django's datetimes as naive UTC text; sorting depends on the same form.
        return value.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


def _next_id(model):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # nosec B608 # table name from the model
        return cursor.fetchone()[0] + 1


def _reset_sequences(models):
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"  # nosec B608 # table name from the model
            )
