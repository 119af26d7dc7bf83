"""Fact aggregates (invoices with their parts, credit notes, movements, counts): inserted
once and whole, set-wise for a batch, compared with what is stored when they come again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import DataError, IntegrityError, models, transaction
from django.utils.translation import gettext as _

from comptoir.journal.arrival import relayed_intact, relayed_record, signature_problem
from comptoir.lib.errors import ComptoirError
from comptoir.stores.models import Store, Till
from comptoir.sync import capture, registry, wire
from comptoir.sync.inserts import insert_rows
from comptoir.syncengine import refill
from comptoir.syncengine.apply.base import (
    Outcome,
    Parts,
    Rejected,
    check_foreign_keys,
    chunks,
    foreign_keys,
    rejected,
    unknown_target,
)
from comptoir.syncengine.protocol import Change, FactChange


def _parse_fact(
    change: FactChange, build: Callable[..., Any] = wire.build
) -> tuple[registry.FactSpec, Any, Parts]:
    """The root and parts of a fact change, built and checked in memory (no query): model
    instances, or what ``build`` makes of each row (``wire.build_record``)."""
    spec = registry.fact_spec(change.model)
    if spec is None or spec.part_only:
        raise Rejected(_("Modèle non synchronisé : %(model)s.") % {"model": change.model})
    rows = change.data.rows
    roots = rows.get(spec.label, [])
    if len(roots) != 1 or str(roots[0].get("id")) != change.row:
        raise Rejected(_("Agrégat incomplet : la ligne principale manque."))
    allowed = {spec.label} | {registry.label_of(m) for m, _fk in spec.parts}
    if set(rows) - allowed:
        raise Rejected(
            _("Parties inattendues : %(p)s.") % {"p": ", ".join(sorted(set(rows) - allowed))}
        )
    root = build(spec.model, roots[0], spec.fields)
    if spec.part_of is not None and spec.part_of(root) is not None:
        raise Rejected(_("Cette ligne appartient à un autre document."))
    parts: Parts = []
    root_store = getattr(root, "store_id", None)
    for part_model, fk in spec.parts:
        part_spec = registry.fact_spec(registry.label_of(part_model))
        assert part_spec is not None
        built = []
        for n, raw in enumerate(rows.get(part_spec.label, [])):
            row = wire.expanded(raw, roots[0], root.pk, part_spec, fk, n)
            part = build(part_model, row, part_spec.fields)
            if getattr(part, fk) != root.pk:
                raise Rejected(_("Une partie de l'agrégat désigne un autre document."))
            if getattr(part, "store_id", root_store) != root_store:
                # The root's store is what authorisation checks: a part (a sale's stock
                # movement) elsewhere would let a till write another store's stock.
                raise Rejected(_("Une partie de l'agrégat est dans un autre magasin."))
            built.append(part)
        parts.append((part_model, built))
    return spec, root, parts


def apply_fact(change: FactChange, origin: str, till: Till | None) -> str:
    spec, root, parts = _parse_fact(change)
    existing = spec.model._default_manager.filter(pk=root.pk).first()
    if existing is not None:
        stored = wire.fact_aggregates(spec.label, [root.pk])[root.pk]["rows"]
        incoming = _normalised(_rebuilt(spec, root, parts))
        if _normalised(stored) != incoming:
            if till is None and refill.fill(stored, incoming, origin):
                return "applied"  # completed after an upgrade (``refill``)
            raise Rejected(_("Ce document existe déjà avec un autre contenu : refusé."))
        return "duplicate"
    relayed = False
    if till is not None and spec.authorize is not None:
        reason = spec.authorize(till, root)
        if reason:
            # Another post's record, sent back by a till to a hub restored from an older
            # backup: taken if signed by that post and unaltered (checked once stored).
            relayed = relayed_record(spec.label, root, till)
            if not relayed:
                raise Rejected(reason)
    if till is not None:
        reason = signature_problem(spec.label, root, till)  # the fiscal journal's check
        if reason:
            raise Rejected(reason)
    check_foreign_keys(root)
    with capture.applying(origin):
        root.save()  # first, so that the parts' checks find it (a rejection rolls it back)
        for part_model, objs in parts:
            for obj in objs:
                check_foreign_keys(obj)
            if objs:
                part_model._default_manager.bulk_create(objs)
    if relayed and not relayed_intact(spec.label, root.pk):
        raise Rejected(_("Enregistrement relayé d'un autre poste altéré : refusé."))
    if spec.on_apply_many is not None:
        spec.on_apply_many([(root, dict(parts))])
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


def batchable(label: str) -> bool:
    """Aggregates whose derived upkeep can run once for a whole batch."""
    spec = registry.fact_spec(label)
    return spec is not None and not spec.part_only and spec.batchable


@dataclass(eq=False)  # compared and hashed by identity
class _Aggregate:
    index: int
    spec: registry.FactSpec
    root: Any
    parts: Parts

    def objects(self) -> Iterator[tuple[type[models.Model], Any]]:
        yield self.spec.model, self.root
        for model, objs in self.parts:
            for obj in objs:
                yield model, obj

    def wire_rows(self) -> dict[str, list[dict[str, Any]]]:
        return _normalised(_rebuilt(self.spec, self.root, self.parts))


def apply_facts(
    changes: list[Change],
    indexes: list[int],
    *,
    origin: str,
    till: Till | None,
    one_by_one: Callable[..., Outcome],
) -> dict[int, Outcome]:
    """Apply fact aggregates set-wise, with the outcomes one by one would give.

    Each aggregate is built and checked in memory; ids already here are found with one
    query per model, and compared with what is stored (same content: ``duplicate``;
    other content: refused); foreign keys are checked with one ``IN (...)`` query per
    key. What is left is inserted with one ``bulk_create`` per table, traced with one
    change-log append, and the derived data updated once per table (``on_apply_many``).
    If the database refuses the inserts (a constraint no check foresaw), the batch is
    rolled back to its savepoint and its aggregates go ``one_by_one`` (``apply_change``),
    which says why.
    """
    outcomes: dict[int, Outcome] = {}
    parsed: list[_Aggregate] = []
    for index in indexes:
        change = changes[index]
        try:
            if not isinstance(change, FactChange):
                raise Rejected(_("Modèle non synchronisé : %(model)s.") % {"model": change.model})
            spec, root, parts = _parse_fact(change, wire.build_record)
        except Rejected as exc:
            outcomes[index] = rejected(change, exc.reason)
        except ComptoirError as exc:
            outcomes[index] = rejected(change, exc.message)
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
            if (
                other != agg.wire_rows()
                and key in stored
                and till is None
                and refill.fill(other, agg.wire_rows(), origin)
            ):
                # Completed after an upgrade (``refill``): the values it could not hold.
                outcomes[agg.index] = Outcome(change.id, change.model, "applied")
            elif other != agg.wire_rows():
                outcomes[agg.index] = rejected(
                    change, _("Ce document existe déjà avec un autre contenu : refusé.")
                )
            elif key in first:
                twins.append((agg, first[key]))
            else:
                outcomes[agg.index] = Outcome(change.id, change.model, "duplicate")
            continue
        if till is not None and agg.spec.authorize is not None:
            reason = agg.spec.authorize(till, agg.root)
            if reason and relayed_record(agg.spec.label, agg.root, till):
                # Another post's record, relayed: one by one, checked once stored.
                outcomes[agg.index] = one_by_one(change, origin=origin, till=till)
                continue
            if reason:
                outcomes[agg.index] = rejected(change, reason)
                continue
        if till is not None:
            reason = signature_problem(agg.spec.label, agg.root, till)  # the fiscal journal's
            if reason:
                outcomes[agg.index] = rejected(change, reason)
                continue
        first[key] = agg
        fresh.append(agg)
    for agg, reason in _unresolved(fresh, till).items():
        outcomes[agg.index] = rejected(changes[agg.index], reason)
    fresh = [agg for agg in fresh if agg.index not in outcomes]
    if fresh:
        try:
            with transaction.atomic():
                _insert(fresh, origin)
        except (IntegrityError, DataError, ComptoirError):
            for agg in fresh:
                outcomes[agg.index] = one_by_one(changes[agg.index], origin=origin, till=till)
        else:
            for agg in fresh:
                outcomes[agg.index] = Outcome(
                    changes[agg.index].id, changes[agg.index].model, "applied"
                )
    for agg, twin in twins:
        outcome = outcomes[twin.index]
        status = "duplicate" if outcome.status == "applied" else outcome.status
        outcomes[agg.index] = Outcome(
            changes[agg.index].id, changes[agg.index].model, status, outcome.reason
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
            for chunk in chunks(sorted(pks, key=str))
            for pk in spec.model._default_manager.filter(pk__in=chunk)
            .order_by()
            .values_list("pk", flat=True)
        ]
        for chunk in chunks(found):
            for pk, data in wire.fact_aggregates(label, chunk).items():
                out[(label, pk)] = _normalised(data["rows"])
    return out


def _unresolved(fresh: list[_Aggregate], till: Till | None = None) -> dict[_Aggregate, str]:
    """Aggregates with a foreign key to a row that is neither here nor inserted with them
    (by an aggregate that is itself resolved), with the first such key's reason.

    ``till``: the pushing post, read in this transaction: it and its store are here
    without asking (every sale of a till names both)."""
    born: dict[type[models.Model], dict[Any, _Aggregate]] = {}
    for agg in fresh:
        for model, obj in agg.objects():
            born.setdefault(model, {})[obj.pk] = agg
    wanted: dict[type[models.Model], set[Any]] = {}
    for agg in fresh:
        for model, obj in agg.objects():
            for field in foreign_keys(model):
                value = getattr(obj, field.attname)
                target: Any = field.related_model
                if value is not None and value not in born.get(target, {}):
                    wanted.setdefault(target, set()).add(value)
    here: dict[type[models.Model], set[Any]] = {}
    if till is not None:
        here[Till] = {till.pk}
        here[Store] = {till.store_id}
    for target, values in wanted.items():
        values -= here.get(target, set())
        here.setdefault(target, set()).update(
            pk
            for chunk in chunks(sorted(values, key=str))
            # (unordered: a model's default order would join and sort for nothing)
            for pk in target._default_manager.filter(pk__in=chunk)
            .order_by()
            .values_list("pk", flat=True)
        )
    refused: dict[_Aggregate, str] = {}
    while True:
        before = len(refused)
        for agg in fresh:
            if agg in refused:
                continue
            for model, obj in agg.objects():
                reason = _first_unknown(model, obj, agg, born, here, refused)
                if reason:
                    refused[agg] = reason
                    break
        if len(refused) == before:
            return refused


def _first_unknown(
    model: type[models.Model],
    obj: Any,
    agg: _Aggregate,
    born: dict[type[models.Model], dict[Any, _Aggregate]],
    here: dict[type[models.Model], set[Any]],
    refused: dict[_Aggregate, str],
) -> str | None:
    for field in foreign_keys(model):
        value = getattr(obj, field.attname)
        if value is None:
            continue
        target: Any = field.related_model
        maker = born.get(target, {}).get(value)
        if maker is not None and (maker is agg or maker not in refused):
            continue
        if value not in here.get(target, set()):
            return unknown_target(field, value)
    return None


def _insert(aggregates: list[_Aggregate], origin: str) -> None:
    """Insert checked aggregates: one ``bulk_create`` per table, one change-log append,
    then the derived data (after the append, which on the hub takes the log lock first,
    in the order every local write takes them)."""
    by_model: dict[type[models.Model], list[Any]] = {}
    for agg in aggregates:
        for model, obj in agg.objects():
            by_model.setdefault(model, []).append(obj)
    for model, objs in by_model.items():
        insert_rows(model, objs)  # the trace is one per aggregate, recorded below
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
