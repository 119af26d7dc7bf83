"""What must hold once the faults stop and everybody has synced (issues 5 and 15).

Each check returns a list of human-readable problems (empty: it holds), so that a
failing example says everything that went wrong at once.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from comptoir.cash.models import CashSessionClosing
from comptoir.cash.reports import SessionReport
from comptoir.cash.selectors import session_figures
from comptoir.closings.models import Closing, ClosingKind
from comptoir.closings.selectors import closing_differences, first_document_day
from comptoir.events.models import TechnicalEvent
from comptoir.journal.kinds import kinds
from comptoir.journal.verify import journal_verify
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
            # The documents' series (the chains' heads and the events' series are not).
            series = SeriesCounter.objects.filter(kind__in=("invoice", "credit"))
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


# Fiscal records that are not in the journal's kinds yet (they are being chained): counted
# with the kinds, and once registered as kinds they are covered by the registry anyway.
FISCAL_MODELS: tuple[type[models.Model], ...] = (Closing, TechnicalEvent)


def fiscal_models() -> list[type[models.Model]]:
    """Every model of a fiscal record: each kind of ``journal.kinds`` (a kind registered
    later is covered by itself), and :data:`FISCAL_MODELS`."""
    found = {spec.model for spec in kinds()} | set(FISCAL_MODELS)
    return sorted(found, key=lambda model: model._meta.label)


def fiscal_once(world: World, nodes: list[str]) -> list[str]:
    """Every fiscal record a till made is on the hub exactly once (by id, per model), the
    hub holds none of that till's that the till does not, and the numbered ones run
    1..n per till without a gap or a repeat."""
    problems = []
    labels = [m._meta.label for m in fiscal_models()]
    for name in nodes:
        node = world.sides[name].node_id
        made: dict[str, Counter[UUID]] = {}
        held: dict[str, Counter[UUID]] = {}
        for side, out in ((name, made), (HUB, held)):
            with world.on(side):
                for model in fiscal_models():
                    rows = model._default_manager.filter(till__node_id=node)
                    out[model._meta.label] = Counter(rows.values_list("pk", flat=True))
        for label in labels:
            lost = sorted(str(pk) for pk in made[label] if pk not in held[label])
            extra = sorted(str(pk) for pk in held[label] if pk not in made[label])
            doubled = sorted(str(pk) for pk, n in held[label].items() if n > 1)
            if lost or extra or doubled:
                problems.append(
                    f"{name}: {label} perdus au serveur {lost}, en trop {extra}, doublés {doubled}"
                )
    with world.on(HUB):
        for model in fiscal_models():
            try:
                number = model._meta.get_field("number")
            except FieldDoesNotExist:
                continue
            if not isinstance(number, models.IntegerField):
                continue  # a document's number is text: its series is checked apart
            by_till: dict[UUID, list[int]] = defaultdict(list)
            for till, n in model._default_manager.values_list("till_id", "number"):
                by_till[till].append(n)
            for till, numbers in by_till.items():
                if sorted(numbers) != list(range(1, len(numbers) + 1)):
                    problems.append(f"hub: {model._meta.label} de {till} numérotés {numbers}")
    return problems


def chains_whole(world: World) -> list[str]:
    """Every chain of every post is whole on the hub: what ``comptoir journal verify``
    says there (its code, over every kind of ``journal.kinds``)."""
    problems = []
    with world.on(HUB):
        for result in journal_verify():
            if result.status != "whole":
                problems.append(
                    f"hub : chaîne {result.chain} du poste {result.till.prefix} "
                    f"{result.status} : {result.as_json()['first']}"
                )
    return problems


def closings_recomputed(world: World) -> list[str]:
    """On the hub, every closing equals its recomputation from its till's facts; each
    till's days follow each other from its first, its perpetual totals carry from one to
    the next and the absolute one never decreases; a month's or a year's perpetual
    totals are those of its last day; and every day over is closed (the heal ran each
    post's worker cycle)."""
    problems = []
    with world.on(HUB):
        today = timezone.localdate(world.closed_as_of)
        closings = list(Closing.objects.select_related("till__store").order_by("period_start"))
        # The days with documents, per till: an empty day's closing (a till off for a month
        # makes thirty) is checked against them, and its carried totals below, cheaply.
        busy: set[tuple[UUID, dt.date]] = set()
        for model in (Invoice, CreditNote):
            busy |= set(model.objects.values_list("till_id", "business_date").distinct())
        days: dict[UUID, list[Closing]] = defaultdict(list)
        for closing in closings:
            empty = closing.kind == ClosingKind.DAY and not (
                closing.invoice_count or closing.credit_note_count
            )
            if empty and (closing.till_id, closing.period_start) not in busy:
                differences = {
                    name: (getattr(closing, name), 0)
                    for name in ("sales_incl_vat", "returns_incl_vat", "total_incl_vat")
                    if getattr(closing, name)
                }
            else:
                differences = closing_differences(closing=closing)
            if differences:
                problems.append(
                    f"clôture {closing.kind} {closing.period_start} de {closing.till.prefix} ≠ "
                    f"recalcul (tenu, recalculé) : {differences}"
                )
            if closing.kind == ClosingKind.DAY:
                days[closing.till_id].append(closing)
        for closing in closings:
            if closing.kind == ClosingKind.DAY:
                continue
            last = [d for d in days[closing.till_id] if d.period_end == closing.period_end]
            carried = (last[0].perpetual_total, last[0].perpetual_absolute_total) if last else None
            if carried != (closing.perpetual_total, closing.perpetual_absolute_total):
                problems.append(
                    f"clôture {closing.kind} {closing.period_start} de {closing.till.prefix} : "
                    f"totaux perpétuels ≠ ceux de son dernier jour {carried}"
                )
        latest: dict[UUID, dt.date] = {}
        for till_id, day in busy:
            latest[till_id] = max(latest.get(till_id, day), day)
        for till in Till.objects.all():
            first = first_document_day(till=till)
            starts = [d.period_start for d in days.get(till.pk, [])]
            # Every day from the first is closed, one after the other, up to the day before
            # today at least; a till whose clock ran ahead may have closed further, never
            # up to its own latest document's day (a clock set back after a closing dates
            # its next documents in the first open day).
            end = max(today, latest.get(till.pk, today))
            whole = first is None or (
                starts == [first + dt.timedelta(days=i) for i in range(len(starts))]
                and len(starts) >= (today - first).days
                and (not starts or starts[-1] < end)
            )
            if not whole or (first is None and starts):
                problems.append(
                    f"jours clôturés de {till.prefix} : {[str(d) for d in starts]}, "
                    f"attendus du {first} à la veille du {today} au moins"
                )
            for before, after in itertools.pairwise(days.get(till.pk, [])):
                absolute = after.perpetual_absolute_total - before.perpetual_absolute_total
                total = after.perpetual_total - before.perpetual_total
                if absolute < 0 or (total, absolute) != (
                    after.total_incl_vat,
                    after.sales_incl_vat + abs(after.returns_incl_vat),
                ):
                    problems.append(
                        f"{till.prefix} : totaux perpétuels mal reportés du {before.period_start} "
                        f"au {after.period_start}"
                    )
    return problems


def sessions_balanced(world: World) -> list[str]:
    """On the hub, each closed cash session's expected cash equals its recomputation from
    the facts, and its over/short is the counted amount minus it."""
    problems = []
    with world.on(HUB):
        for closing in CashSessionClosing.objects.select_related("session", "till"):
            figures = session_figures(session=closing.session, end=closing)
            expected = SessionReport(figures).expected_cash
            if (closing.expected_amount, closing.difference) != (
                expected,
                closing.counted_amount - expected,
            ):
                problems.append(
                    f"session {closing.session.number} de {closing.till.prefix} : attendu "
                    f"{closing.expected_amount}, écart {closing.difference}, compté "
                    f"{closing.counted_amount} ; recalculé : attendu {expected}"
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
        *fiscal_once(world, nodes),
        *chains_whole(world),
        *closings_recomputed(world),
        *sessions_balanced(world),
        *derived_rebuild(world, sides),  # last: it rewrites the derived tables
    ]
