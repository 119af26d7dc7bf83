"""What must hold once the faults stop and everybody has synced (issue 5).

Each check returns a list of human-readable problems (empty: it holds), so that a
failing example says everything that went wrong at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from comptoir.sales.models import CreditNote, Invoice
from comptoir.stats.services import stats_rebuild
from comptoir.stock.models import InventoryCount, StockLevel, StockMovement
from comptoir.stock.services import stock_rebuild
from comptoir.stores.models import SeriesCounter, Store, Till
from comptoir.sync import wire
from comptoir.sync.models import ConflictLog, OutboxEntry, PullFailure
from comptoir.syncengine import digest
from tests.factories import stats_snapshot, stock_snapshot
from tests.sim.world import HUB, World, store_of


@dataclass(frozen=True)
class Document:
    """A validated invoice or credit note, as the service that made it returned it."""

    kind: str  # invoice | credit
    id: UUID
    number: str
    store: str
    side: str


@dataclass(frozen=True)
class Edit:
    """A reference field edited on a side: the value it wrote and the value it saw."""

    model: str
    row: UUID
    field: str
    value: Any  # wire form, unique per edit (names, prices...): it identifies the edit
    seen: Any  # wire form of the value this side held before the edit
    side: str


def _store_id(world: World, name: str) -> UUID:
    with world.on(HUB):
        return Store.objects.get(name=name).pk


def converged(world: World, sides: list[str]) -> list[str]:
    """Nothing left to send or to retry anywhere."""
    problems = []
    for name in sides:
        with world.on(name):
            for model, reason in OutboxEntry.objects.exclude(rejected_at=None).values_list(
                "model", "rejected_reason"
            ):
                problems.append(
                    f"{name}: changement refusé resté dans l'outbox ({model}) : {reason}"
                )
            left = OutboxEntry.objects.filter(rejected_at=None).count()
            if left:
                problems.append(f"{name}: {left} changements jamais envoyés")
            for model, reason in PullFailure.objects.values_list("model", "reason"):
                problems.append(f"{name}: changement reçu jamais appliqué ({model}) : {reason}")
    return problems


def digests_equal(world: World, nodes: list[str]) -> list[str]:
    """Every node holds, for its store, the same rows as the hub (what ``verify`` compares)."""
    problems = []
    hubs: dict[str, dict[str, dict[str, str]]] = {}
    for name in nodes:
        store = _store_id(world, store_of(name))
        if store_of(name) not in hubs:
            with world.on(HUB):
                hubs[store_of(name)] = {
                    label: digest.row_hashes(label, store) for label in digest.compared_labels()
                }
        hub = hubs[store_of(name)]
        with world.on(name):
            mine = {label: digest.row_hashes(label, store) for label in digest.compared_labels()}
        for label in hub:
            diff = digest.differences(mine[label], hub[label])
            if any(diff.values()):
                problems.append(f"{name} ≠ hub pour {label} : {diff}")
    return problems


def documents_once(world: World, nodes: list[str], documents: list[Document]) -> list[str]:
    """Every validated document exists exactly once on every side that should hold it."""
    problems = []
    for name in [HUB, *nodes]:
        expected = {
            (d.kind, d.id, d.number) for d in documents if name == HUB or d.store == store_of(name)
        }
        with world.on(name):
            held = [("invoice", i, n) for i, n in Invoice.objects.values_list("id", "number")]
            held += [("credit", i, n) for i, n in CreditNote.objects.values_list("id", "number")]
        if len(held) != len(set(held)):
            problems.append(f"{name}: documents en double")
        if set(held) != expected:
            missing = sorted(n for _k, _i, n in expected - set(held))
            extra = sorted(n for _k, _i, n in set(held) - expected)
            problems.append(f"{name}: documents manquants {missing}, en trop {extra}")
        numbers = [n for _k, _i, n in held]
        if len(numbers) != len(set(numbers)):
            problems.append(f"{name}: deux documents portent le même numéro")
    return problems


def series_continuous(world: World, nodes: list[str]) -> list[str]:
    """On the hub, each till's series runs 1..n without gap, and its chain has no fork nor
    hole; each till's own counter stops at n."""
    problems = []
    with world.on(HUB):
        tills = {t.pk: t for t in Till.objects.all()}
        docs: dict[tuple[UUID, str, int], list[int]] = defaultdict(list)
        chain: dict[UUID, list[tuple[str, str, str]]] = defaultdict(list)
        for kind, model in (("invoice", Invoice), ("credit", CreditNote)):
            for till, year, seq, number, prev, this in model.objects.values_list(
                "till_id", "year", "sequence", "number", "previous_hash", "chain_hash"
            ):
                docs[(till, kind, year)].append(seq)
                chain[till].append((number, prev, this))
    for (till, kind, year), seqs in docs.items():
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            problems.append(f"série {tills[till].prefix} {kind} {year} : {sorted(seqs)}")
    for till, links in chain.items():
        by_prev: dict[str, list[str]] = defaultdict(list)
        for number, prev, _this in links:
            by_prev[prev].append(number)
        forks = {p: n for p, n in by_prev.items() if len(n) > 1}
        if forks:
            problems.append(f"chaîne {tills[till].prefix} fourchue : {forks}")
        hashes = {this for _n, _p, this in links} | {""}
        holes = [n for n, prev, _t in links if prev not in hashes]
        if holes:
            problems.append(f"chaîne {tills[till].prefix} trouée avant {holes}")
    for name in [HUB, *nodes]:
        with world.on(name):
            side = world.sides[name]
            # The heads of the fiscal journal's chains ("j:...") count records, not documents.
            series = SeriesCounter.objects.exclude(kind="chain").exclude(kind__startswith="j:")
            for till, kind, year, last in series.values_list(
                "till_id", "kind", "year", "last_number"
            ):
                held = len(docs.get((till, kind, year), []))
                if last != held:
                    problems.append(
                        f"{name} ({side.node_id}): compteur {kind} {year} à {last}, "
                        f"{held} documents au serveur"
                    )
    return problems


def _stock_by_definition() -> dict[tuple[UUID, UUID], Decimal]:
    latest: dict[tuple[UUID, UUID], tuple[datetime, str, Decimal]] = {}
    for article, store, at, pk, qty in InventoryCount.objects.values_list(
        "article_id", "store_id", "counted_at", "id", "quantity"
    ):
        key = (article, store)
        if key not in latest or (at, str(pk)) > latest[key][:2]:
            latest[key] = (at, str(pk), qty)
    levels: dict[tuple[UUID, UUID], Decimal] = {k: v[2] for k, v in latest.items()}
    for article, store, at, qty in StockMovement.objects.values_list(
        "article_id", "store_id", "occurred_at", "quantity"
    ):
        key = (article, store)
        if key not in latest or at > latest[key][0]:
            levels[key] = levels.get(key, Decimal(0)) + qty
    return levels


def derived_rebuild(world: World, sides: list[str]) -> list[str]:
    """Stock equals its definition from the facts; stock and statistics equal their rebuild."""
    problems = []
    for name in sides:
        with world.on(name):
            levels = {
                (a, s): q
                for a, s, q in StockLevel.objects.values_list("article_id", "store_id", "quantity")
            }
            defined = _stock_by_definition()
            if levels != defined:
                wrong = {k: (levels.get(k), defined.get(k)) for k in set(levels) | set(defined)}
                wrong = {k: v for k, v in wrong.items() if v[0] != v[1]}
                problems.append(f"{name}: stock ≠ définition (tenu, défini) : {wrong}")
            stock, stats = stock_snapshot(), stats_snapshot()
            stock_rebuild()
            stats_rebuild()
            if stock_snapshot() != stock:
                problems.append(f"{name}: stock ≠ reconstruction")
            if stats_snapshot() != stats:
                problems.append(f"{name}: statistiques ≠ reconstruction")
    return problems


def conflicts_logged(world: World, sides: list[str], edits: list[Edit]) -> list[str]:
    """Every edit that lost to a concurrent one is in some side's conflict log.

    An edit is superseded knowingly (not a conflict) when a later edit was made by a side
    that saw its value. Values are unique per edit, so they identify edits even when a
    till whose clock ran ahead re-stamps its unsent edits.
    """
    logged: set[tuple[str, str, str, str]] = set()
    for name in sides:
        with world.on(name):
            for model, row, f, lost in ConflictLog.objects.values_list(
                "model", "row_id", "field", "lost_value"
            ):
                logged.add((model, str(row), f, repr(lost)))
    final: dict[tuple[str, UUID, str], Any] = {}
    with world.on(HUB):
        for e in edits:
            key = (e.model, e.row, e.field)
            if key not in final:
                from comptoir.sync import registry

                spec = registry.reference_spec(e.model)
                assert spec is not None
                obj = spec.model._default_manager.get(pk=e.row)
                final[key] = wire.to_wire(getattr(obj, e.field))
    seen = {(e.model, e.row, e.field, repr(e.seen)) for e in edits}
    problems = []
    for e in edits:
        key = (e.model, e.row, e.field)
        if e.value == final[key] or (e.model, e.row, e.field, repr(e.value)) in seen:
            continue
        if (e.model, str(e.row), e.field, repr(e.value)) not in logged:
            problems.append(
                f"modification perdue sans trace : {e.model}.{e.field} = {e.value!r} "
                f"(faite sur {e.side}, gagnante {final[key]!r})"
            )
    return problems


def all_problems(
    world: World, nodes: list[str], documents: list[Document], edits: list[Edit]
) -> list[str]:
    sides = [HUB, *nodes]
    return [
        *converged(world, sides),
        *digests_equal(world, nodes),
        *documents_once(world, nodes, documents),
        *series_continuous(world, nodes),
        *conflicts_logged(world, sides, edits),
        *derived_rebuild(world, sides),  # last: it rewrites the derived tables
    ]
