"""Change capture: every write to a synced model leaves a trace in the same transaction.

Called only by the base classes in ``comptoir.stores.models`` (save, bulk_create); they
refuse the write paths that cannot be captured (bulk update and delete).

- On a node, a local write adds an :class:`OutboxEntry`; a write that applies a change
  received from the hub adds nothing (no echo).
- On the hub, every write (local, or applying a node's push) appends to the
  :class:`ChangeLog`, tagged with the post it came from and the store it belongs to.

Ordering domains (PostgreSQL): a store's nodes see its rows and the rows of every store
(reference data: no store). Appends are ordered per domain by transaction-level advisory
locks held until commit: a writer of one store's rows takes the global lock *shared*,
then its store's lock; a writer of rows with no store (or of several or unknown stores)
takes the global lock *exclusively*. Always in that order, before any row lock. So within
what one store's nodes see, log sequence numbers are assigned in commit order (a puller
paging by sequence never skips a row that commits late), while two stores' writers never
wait for each other. The sequence stays one for the whole log: cursors keep their meaning.
A block that holds only its store's lock and comes to write outside it raises
:class:`DomainEscape` (its transaction rolls back; the caller redoes it under the global
lock). On SQLite there is one writer at a time: no lock, one domain.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from comptoir.sync import registry
from comptoir.sync.inserts import insert_rows
from comptoir.sync.models import ChangeLog, OutboxEntry
from comptoir.sync.notify import notify_log_grew
from comptoir.sync.wire.checks import check_rows

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

# Set while applying changes received from another post: the origin node id.
_applying: ContextVar[str | None] = ContextVar("comptoir_sync_applying", default=None)
# Set in a block whose transaction already holds the change-log lock (it is held until
# commit): ``GLOBAL`` (the global lock, exclusively) or a store id (that store's
# domain). Taking it again would only cost a round trip.
GLOBAL = "*"
_domain: ContextVar[str | None] = ContextVar("comptoir_sync_log_domain", default=None)
Trace = tuple[str, UUID, UUID | None]
# A reference row's edited fields, each with the clock of the value it replaced.
Bases = Mapping[tuple[str, UUID], dict[str, str]]


class Traces(list[Trace]):
    """Traces gathered by :func:`collecting`, with the edits' bases (see :func:`record`)."""

    def __init__(self) -> None:
        super().__init__()
        self.bases: dict[tuple[str, UUID], dict[str, str]] = {}

    def add_bases(self, bases: Bases) -> None:
        for key, fields in bases.items():
            known = self.bases.setdefault(key, {})
            for name, base in fields.items():
                known.setdefault(name, base)  # the first edit's base: what was seen first


# Set while collecting traces to record them once (one per aggregate applied).
# Called after the commit of a transaction that wrote to the outbox: the sync worker
# registers its wake-up here (``syncengine`` app), so that this layer imports nothing of it.
_outbox_listeners: list[Callable[[], None]] = []


def on_outbox_written(listener: Callable[[], None]) -> None:
    """Call ``listener`` after each commit that added rows to the outbox (once per listener)."""
    if listener not in _outbox_listeners:
        _outbox_listeners.append(listener)


# Called before a post writes rows of a synced model itself (not when applying what another
# post sent): each may refuse the write by raising. The database health check registers here
# (``syncengine`` app): nothing is written into a database found damaged.
_local_write_guards: list[Callable[[], None]] = []


def on_local_write(guard: Callable[[], None]) -> None:
    """Call ``guard`` before each local write of synced rows (once per guard)."""
    if guard not in _local_write_guards:
        _local_write_guards.append(guard)


_collecting: ContextVar[Traces | None] = ContextVar("comptoir_sync_collecting", default=None)

# "comp": the advisory lock of the global ordering domain (one bigint key); a store's
# lock is the pair (LOG_LOCK_KEY, hash of its id), a key space of its own.
LOG_LOCK_KEY = 0x636F6D70


class DomainEscape(Exception):
    """Internal: a block that holds only one store's ordering lock came to write rows of
    another store, or rows every store sees. Its transaction must roll back, and the
    caller redo the work under the global lock (``log_locked()``)."""


@contextmanager
def applying(origin: str) -> Iterator[None]:
    """Writes in this block come from ``origin``; on a node they are not sent back."""
    token = _applying.set(origin)
    try:
        yield
    finally:
        _applying.reset(token)


@contextmanager
def collecting() -> Iterator[Traces]:
    """Gather the traces of the block instead of writing them; the caller records them
    (``record(traces)``: their edits' bases go with them)."""
    gathered = Traces()
    token = _collecting.set(gathered)
    try:
        yield gathered
    finally:
        _collecting.reset(token)


@contextmanager
def traced_once() -> Iterator[None]:
    """Writes in this block leave one trace per aggregate (and reference row) they wrote,
    recorded when the block ends: a sale writes one outbox entry (or change-log row), not
    one per table it fills. Use around a local use case, in its transaction.

    On the hub the change-log lock is taken first, as every hub writer takes it (change
    log, rows, clock): the block will append to the log after locking rows.
    """
    if is_hub() and _applying.get() is None and _collecting.get() is None:
        lock_log()
    with collecting() as traces:
        yield
    record(traces)


def applying_origin() -> str | None:
    return _applying.get()


def is_hub() -> bool:
    return settings.COMPTOIR_ROLE == "hub"


def lock_log(store: object = None) -> None:
    """Before a hub writer locks rows it may trace: take the change-log lock (PostgreSQL;
    held until commit). ``store``: the store whose rows follow, if known.

    Inside :func:`log_locked` the lock is held already: nothing to take, but a block
    that holds only a store's domain refuses to go on into another store's rows
    (:class:`DomainEscape`, before it locks them). Outside, the global lock is taken
    exclusively: a writer that did not declare its store may write anything."""
    held = _domain.get()
    if held is not None:
        if held != GLOBAL and store is not None and str(store) != held:
            raise DomainEscape(f"store {store} written under the lock of store {held}")
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOG_LOCK_KEY])


def _lock_store(store: str) -> None:
    # The global lock shared, then the store's: in that order (the subquery in FROM, with
    # a volatile function, is evaluated first), in one round trip.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"
            " FROM (SELECT pg_advisory_xact_lock_shared(%s)) AS global_domain",
            [LOG_LOCK_KEY, store, LOG_LOCK_KEY],
        )


@contextmanager
def log_locked(store: object = None) -> Iterator[None]:
    """Take the change-log lock for the rest of the current transaction; inside the block,
    the appends that would take it again know it is held. Use only at the transaction's
    outer level (not in a savepoint that may roll back and release it).

    ``store``: the block writes that store's rows only (a node's push of its facts): its
    ordering domain is locked, and other stores' writers go on meanwhile. Should the block
    come to write anything else, it raises :class:`DomainEscape`. Without it (or off
    PostgreSQL), the global lock, exclusively: the block may write anything."""
    held = _domain.get()
    if held is not None:  # nested: the outer block's lock stands
        lock_log(store)
        yield
        return
    if store is not None and connection.vendor == "postgresql":
        domain = str(store)
        _lock_store(domain)
    else:
        domain = GLOBAL
        lock_log()
    token = _domain.set(domain)
    try:
        yield
    finally:
        _domain.reset(token)


def store_use_case(store_of: Callable[..., object]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The decorated function is a use case (one outermost, durable transaction) that
    writes the rows of one store: ``store_of`` (called with the use case's arguments,
    before its transaction) names it. Decorates a use case, or makes one of a building
    block (``store_use_case(store_of)(stock_receive_block)``).

    On the hub on PostgreSQL, its transaction holds that store's ordering domain only
    (:func:`log_locked`, at the outer level), so that a sale, a cash movement, a closing
    or an event made at the hub's own post never holds up another store's pushes. Should
    it come to write outside its store (:class:`DomainEscape`), it is rolled back and run
    again under the global lock, as a push is. Elsewhere: its durable transaction."""

    def decorate(use_case: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(use_case)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            # Inside a transaction, the durable one below refuses to start (as it must).
            if is_hub() and connection.vendor == "postgresql" and not connection.in_atomic_block:
                store = store_of(*args, **kwargs)
                if store is not None:
                    try:
                        with transaction.atomic(durable=True), log_locked(store):
                            return use_case(*args, **kwargs)
                    except DomainEscape as escape:
                        log.info("%s rejoué sous le verrou global : %s", use_case.__name__, escape)
            with transaction.atomic(durable=True):
                return use_case(*args, **kwargs)

        # A block (``<entity>_<verb>_block``) made a use case is named as its use case.
        run.__name__ = run.__qualname__ = use_case.__name__.removesuffix("_block")
        return run

    return decorate


def check_local(
    model: type[Model], objs: Iterable[Any], attnames: Collection[str] | None = None
) -> None:
    """Before a post writes rows of a synced model itself, refuse what the hub would refuse
    (see :mod:`comptoir.sync.wire.checks`; ``attnames``: only those columns are written).
    Rows applied from another post were checked on arrival, by the same checks. The guards
    (:func:`on_local_write`) run first."""
    if _applying.get() is None and registry.is_synced(registry.label_of(model)):
        for guard in _local_write_guards:
            guard()
        check_rows(model, objs, attnames)


def record(roots: Iterable[Trace], *, bases: Bases | None = None) -> None:
    """Trace changed rows: (model label, row id, store id or None for every store).

    ``bases``: for a reference row edited here, per edited field, the clock of the value
    the edit replaced (its ``sync_clocks`` entry before the local tick); a node keeps
    them in its outbox so that its push tells the hub which edits were made knowingly.
    Rows without bases are sent without (the hub then logs every overwritten value).
    """
    if bases is None and isinstance(roots, Traces):
        bases = roots.bases
    gathered = _collecting.get()
    if gathered is not None:
        gathered.extend(roots)
        if bases:
            gathered.add_bases(bases)
        return
    unique = list(dict.fromkeys(roots))
    if not unique:
        return
    origin = _applying.get()
    if is_hub():
        held = _domain.get()
        if held is None:
            lock_log()
        elif held != GLOBAL and any(str(s) != held for _m, _r, s in unique):
            # Appending outside the domain it holds would let a puller of that other
            # domain move its cursor past this row before it commits.
            raise DomainEscape(f"rows outside store {held} traced under its lock")
        node = origin or str(settings.COMPTOIR_NODE_ID)
        now = timezone.now()
        insert_rows(
            ChangeLog,
            [(m, r, s, node, now) for m, r, s in unique],
            ("model", "row_id", "store_id", "origin_node", "created_at"),
        )
        stores = {s for _m, _r, s in unique}
        store = str(stores.pop()) if len(stores) == 1 and None not in stores else ""
        notify_log_grew(store, node)
    elif origin is None:
        known = bases or {}
        OutboxEntry.objects.bulk_create(
            [OutboxEntry(model=m, row_id=r, bases=known.get((m, r))) for m, r, _s in unique]
        )
        for listener in _outbox_listeners:
            transaction.on_commit(listener)


def fact_roots(objs: Iterable[Any]) -> list[Trace]:
    """The aggregates that fact rows belong to, with their store. A root's store is looked
    up once, and not at all when its root was traced in the same collecting block."""
    known = {(m, r): s for m, r, s in _collecting.get() or ()}
    roots: list[Trace] = []
    for obj in objs:
        spec = registry.fact_spec(registry.label_of(obj))
        if spec is None:
            continue
        label, root_id = spec.root_of(obj)
        root_spec = registry.fact_spec(label)
        store = None
        if root_spec is not None and root_spec.store_attname:
            if label == spec.label:
                store = getattr(obj, root_spec.store_attname)
            elif (label, root_id) in known:
                store = known[(label, root_id)]
            else:
                store = known[(label, root_id)] = _store_of_root(root_spec, root_id, obj)
        roots.append((label, root_id, store))
    return roots


def _store_of_root(root_spec: registry.FactSpec, root_id: UUID, part: Any) -> UUID | None:
    # Parts of an invoice share its store: most carry it (movements); else look it up.
    attname = root_spec.store_attname or ""
    if hasattr(part, attname):
        return getattr(part, attname)
    row = root_spec.model._default_manager.filter(pk=root_id).values_list(attname, flat=True)
    return row.first()
