"""Applying received changes: per-field LWW for reference rows, insert-once for facts.

Each change is applied in its own savepoint inside the caller's transaction, so a
rejected change leaves nothing behind while the others of the batch commit. Foreign keys
are checked up front (they are deferred to commit by the database, where a violation
would fail the whole batch).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, DataError, IntegrityError, connection, models, transaction
from django.utils.translation import gettext as _

from comptoir.core.errors import ComptoirError
from comptoir.core.models import Till
from comptoir.sync import capture, clock, registry, wire
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ConflictLog
from comptoir.sync.protocol import CLOCK_TOLERANCE_MS, Change


class Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Outcome:
    change_id: str
    model: str
    status: str  # applied | duplicate | rejected
    reason: str = ""


@contextmanager
def _collected(origin: str) -> Iterator[None]:
    # One change-log entry per applied aggregate, whatever rows it inserted.
    with capture.collecting() as roots:
        yield
    with capture.applying(origin):
        capture.record(roots)


def _unknown(field: models.ForeignKey[Any, Any], value: Any) -> str:
    target: Any = field.related_model
    return _("%(model)s %(id)s inconnu (référencé par %(field)s).") % {
        "model": target._meta.verbose_name,
        "id": value,
        "field": field.name,
    }


def _foreign_keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]


def _check_foreign_keys(obj: models.Model) -> None:
    for field in _foreign_keys(type(obj)):
        value = getattr(obj, field.attname)
        if value is None:
            continue
        target: Any = field.related_model
        if not target._default_manager.filter(pk=value).exists():
            raise Rejected(_unknown(field, value))


def _authorize(spec: registry.ReferenceSpec, till: Till | None, obj: Any, names: set[str]) -> None:
    if till is not None and spec.authorize is not None and names:
        reason = spec.authorize(till, obj, names)
        if reason:
            raise Rejected(reason)


def _apply_reference(
    change: Change, origin: str, hub_now_ms: int | None, till: Till | None = None
) -> str:
    spec = registry.reference_spec(change["model"])
    if spec is None:
        raise Rejected(_("Modèle non synchronisé : %(model)s.") % {"model": change["model"]})
    fields: dict[str, Any] = change["data"]["fields"]
    clocks: dict[str, str] = change["data"]["clocks"]
    if str(fields.get("id")) != change["row"]:
        raise Rejected(_("Identifiant de ligne incohérent."))
    unknown = (set(fields) - {"id"} | set(clocks)) - set(spec.fields)
    if unknown:
        raise Rejected(_("Champs inconnus : %(f)s.") % {"f": ", ".join(sorted(unknown))})
    try:
        stamps = [Timestamp.decode(c) for c in clocks.values()]
    except (ValueError, AttributeError):
        raise Rejected(_("Horloge illisible.")) from None
    # Clocks are compared in their text form: only the canonical one sorts like the time
    # it encodes (``int`` also reads other digits, signs and spaces, which sort otherwise).
    if any(s.encode() != c for s, c in zip(stamps, clocks.values(), strict=True)):
        raise Rejected(_("Horloge illisible."))
    latest = max(stamps, default=None)
    if hub_now_ms is not None and latest and latest.wall_ms > hub_now_ms + CLOCK_TOLERANCE_MS:
        minutes = (latest.wall_ms - hub_now_ms) // 60_000
        raise Rejected(
            _(
                "L'horloge de ce poste est en avance d'environ %(m)d min sur le serveur : "
                "corrigez l'heure du poste."
            )
            % {"m": minutes}
        )
    model = spec.model
    obj: Any = model._default_manager.select_for_update().filter(pk=change["row"]).first()
    status = "applied"
    if obj is None:
        _authorize(spec, till, None, set(fields) - {"id"})
        obj = wire.build(model, fields, spec.fields)
        obj.sync_clocks = dict(clocks)
        _check_foreign_keys(obj)
        with capture.applying(origin):
            obj.save(force_insert=True)
    else:
        changed: list[str] = []
        for attname, raw in fields.items():
            if attname == "id":
                continue
            remote_clock, local_clock = clocks.get(attname, ""), obj.sync_clocks.get(attname, "")
            new, old = wire.from_wire(model, attname, raw), getattr(obj, attname)
            if remote_clock > local_clock:
                if local_clock and old != new:
                    _conflict(change, attname, kept=(new, remote_clock), lost=(old, local_clock))
                setattr(obj, attname, new)
                obj.sync_clocks[attname] = remote_clock
                changed.append(attname)
            elif remote_clock < local_clock and old != new:
                _conflict(change, attname, kept=(old, local_clock), lost=(new, remote_clock))
        if not changed:
            status = "duplicate"
        else:
            _authorize(spec, till, obj, set(changed))
            _check_foreign_keys(obj)
            names = [model._meta.get_field(a).name for a in changed]
            with capture.applying(origin):
                obj.save(update_fields=[*names, "sync_clocks"])
    if latest:
        clock.observe(latest.encode())
    return status


def _conflict(
    change: Change, attname: str, *, kept: tuple[Any, str], lost: tuple[Any, str]
) -> None:
    ConflictLog.objects.create(
        model=change["model"],
        row_id=change["row"],
        field=attname,
        kept_value=wire.to_wire(kept[0]),
        kept_clock=kept[1],
        lost_value=wire.to_wire(lost[0]),
        lost_clock=lost[1],
    )


Parts = list[tuple[type[models.Model], list[Any]]]


def _parse_fact(change: Change) -> tuple[registry.FactSpec, Any, Parts]:
    """The root and parts of a fact change, built and checked in memory (no query)."""
    spec = registry.fact_spec(change["model"])
    if spec is None or spec.part_only:
        raise Rejected(_("Modèle non synchronisé : %(model)s.") % {"model": change["model"]})
    rows: dict[str, Any] = change["data"]["rows"]
    roots = rows.get(spec.label)
    if (
        not isinstance(roots, list)
        or len(roots) != 1
        or not isinstance(roots[0], dict)
        or str(roots[0].get("id")) != change["row"]
    ):
        raise Rejected(_("Agrégat incomplet : la ligne principale manque."))
    allowed = {spec.label} | {registry.label_of(m) for m, _fk in spec.parts}
    if set(rows) - allowed:
        raise Rejected(
            _("Parties inattendues : %(p)s.") % {"p": ", ".join(sorted(set(rows) - allowed))}
        )
    root = wire.build(spec.model, roots[0], spec.fields)
    if spec.part_of is not None and spec.part_of(root) is not None:
        raise Rejected(_("Cette ligne appartient à un autre document."))
    parts: Parts = []
    root_store = getattr(root, "store_id", None)
    for part_model, fk in spec.parts:
        part_spec = registry.fact_spec(registry.label_of(part_model))
        assert part_spec is not None
        built = []
        raws = rows.get(part_spec.label, [])
        if not isinstance(raws, list):
            raise Rejected(_("Ligne d'agrégat invalide."))
        for n, raw in enumerate(raws):
            if not isinstance(raw, dict):
                raise Rejected(_("Ligne d'agrégat invalide."))
            row = wire.expanded(raw, roots[0], part_spec, fk, n)
            part = wire.build(part_model, row, part_spec.fields)
            if getattr(part, fk) != root.pk:
                raise Rejected(_("Une partie de l'agrégat désigne un autre document."))
            if getattr(part, "store_id", root_store) != root_store:
                # The root's store is what authorisation checks: a part (a sale's stock
                # movement) elsewhere would let a till write another store's stock.
                raise Rejected(_("Une partie de l'agrégat est dans un autre magasin."))
            built.append(part)
        parts.append((part_model, built))
    return spec, root, parts


def _apply_fact(change: Change, origin: str, till: Till | None) -> str:
    spec, root, parts = _parse_fact(change)
    existing = spec.model._default_manager.filter(pk=root.pk).first()
    if existing is not None:
        stored = wire.fact_aggregates(spec.label, [root.pk])[root.pk]["rows"]
        if _normalised(stored) != _normalised(_rebuilt(spec, root, parts)):
            raise Rejected(_("Ce document existe déjà avec un autre contenu : refusé."))
        return "duplicate"
    if till is not None and spec.authorize is not None:
        reason = spec.authorize(till, root)
        if reason:
            raise Rejected(reason)
    _check_foreign_keys(root)
    with capture.applying(origin):
        root.save()  # first, so that the parts' checks find it (a rejection rolls it back)
        for part_model, objs in parts:
            for obj in objs:
                _check_foreign_keys(obj)
            if objs:
                part_model._default_manager.bulk_create(objs)
    if spec.on_apply is not None:
        spec.on_apply(root)
    return "applied"


def _rebuilt(
    spec: registry.FactSpec, root: Any, parts: list[tuple[type[models.Model], list[Any]]]
) -> dict[str, Any]:
    out = {spec.label: [wire.row_to_wire(root, spec.fields)]}
    for part_model, objs in parts:
        part_spec = registry.fact_spec(registry.label_of(part_model))
        assert part_spec is not None
        if objs:
            out[part_spec.label] = [wire.row_to_wire(o, part_spec.fields) for o in objs]
    return out


def _normalised(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {label: sorted(items, key=lambda r: str(r["id"])) for label, items in rows.items()}


def apply_change(
    change: Change, *, origin: str, till: Till | None = None, hub_now_ms: int | None = None
) -> Outcome:
    """Apply one change in a savepoint. ``till`` (hub only) is the pushing node's till."""
    try:
        with transaction.atomic(), _collected(origin):
            if change["kind"] == "reference":
                status = _apply_reference(change, origin, hub_now_ms, till)
            else:
                status = _apply_fact(change, origin, till)
    except Rejected as exc:
        return Outcome(change["id"], change["model"], "rejected", exc.reason)
    except ComptoirError as exc:
        return Outcome(change["id"], change["model"], "rejected", exc.message)
    except (IntegrityError, DataError) as exc:
        return Outcome(
            change["id"],
            change["model"],
            "rejected",
            _("Refusé par la base de données : %(e)s") % {"e": str(exc).splitlines()[0]},
        )
    except DatabaseError:
        raise
    return Outcome(change["id"], change["model"], status)


RETRY_PASSES = 3


def apply_batch(changes: list[Change], **options: Any) -> list[Outcome]:
    """Apply changes, then retry the refused ones while that makes progress.

    Reference rows go first (in order), then the fact aggregates, set-wise
    (:func:`_apply_facts`), so that a document finds the customer or article that came
    with it. A row's current state may point to a row that comes later in the same batch
    (an article moved to a category created after it); once the rest is applied, it fits.
    Results are in the order of ``changes``.
    """
    outcomes: dict[int, Outcome] = {}
    if options.get("till") is None and options.get("hub_now_ms") is None:
        outcomes.update(_insert_new_references(changes, options["origin"]))
    rest = [i for i in range(len(changes)) if i not in outcomes]
    facts = [i for i in rest if changes[i]["kind"] == "fact" and _batchable(changes[i]["model"])]
    batched = set(facts)
    refused = []
    for index in [i for i in rest if i not in batched and changes[i]["kind"] == "reference"]:
        outcomes[index] = apply_change(changes[index], **options)
    outcomes.update(
        _apply_facts(changes, facts, origin=options["origin"], till=options.get("till"))
    )
    for index in [i for i in rest if i not in batched and changes[i]["kind"] != "reference"]:
        outcomes[index] = apply_change(changes[index], **options)
    refused = [i for i in rest if outcomes[i].status == "rejected"]
    pending = rest
    for _pass in range(1, RETRY_PASSES):
        if not refused or len(refused) == len(pending):
            break
        pending, refused = refused, []
        for index in pending:
            outcomes[index] = apply_change(changes[index], **options)
            if outcomes[index].status == "rejected":
                refused.append(index)
    return [outcomes[i] for i in range(len(changes))]


def _batchable(label: str) -> bool:
    """Aggregates whose derived upkeep can run once for a whole batch."""
    spec = registry.fact_spec(label)
    return (
        spec is not None
        and not spec.part_only
        and (spec.on_apply is None or spec.on_apply_many is not None)
    )


@dataclass(eq=False)  # compared and hashed by identity
class _Aggregate:
    index: int
    spec: registry.FactSpec
    root: Any
    parts: Parts

    def objects(self) -> Iterator[Any]:
        yield self.root
        for _model, objs in self.parts:
            yield from objs

    def wire_rows(self) -> dict[str, list[dict[str, Any]]]:
        return _normalised(_rebuilt(self.spec, self.root, self.parts))


def _rejected(change: Change, reason: str) -> Outcome:
    return Outcome(change["id"], change["model"], "rejected", reason)


def _apply_facts(
    changes: list[Change], indexes: list[int], *, origin: str, till: Till | None
) -> dict[int, Outcome]:
    """Apply fact aggregates set-wise, with the outcomes one by one would give.

    Each aggregate is built and checked in memory; ids already here are found with one
    query per model, and compared with what is stored (same content: ``duplicate``;
    other content: refused); foreign keys are checked with one ``IN (...)`` query per
    key. What is left is inserted with one ``bulk_create`` per table, traced with one
    change-log append, and the derived data updated once per table (``on_apply_many``).
    If the database refuses the inserts (a constraint no check foresaw), the batch is
    rolled back to its savepoint and its aggregates go one by one, which says why.
    """
    outcomes: dict[int, Outcome] = {}
    parsed: list[_Aggregate] = []
    for index in indexes:
        change = changes[index]
        try:
            spec, root, parts = _parse_fact(change)
        except Rejected as exc:
            outcomes[index] = _rejected(change, exc.reason)
        except ComptoirError as exc:
            outcomes[index] = _rejected(change, exc.message)
        else:
            parsed.append(_Aggregate(index, spec, root, parts))
    stored = _stored_aggregates(parsed)
    fresh: list[_Aggregate] = []
    twins: list[tuple[_Aggregate, _Aggregate]] = []  # the same root twice in the batch
    first: dict[tuple[str, Any], _Aggregate] = {}
    for agg in parsed:
        change, key = changes[agg.index], (agg.spec.label, agg.root.pk)
        if key in stored or key in first:
            other = stored[key] if key in stored else first[key].wire_rows()
            if other != agg.wire_rows():
                outcomes[agg.index] = _rejected(
                    change, _("Ce document existe déjà avec un autre contenu : refusé.")
                )
            elif key in first:
                twins.append((agg, first[key]))
            else:
                outcomes[agg.index] = Outcome(change["id"], change["model"], "duplicate")
            continue
        if till is not None and agg.spec.authorize is not None:
            reason = agg.spec.authorize(till, agg.root)
            if reason:
                outcomes[agg.index] = _rejected(change, reason)
                continue
        first[key] = agg
        fresh.append(agg)
    for agg, reason in _unresolved(fresh).items():
        outcomes[agg.index] = _rejected(changes[agg.index], reason)
    fresh = [agg for agg in fresh if agg.index not in outcomes]
    if fresh:
        try:
            with transaction.atomic():
                _insert(fresh, origin)
        except (IntegrityError, DataError, ComptoirError):
            for agg in fresh:
                outcomes[agg.index] = apply_change(changes[agg.index], origin=origin, till=till)
        else:
            for agg in fresh:
                outcomes[agg.index] = Outcome(
                    changes[agg.index]["id"], changes[agg.index]["model"], "applied"
                )
    for agg, twin in twins:
        outcome = outcomes[twin.index]
        status = "duplicate" if outcome.status == "applied" else outcome.status
        outcomes[agg.index] = Outcome(
            changes[agg.index]["id"], changes[agg.index]["model"], status, outcome.reason
        )
    return outcomes


def _stored_aggregates(
    parsed: list[_Aggregate],
) -> dict[tuple[str, Any], dict[str, list[dict[str, Any]]]]:
    """The aggregates of the batch already here, as stored (one query per model)."""
    ids: dict[str, set[Any]] = {}
    for agg in parsed:
        ids.setdefault(agg.spec.label, set()).add(agg.root.pk)
    out: dict[tuple[str, Any], dict[str, list[dict[str, Any]]]] = {}
    for label, pks in ids.items():
        spec = registry.fact_spec(label)
        assert spec is not None
        found = [
            pk
            for chunk in _chunks(sorted(pks, key=str))
            for pk in spec.model._default_manager.filter(pk__in=chunk).values_list("pk", flat=True)
        ]
        for chunk in _chunks(found):
            for pk, data in wire.fact_aggregates(label, chunk).items():
                out[(label, pk)] = _normalised(data["rows"])
    return out


def _chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unresolved(fresh: list[_Aggregate]) -> dict[_Aggregate, str]:
    """Aggregates with a foreign key to a row that is neither here nor inserted with them
    (by an aggregate that is itself resolved), with the first such key's reason."""
    born: dict[type[models.Model], dict[Any, _Aggregate]] = {}
    for agg in fresh:
        for obj in agg.objects():
            born.setdefault(type(obj), {})[obj.pk] = agg
    wanted: dict[type[models.Model], set[Any]] = {}
    for agg in fresh:
        for obj in agg.objects():
            for field in _foreign_keys(type(obj)):
                value = getattr(obj, field.attname)
                target: Any = field.related_model
                if value is not None and value not in born.get(target, {}):
                    wanted.setdefault(target, set()).add(value)
    here: dict[type[models.Model], set[Any]] = {}
    for target, values in wanted.items():
        here[target] = {
            pk
            for chunk in _chunks(sorted(values, key=str))
            for pk in target._default_manager.filter(pk__in=chunk).values_list("pk", flat=True)
        }
    refused: dict[_Aggregate, str] = {}
    while True:
        before = len(refused)
        for agg in fresh:
            if agg in refused:
                continue
            for obj in agg.objects():
                reason = _first_unknown(obj, agg, born, here, refused)
                if reason:
                    refused[agg] = reason
                    break
        if len(refused) == before:
            return refused


def _first_unknown(
    obj: Any,
    agg: _Aggregate,
    born: dict[type[models.Model], dict[Any, _Aggregate]],
    here: dict[type[models.Model], set[Any]],
    refused: dict[_Aggregate, str],
) -> str | None:
    for field in _foreign_keys(type(obj)):
        value = getattr(obj, field.attname)
        if value is None:
            continue
        target: Any = field.related_model
        maker = born.get(target, {}).get(value)
        if maker is not None and (maker is agg or maker not in refused):
            continue
        if value not in here.get(target, set()):
            return _unknown(field, value)
    return None


def _insert_rows(model: type[models.Model], objs: list[Any]) -> None:
    """Insert new rows as fast as each database takes them: ``COPY`` on PostgreSQL (one
    stream per table), ``executemany`` of one prepared ``INSERT`` on SQLite. Values are
    prepared by their fields, as ``bulk_create`` does; nothing is captured here."""
    fields = list(model._meta.concrete_fields)
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        db = cursor.db  # the connection itself, not the per-context proxy
        plain = [_as_is(f, db.vendor, db.timezone_name) for f in fields]
        rows = (
            [
                _prepared(f, getattr(obj, f.attname), kinds, db)
                for f, kinds in zip(fields, plain, strict=True)
            ]
            for obj in objs
        )
        if db.vendor == "postgresql":
            copying = cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN")
            with db.wrap_database_errors, copying as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(rows))


def _same(value: Any) -> Any:
    return value


def _hex(value: uuid.UUID) -> str:
    return value.hex


def _utc_text(value: datetime) -> str:
    """An aware instant as Django's SQLite backend stores it (in UTC, no offset)."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


@functools.cache
def _as_is(field: models.Field[Any, Any], vendor: str, zone: str) -> dict[type, wire.Convert]:
    """How to write values of the usual Python types without the field's generic path,
    giving exactly what Django would send (the field's own path for anything else).

    Everywhere: integers of plain integer fields, text of text fields. On PostgreSQL
    (``COPY`` reads their text form) also UUIDs, decimals and aware instants; on SQLite,
    UUIDs as the 32 hex digits Django stores, and aware instants in UTC (the
    connection's ``zone``, unless the settings name another).
    """
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    prep = type(target).get_db_prep_value, type(target).get_prep_value
    if isinstance(target, models.IntegerField) and prep == (
        models.IntegerField.get_db_prep_value,
        models.IntegerField.get_prep_value,
    ):
        return {int: _same}
    if isinstance(target, models.CharField | models.TextField):
        return {str: _same}
    if isinstance(target, models.UUIDField):
        return {uuid.UUID: _same if vendor == "postgresql" else _hex}
    plain_instant = (type(target).get_db_prep_value, type(target).get_prep_value) == (
        models.DateTimeField.get_db_prep_value,
        models.DateTimeField.get_prep_value,
    )
    if vendor == "sqlite" and zone == "UTC" and plain_instant:
        return {datetime: _utc_text}
    if vendor != "postgresql":
        return {}
    if isinstance(target, models.DecimalField):
        return {Decimal: _same}
    if isinstance(target, models.DateTimeField):
        return {datetime: _same}
    return {}


def _prepared(
    field: models.Field[Any, Any], value: Any, kinds: dict[type, wire.Convert], db: Any
) -> Any:
    if value is None:
        return None
    convert = kinds.get(type(value))
    if convert is not None and (type(value) is not datetime or value.tzinfo is not None):
        return convert(value)
    return field.get_db_prep_save(value, db)


def _insert(aggregates: list[_Aggregate], origin: str) -> None:
    """Insert checked aggregates: one ``bulk_create`` per table, one change-log append,
    then the derived data (after the append, which on the hub takes the log lock first,
    in the order every local write takes them)."""
    by_model: dict[type[models.Model], list[Any]] = {}
    for agg in aggregates:
        for obj in agg.objects():
            by_model.setdefault(type(obj), []).append(obj)
    for model, objs in by_model.items():
        _insert_rows(model, objs)  # the trace is one per aggregate, recorded below
    with capture.applying(origin):
        capture.record(
            (
                agg.spec.label,
                agg.root.pk,
                getattr(agg.root, agg.spec.store_attname) if agg.spec.store_attname else None,
            )
            for agg in aggregates
        )
    by_spec: dict[str, list[_Aggregate]] = {}
    for agg in aggregates:
        by_spec.setdefault(agg.spec.label, []).append(agg)
    for group in by_spec.values():
        spec = group[0].spec
        if spec.on_apply_many is not None:
            spec.on_apply_many([(agg.root, dict(agg.parts)) for agg in group])


def _new_reference_rows(
    spec: registry.ReferenceSpec, changes: list[Change], indexes: list[int]
) -> list[tuple[int, Any]]:
    """The rows of ``indexes`` that do not exist here yet and are well-formed, built."""
    rows = [changes[i]["row"] for i in indexes]
    existing = {
        str(pk)
        for pk in spec.model._default_manager.filter(pk__in=rows).values_list("pk", flat=True)
    }
    built: list[tuple[int, Any]] = []
    taken: set[str] = set()
    canonical: set[str] = set()  # clocks seen well-formed (a batch shares a few stamps)
    for index in indexes:
        change = changes[index]
        fields, clocks = change["data"]["fields"], change["data"]["clocks"]
        if change["row"] in existing or change["row"] in taken:
            continue
        try:
            if str(fields.get("id")) != change["row"] or set(clocks) - set(spec.fields):
                continue
            for stamp in set(clocks.values()) - canonical:
                if Timestamp.decode(stamp).encode() != stamp:
                    raise ValueError(stamp)
                canonical.add(stamp)
            obj = wire.build(spec.model, fields, spec.fields)
        except (ComptoirError, ValueError, AttributeError, TypeError):
            continue  # the one-by-one path gives the reason
        obj.sync_clocks = dict(clocks)
        built.append((index, obj))
        taken.add(change["row"])
    return built


def _resolvable(
    built: list[tuple[int, Any]], created: dict[type[models.Model], set[Any]]
) -> list[tuple[int, Any]]:
    """Those rows whose foreign keys all point to rows that exist (or were just made)."""
    if not built:
        return []
    model = type(built[0][1])
    ok = list(built)
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey):
            continue
        target: Any = field.related_model
        values = {getattr(obj, field.attname) for _i, obj in ok} - {None}
        found = set(target._default_manager.filter(pk__in=values).values_list("pk", flat=True))
        found |= created.get(target, set())
        ok = [(i, obj) for i, obj in ok if getattr(obj, field.attname) in found | {None}]
    return ok


def _insert_new_references(changes: list[Change], origin: str) -> dict[int, Outcome]:
    """Rows that a node receives for the first time (a bootstrap), inserted in bulk.

    Only what is plainly new and well-formed takes this path: there is nothing to merge
    and no conflict to log. Everything else, and any batch the database refuses, goes
    through :func:`apply_change` one by one, which says why.
    """
    by_label: dict[str, list[int]] = {}
    for index, change in enumerate(changes):
        if change["kind"] == "reference" and registry.reference_spec(change["model"]):
            by_label.setdefault(change["model"], []).append(index)
    outcomes: dict[int, Outcome] = {}
    created: dict[type[models.Model], set[Any]] = {}
    latest = ""
    for label, indexes in by_label.items():
        spec = registry.reference_spec(label)
        assert spec is not None
        rows = _resolvable(_new_reference_rows(spec, changes, indexes), created)
        if not rows:
            continue
        try:
            with transaction.atomic(), capture.applying(origin):
                _insert_rows(spec.model, [obj for _i, obj in rows])
                capture.record((label, obj.pk, None) for _i, obj in rows)
        except (IntegrityError, DataError):
            continue
        created.setdefault(spec.model, set()).update(obj.pk for _i, obj in rows)
        for index, obj in rows:
            outcomes[index] = Outcome(changes[index]["id"], label, "applied")
            latest = max([latest, *obj.sync_clocks.values()])
    if latest:
        clock.observe(latest)
    return outcomes
