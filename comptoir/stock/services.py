"""Use cases of stock, and the upkeep of the derived level.

Level of (article, store) = quantity of the latest count (by ``counted_at``, then id) +
the movements with ``occurred_at`` strictly after it (all movements when never counted).
A fact arriving late (synced after newer facts) lands where its instant puts it: an old
sale never undoes a newer count. :func:`levels_apply_movements` and
:func:`levels_apply_counts` keep :class:`StockLevel` equal to that definition
incrementally, for local writes and received facts alike; :func:`stock_rebuild`
recomputes it from scratch.

Each use case ``stock_<verb>`` is ``use_case(stock_<verb>_block)``: the block joins the
caller's transaction, the use case is the block in one durable transaction of its own
(see ``core.usecases``). Compose blocks: ``stock_receive_many`` is receptions in one.
A receipt, a loss or a count writes one store's rows: on the hub its use case holds that
store's ordering domain only (``capture.store_use_case``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.catalogue.models import Article
from comptoir.catalogue.selectors import article_get, supplier_ref
from comptoir.lib.counters import rows_add
from comptoir.lib.errors import ComptoirError, ValidationError
from comptoir.lib.quantity import parse_quantity
from comptoir.lib.usecases import use_case
from comptoir.lib.validators import clean_text
from comptoir.stock.models import InventoryCount, MovementKind, StockLevel, StockMovement
from comptoir.stores.models import Store
from comptoir.stores.selectors import store_get
from comptoir.sync import capture


def _level_locked(article_id: UUID, store_id: UUID) -> StockLevel:
    StockLevel.objects.bulk_create(
        [StockLevel(article_id=article_id, store_id=store_id)], ignore_conflicts=True
    )
    return StockLevel.objects.select_for_update().get(article_id=article_id, store_id=store_id)


def levels_apply_movements(movements: Sequence[StockMovement]) -> None:
    """Fold new movements into their levels: the one rule for movements, called by the
    local writes (:func:`movement_record`, a sale, a return) and by the sync apply alike.
    Call in the transaction that inserted them.

    The levels are created if missing and locked in (article, store) order, as one
    movement at a time would lock them, so a concurrent count waits and sees the result;
    then one upsert adds, per level, the movements later than its count.
    """
    if not movements:
        return
    keys = {(m.article_id, m.store_id) for m in movements}
    StockLevel.objects.bulk_create(
        [StockLevel(article_id=a, store_id=s) for a, s in sorted(keys, key=str)],
        ignore_conflicts=True,
    )
    counted: dict[tuple[UUID, UUID], datetime | None] = {}
    articles = sorted({a for a, _s in keys}, key=str)
    stores = sorted({s for _a, s in keys}, key=str)
    for start in range(0, len(articles), 500):
        for article_id, store_id, count_at in (
            StockLevel.objects.select_for_update()
            .filter(article_id__in=articles[start : start + 500], store_id__in=stores)
            .order_by("article_id", "store_id")
            .values_list("article_id", "store_id", "count_at")
        ):
            counted[(article_id, store_id)] = count_at
    deltas: dict[tuple[UUID, UUID], Decimal] = defaultdict(Decimal)
    for movement in movements:
        key = (movement.article_id, movement.store_id)
        count_at = counted.get(key)
        if count_at is None or movement.occurred_at > count_at:
            deltas[key] += movement.quantity
    rows_add(
        StockLevel, ("article_id", "store_id"), {k: {"quantity": q} for k, q in deltas.items()}
    )


def _movements_after(article_id: UUID, store_id: UUID, after: datetime) -> Decimal:
    total = StockMovement.objects.filter(
        article_id=article_id, store_id=store_id, occurred_at__gt=after
    ).aggregate(total=Sum("quantity"))["total"]
    return total if total is not None else Decimal(0)


def levels_apply_counts(counts: Sequence[InventoryCount]) -> None:
    """Restart levels from new counts, in (article, store) order: the one rule for
    counts, called by :func:`stock_count` and by the sync apply alike."""
    for count in sorted(counts, key=lambda c: (str(c.article_id), str(c.store_id))):
        level_apply_count(count)


def level_apply_count(count: InventoryCount) -> None:
    """Restart the level from a new count if it is the latest one; else nothing changes."""
    level = _level_locked(count.article_id, count.store_id)
    if level.count_at is not None and (level.count_at, str(level.count_id)) >= (
        count.counted_at,
        str(count.id),
    ):
        return
    level.quantity = count.quantity + _movements_after(
        count.article_id, count.store_id, count.counted_at
    )
    level.count_at = count.counted_at
    level.count_id = count.id
    level.save(update_fields=["quantity", "count_at", "count_id"])


def movement_record(
    *,
    article_id: UUID,
    store: Store,
    kind: str,
    quantity: Decimal,
    at: datetime,
    supplier_id: UUID | None = None,
    note: str = "",
) -> StockMovement:
    """Insert a movement on its own (an aggregate: one trace) and update the level. Runs
    inside the caller's transaction."""
    with capture.traced_once():
        movement = StockMovement.objects.create(
            article_id=article_id,
            store=store,
            kind=kind,
            quantity=quantity,
            occurred_at=at,
            supplier_id=supplier_id,
            note=note,
        )
        levels_apply_movements([movement])
    return movement


def _store_id(*, store: str | None = None, **_arguments: object) -> UUID:
    """The store a movement or count of one store is made in: the ordering domain of its
    use case on the hub (``capture.store_use_case``)."""
    return store_get(name=store).pk


@transaction.atomic(savepoint=False)
def stock_receive_block(
    *,
    article: str,
    quantity: str | Decimal | int,
    supplier: str | UUID | None = None,
    store: str | None = None,
    note: str = "",
    at: datetime | None = None,
) -> StockMovement:
    """Goods received from a supplier: a positive movement. ``supplier`` is a code (the
    CLI) or, from a screen that lists twins, an id (see ``supplier_ref``)."""
    note = clean_text(note, label=_("La note"))
    item = article_get(code=article)
    qty = parse_quantity(quantity, unit=item.unit)
    return movement_record(
        article_id=item.pk,
        store=store_get(name=store),
        kind=MovementKind.RECEIPT,
        quantity=qty,
        at=at or timezone.now(),
        supplier_id=supplier_ref(supplier).pk if supplier else None,
        note=note,
    )


stock_receive = capture.store_use_case(_store_id)(stock_receive_block)


@transaction.atomic(savepoint=False)
def stock_loss_block(
    *,
    article: str,
    quantity: str | Decimal | int,
    store: str | None = None,
    note: str = "",
    at: datetime | None = None,
) -> StockMovement:
    """Goods lost, broken or stolen: a negative movement."""
    note = clean_text(note, label=_("La note"))
    item = article_get(code=article)
    qty = parse_quantity(quantity, unit=item.unit)
    return movement_record(
        article_id=item.pk,
        store=store_get(name=store),
        kind=MovementKind.LOSS,
        quantity=-qty,
        at=at or timezone.now(),
        note=note,
    )


stock_loss = capture.store_use_case(_store_id)(stock_loss_block)


@transaction.atomic(savepoint=False)
def stock_transfer_block(
    *,
    article: str,
    quantity: str | Decimal | int,
    from_store: str,
    to_store: str,
    note: str = "",
    at: datetime | None = None,
) -> tuple[StockMovement, StockMovement]:
    """Goods moved between two stores: a negative and a positive movement at one instant."""
    note = clean_text(note, label=_("La note"))
    item = article_get(code=article)
    qty = parse_quantity(quantity, unit=item.unit)
    source, target = store_get(name=from_store), store_get(name=to_store)
    if source.pk == target.pk:
        raise ValidationError(_("Un transfert se fait entre deux magasins différents."))
    when = at or timezone.now()
    # Two aggregates (each leg syncs to its own store), one upkeep that locks both levels
    # in (article, store) order, whatever the direction of the transfer.
    with capture.traced_once():
        out, into = (
            StockMovement.objects.create(
                article_id=item.pk,
                store=store,
                kind=MovementKind.TRANSFER,
                quantity=signed,
                occurred_at=when,
                note=note,
            )
            for store, signed in ((source, -qty), (target, qty))
        )
        levels_apply_movements([out, into])
    return out, into


stock_transfer = use_case(stock_transfer_block)


@transaction.atomic(savepoint=False)
def stock_count_block(
    *,
    article: str | UUID,
    quantity: str | Decimal | int,
    store: str | None = None,
    note: str = "",
    at: datetime | None = None,
) -> InventoryCount:
    """An inventory count: the level becomes ``quantity`` plus what moves after ``at``.

    ``article`` is a code or barcode (the CLI), or an article id: a sheet that lists twins
    counts each of them.
    """
    note = clean_text(note, label=_("La note"))
    item = article_get(pk=article) if isinstance(article, UUID) else article_get(code=article)
    qty = parse_quantity(quantity, unit=item.unit, allow_zero=True)
    when = at or timezone.now()
    if when > timezone.now() + timedelta(minutes=5):
        raise ValidationError(_("Un inventaire ne peut pas être daté dans le futur."))
    with capture.traced_once():
        count = InventoryCount.objects.create(
            article=item, store=store_get(name=store), quantity=qty, counted_at=when, note=note
        )
        levels_apply_counts([count])
    return count


stock_count = capture.store_use_case(_store_id)(stock_count_block)


@transaction.atomic(savepoint=False)
def stock_rebuild_block() -> int:
    """Recompute every stock level from the facts. Returns the number of levels."""
    latest: dict[tuple[UUID, UUID], tuple[datetime, UUID, Decimal]] = {}
    for article_id, store_id, counted_at, count_id, qty in (
        InventoryCount.objects.order_by("counted_at", "id")
        .values_list("article_id", "store_id", "counted_at", "id", "quantity")
        .iterator()
    ):
        latest[(article_id, store_id)] = (counted_at, count_id, qty)
    levels: dict[tuple[UUID, UUID], Decimal] = defaultdict(Decimal)
    for key, (_at, _id, qty) in latest.items():
        levels[key] = qty
    for article_id, store_id, occurred_at, qty in StockMovement.objects.values_list(
        "article_id", "store_id", "occurred_at", "quantity"
    ).iterator():
        count = latest.get((article_id, store_id))
        if count is None or occurred_at > count[0]:
            levels[(article_id, store_id)] += qty
    StockLevel.objects.all().delete()
    StockLevel.objects.bulk_create(
        [
            StockLevel(
                article_id=article_id,
                store_id=store_id,
                quantity=qty,
                count_at=latest[(article_id, store_id)][0]
                if (article_id, store_id) in latest
                else None,
                count_id=latest[(article_id, store_id)][1]
                if (article_id, store_id) in latest
                else None,
            )
            for (article_id, store_id), qty in levels.items()
        ],
        batch_size=2000,
    )
    return len(levels)


stock_rebuild = use_case(stock_rebuild_block)


def _line_error(number: int, article: str, exc: ComptoirError) -> ValidationError:
    return ValidationError(
        _("Ligne %(line)d (%(article)s) : %(message)s")
        % {"line": number, "article": article, "message": exc.message}
    )


def _codes(articles: Sequence[str | UUID]) -> dict[str | UUID, str]:
    """How a line names each article in its error: by its code, as people know it. Read
    before the lines are recorded: a block's error dooms the transaction it joined."""
    ids = [a for a in articles if isinstance(a, UUID)]
    codes: dict[str | UUID, str] = {a: a for a in articles if isinstance(a, str)}
    codes.update(Article.objects.filter(pk__in=ids).values_list("pk", "code") if ids else ())
    return codes


@transaction.atomic(savepoint=False)
def stock_receive_many_block(
    *,
    lines: Sequence[tuple[str, str | Decimal | int]],
    supplier: str | UUID | None = None,
    store: str | None = None,
    note: str = "",
    at: datetime | None = None,
) -> list[StockMovement]:
    """A delivery of several articles (article code, quantity): all lines or none.

    Each line is a :func:`stock_receive` at one instant; a refused line raises with its
    number (1-based) and nothing is recorded.
    """
    if not lines:
        raise ValidationError(_("La réception ne contient aucune ligne."))
    when = at or timezone.now()
    movements = []
    for number, (article, quantity) in enumerate(lines, start=1):
        try:
            movements.append(
                stock_receive_block(
                    article=article,
                    quantity=quantity,
                    supplier=supplier,
                    store=store,
                    note=note,
                    at=when,
                )
            )
        except ComptoirError as exc:
            raise _line_error(number, article, exc) from None
    return movements


stock_receive_many = use_case(stock_receive_many_block)


@transaction.atomic(savepoint=False)
def stock_count_many_block(
    *,
    counts: Sequence[tuple[str | UUID, str | Decimal | int]],
    store: str | None = None,
    note: str = "",
    at: datetime | None = None,
) -> list[InventoryCount]:
    """An inventory sheet (article code or id, counted quantity): all counts or none, one
    instant. A sheet listing twin articles gives ids, so that each twin gets its count."""
    if not counts:
        raise ValidationError(_("Aucune quantité comptée."))
    when = at or timezone.now()
    codes = _codes([article for article, _quantity in counts])
    recorded = []
    for number, (article, quantity) in enumerate(counts, start=1):
        try:
            recorded.append(
                stock_count_block(
                    article=article, quantity=quantity, store=store, note=note, at=when
                )
            )
        except ComptoirError as exc:
            raise _line_error(number, codes.get(article, str(article)), exc) from None
    return recorded


stock_count_many = use_case(stock_count_many_block)
