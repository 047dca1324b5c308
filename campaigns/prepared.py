"""Querysets compiled once per process and run again with other values.

Building a query's SQL through the ORM costs more CPU than PostgreSQL spends answering it
(on the 2-core bench machine about 0.8 ms to compile a locked one-row read of a ticket,
against 0.1 ms to run it), and every act on a ticket runs the same few lookups. A
`PreparedQuery` compiles its queryset the first time, with marker values in place of the
caller's, remembers where each marker landed among the SQL parameters, and from then on
runs the same SQL with the caller's values there. Rows become model instances through the
converters the ORM itself would apply, so SQLite and PostgreSQL read alike.

Only plain querysets of one model are supported (filters, annotations, select_for_update,
slicing); no select_related, no values().
"""

import itertools
import threading

from django.db import connections, router

_MARKERS = itertools.count(10**12)


class PreparedQuery:
    def __init__(self, model, build, *, lists=()):
        """`build(**values)` returns the queryset; keyword names in `lists` take sequences
        (each length compiles once)."""
        self.model = model
        self.build = build
        self.lists = frozenset(lists)
        # Per thread: a compiler holds the connection it was made with (each thread has its own).
        self._local = threading.local()

    def _compile(self, alias, shape):
        # Each caller value is stood for by a number no row has; a field's own preparation may
        # turn it into text (a CharField's lookup), so it is found again by its digits.
        slot_of, arguments = {}, {}
        for name, length in shape:
            if length is None:
                arguments[name] = -next(_MARKERS)
                slot_of[str(arguments[name])] = (name, None)
            else:
                arguments[name] = [-next(_MARKERS) for _ in range(length)]
                slot_of.update({str(value): (name, index) for index, value in enumerate(arguments[name])})
        queryset = self.build(**arguments).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = [slot_of.get(str(param), (None, param)) for param in params]
        if sum(1 for name, _ in slots if name is not None) != len(slot_of):
            raise ValueError("every value must reach the SQL parameters exactly once")
        klass_info = compiler.klass_info
        if klass_info.get("related_klass_infos"):
            raise ValueError("select_related is not supported")
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        select = compiler.select
        names = [column[0].target.attname for column in select[start:end]]
        annotations = list(compiler.annotation_col_map.items())
        converters = compiler.get_converters([column[0] for column in select])
        return sql, slots, compiler, converters, start, end, names, annotations

    def all(self, **values):
        alias = router.db_for_read(self.model)
        shape = tuple(sorted((name, len(value) if name in self.lists else None) for name, value in values.items()))
        key = (alias, shape)
        kept = self._local.__dict__.setdefault("compiled", {})
        compiled = kept.get(key)
        if compiled is None:
            compiled = kept[key] = self._compile(alias, shape)
        sql, slots, compiler, converters, start, end, names, annotations = compiled
        params = []
        for name, where in slots:
            if name is None:
                params.append(where)  # a constant of the queryset itself
            else:
                params.append(values[name] if where is None else values[name][where])
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        found = []
        for row in rows:
            instance = self.model.from_db(alias, names, row[start:end])
            for attribute, position in annotations:
                setattr(instance, attribute, row[position])
            found.append(instance)
        return found

    def first(self, **values):
        found = self.all(**values)
        return found[0] if found else None


# --- rows written with SQL composed once ------------------------------------------------------
#
# Model.save() composes its INSERT or UPDATE afresh every time; an act writes the same few
# rows every time. These write one instance with a statement composed once per model, each
# value prepared by its field as save() would (auto_now, JSON, datetimes). Models with save
# signal receivers keep save(); so must callers of models whose save() does work of its own.

_STATEMENTS = {}


def _writable(model):
    from django.db.models.signals import post_save, pre_save

    return not (pre_save.has_listeners(model) or post_save.has_listeners(model))


def _insert_fields(model):
    fields = [f for f in model._meta.local_concrete_fields if not f.generated and f is not model._meta.auto_field]
    if any(hasattr(f, "get_placeholder") for f in fields):
        raise ValueError(f"{model.__name__}: a field with its own placeholder needs save()")
    return fields


def _insert_into(model, fields, connection):
    qn = connection.ops.quote_name
    return f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"  # nosec B608 # names from the model


def _prepared_values(row, fields, connection, skip=None):
    return [f.get_db_prep_save(f.pre_save(row, True), connection=connection) for f in fields if f is not skip]


def _saved(row, pk, alias):
    row.pk = pk
    row._state.adding = False
    row._state.db = alias


def prepared_insert(instance):
    """INSERT `instance` (its pk unset) and set its pk; the caller has done what save() would."""
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    if not _writable(model):
        instance.save(using=alias)
        return instance
    connection = connections[alias]
    fields = _insert_fields(model)
    returning = connection.features.can_return_columns_from_insert
    key = ("insert", model, alias)
    sql = _STATEMENTS.get(key)
    if sql is None:
        sql = f"{_insert_into(model, fields, connection)} VALUES ({', '.join(['%s'] * len(fields))})"  # nosec B608
        if returning:
            sql += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
        _STATEMENTS[key] = sql
    with connection.cursor() as cursor:
        cursor.execute(sql, _prepared_values(instance, fields, connection))
        if returning:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    _saved(instance, pk, alias)
    return instance


def prepared_insert_with(instance, follower, link):
    """INSERT `instance`, then `follower` with its field `link` set to the new row's id: one
    statement on PostgreSQL (a data-modifying WITH), two elsewhere. Sets both pks."""
    model, follower_model = type(instance), type(follower)
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    link_field = follower_model._meta.get_field(link)
    if connection.vendor != "postgresql" or not (_writable(model) and _writable(follower_model)):
        prepared_insert(instance)
        setattr(follower, link_field.attname, instance.pk)
        prepared_insert(follower)
        return instance
    first, second = _insert_fields(model), _insert_fields(follower_model)
    key = ("insert-with", model, follower_model, link, alias)
    sql = _STATEMENTS.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        values = ", ".join("made.id" if f is link_field else "%s" for f in second)
        sql = _STATEMENTS[key] = (
            f"WITH made AS ({_insert_into(model, first, connection)} "  # nosec B608 # names from the models
            f"VALUES ({', '.join(['%s'] * len(first))}) RETURNING {qn(model._meta.pk.column)} AS id) "
            f"{_insert_into(follower_model, second, connection)} "
            f"SELECT {values} FROM made RETURNING {qn(link_field.column)}, {qn(follower_model._meta.pk.column)}"
        )
    params = _prepared_values(instance, first, connection)
    params += _prepared_values(follower, second, connection, skip=link_field)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        instance_pk, follower_pk = cursor.fetchone()
    _saved(instance, instance_pk, alias)
    _saved(follower, follower_pk, alias)
    setattr(follower, link_field.attname, instance_pk)
    return instance


def prepared_update(instance, update_fields):
    """UPDATE these fields of `instance` by its pk, as save(update_fields=…) would."""
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    if not _writable(model):
        instance.save(using=alias, update_fields=update_fields)
        return
    connection = connections[alias]
    fields = [model._meta.get_field(name) for name in update_fields]
    key = ("update", model, alias, tuple(update_fields))
    sql = _STATEMENTS.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        sql = _STATEMENTS[key] = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {qn(model._meta.pk.column)} = %s"  # nosec B608 # names from the model
    params = [f.get_db_prep_save(f.pre_save(instance, False), connection=connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, instance.pk])
        if cursor.rowcount != 1:
            raise model.DoesNotExist(f"{model.__name__} {instance.pk}: no row to update")
