"""The hub's live stream (``GET /api/sync/v1/stream``): a store's changes, sent to its
tills as they commit, over one held connection per till (server-sent events, :mod:`sse`).

A small ASGI application of its own (:mod:`.streamapp`), mounted by ``comptoir.asgi``
before Django: a stream is answered once and then only sends, so Django's per-request
path (middleware, a thread per request) would cost more than the sending. It checks what
the pull view checks: the versions, the host, the bearer token (unknown and revoked
tokens are refused, and a stream whose token is revoked or replaced is closed within
:data:`CHECK_SECONDS`: one check per round for every stream of the process), and the
store scoping of pulls (the till's store's facts and reference data, never what the till
wrote itself).

Per process, one task per store with subscribers (:class:`StoreFeed`) reads each
committed batch of the store's changes once (woken by the change log's ``NOTIFY``, as
long polls are, or looking every 0.1 s where there is none: SQLite) and sends it to
every till of the store that is streaming, as the page a pull would have answered from
that till's cursor: the till applies it with the same code and stores the same cursor.
A till that connects with an older cursor is first brought up to the feed with pages
read for it alone (``hub.pull_page``), then joins it. Every event's id is its cursor:
after a cut, the till resumes from the last page it applied (``Last-Event-ID``).

A till that reads too slowly (:data:`QUEUE_LIMIT` events waiting) has its stream
closed; it reconnects from its cursor. The long poll stays: a till whose stream cannot
be had falls back to it (``worker``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection
from django.db.models import BigIntegerField, Case, Q, Value, When
from django.utils import timezone

from comptoir.sync import notify, registry, wire
from comptoir.sync.clock import wall_ms
from comptoir.sync.models import ChangeLog, NodeCredential
from comptoir.syncengine import compaction, compression, hub, jsontext, schemas, sse
from comptoir.syncengine.protocol import (
    PREFIX,
    SCHEMA_VERSION,
    Page,
    change_of,
    envelope,
)

log = logging.getLogger("comptoir.sync")

PATH = PREFIX + "stream"
HEARTBEAT_SECONDS = 15.0
CHECK_SECONDS = 5.0  # revoked or replaced tokens: their streams close within this
TOUCH_SECONDS = 30.0  # the tills' contact and cursor, on the hub's sync page
TOUCH_BATCH = 500  # credentials noted per write
QUEUE_LIMIT = 100  # events waiting for one till: beyond, it reads too slowly
FEED_LIMIT = 2000  # log entries a feed reads at once
CATCH_UP_LIMIT = 500  # entries per page for a till brought up to its feed
RETRY_MILLISECONDS = 2000
FEED_NODE = "*stream*"  # the feeds' own tickets on the log's waiter (no node has it)

T = TypeVar("T")
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="comptoir-stream")


def _closing(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function`` in a stream thread, then its database connection goes back (to the
    pool, when served): a stream holds none between two reads."""
    try:
        return function(*args, **kwargs)
    finally:
        if not connection.in_atomic_block:
            connection.close()


async def _db(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, lambda: _closing(function, *args, **kwargs))


# -- reading a store's changes once -----------------------------------------------------

Key = tuple[str, uuid.UUID]


@dataclass
class Batch:
    """The store's log entries in (``start``, ``end``], with the rows' current states."""

    start: int
    end: int
    more: bool
    entries: list[tuple[int, str, uuid.UUID, str]]  # seq, model, row, origin node
    states: dict[Key, tuple[str, dict[str, Any]]]


def store_batch(store: str, after: int, limit: int = FEED_LIMIT) -> Batch:
    """What a pull from ``after`` would see of this store (its facts and reference data),
    for every node at once: the origin of each entry is kept, each till leaves out its own.

    The head of the store's ordering domain is read first, as ``hub.pull_page`` does:
    there log appends commit in sequence order, so the batch may end at that head, past
    entries of other stores.
    """
    head = hub.log_head(store)
    entries = list(
        ChangeLog.objects.filter(Q(store=None) | Q(store_id=store), seq__gt=after)
        .order_by("seq")
        .values_list("seq", "model", "row_id", "origin_node")[: limit + 1]
    )
    more = len(entries) > limit
    entries = entries[:limit]
    documents: set[Key] = set()
    for index, (_seq, model, row, _origin) in enumerate(entries):
        if registry.fact_spec(model) and (model, row) not in documents:
            if len(documents) == hub.MAX_PAGE_FACTS:
                entries, more = entries[:index], True
                break
            documents.add((model, row))
    end = entries[-1][0] if more else max(head, entries[-1][0] if entries else after)
    keys = list(dict.fromkeys((model, row) for _seq, model, row, _origin in entries))
    return Batch(after, end, more, entries, wire.states(keys) if keys else {})


def frames(page: Page, *, packed: bool, schema: int = SCHEMA_VERSION) -> tuple[bytes, bytes | None]:
    """The event of ``page`` (stamped with the hub's time now) as a post of ``schema``
    reads it (see ``schemas.downgraded``), plain and, if asked, as a zstd frame of its own."""
    stamped = Page(
        changes=schemas.downgraded(page.changes, schema),
        cursor=page.cursor,
        more=page.more,
        **envelope(wall_ms(), schema),
    )
    plain = sse.event(page.cursor, jsontext.dumps(stamped))
    return plain, compression.compress(plain) if packed else None


# -- subscribers and feeds ----------------------------------------------------------------


@dataclass(eq=False)
class Subscriber:
    """One till's stream. ``cursor``: where its stream has brought it (events sent, or
    nothing it could see in between)."""

    node: str
    token_hash: str
    store: str
    cursor: int
    packed: bool  # zstd frames
    schema: int = SCHEMA_VERSION  # the schema its post speaks (this one or the previous)
    # What the post told about itself when it connected (its outbox, its version), noted
    # on its credential with its first page, as a pull's are.
    note: dict[str, Any] | None = None
    waiting: deque[bytes] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False

    def offer(self, plain: bytes, packed: bytes | None) -> None:
        if len(self.waiting) >= QUEUE_LIMIT:
            log.warning("flux de %s fermé : il lit trop lentement", self.node)
            self.close()
            return
        self.waiting.append(packed if self.packed and packed is not None else plain)
        self.ready.set()

    def close(self) -> None:
        self.closed = True
        self.ready.set()


class StoreFeed:
    """One store's changes, read once per committed batch and sent to its subscribers."""

    def __init__(self, streams: Streams, store: str, position: int) -> None:
        self.streams = streams
        self.store = store
        self.position = position  # read up to here
        self.subscribers: set[Subscriber] = set()
        self.task: asyncio.Task[None] | None = None
        self.reads = 0

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while self.subscribers:
                ticket = notify.waiter.ticket(self.store, FEED_NODE)
                batch = await _db(store_batch, self.store, self.position)
                self.reads += 1
                self.dispatch(batch)
                if batch.more:
                    continue
                if self.subscribers:
                    # Woken by the store's next commit; when notifications work, the log
                    # is looked at again only every ``notify.RECHECK_SECONDS`` meanwhile.
                    await notify.waiter.wait(ticket, notify.RECHECK_SECONDS)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database is away: every till reconnects, and resumes
            log.exception("flux du magasin %s interrompu", self.store)
            for subscriber in self.subscribers:
                subscriber.close()
        finally:
            if self.streams.feeds.get(self.store) is self:
                del self.streams.feeds[self.store]

    def dispatch(self, batch: Batch) -> None:
        """Send ``batch`` to each subscriber: the entries after its cursor that it did not
        write, as one page (built and encoded once per distinct content)."""
        built: dict[tuple[int, tuple[tuple[Key, int], ...]], tuple[bytes, bytes | None]] = {}
        packed = any(s.packed for s in self.subscribers)
        for subscriber in list(self.subscribers):
            if subscriber.cursor < batch.start:  # (never: it joined at the feed's position)
                subscriber.close()
                continue
            latest: dict[Key, int] = {}
            for seq, model, row, origin in batch.entries:
                if seq > subscriber.cursor and origin != subscriber.node:
                    latest.pop((model, row), None)  # (its latest entry's place)
                    latest[(model, row)] = seq
            subscriber.cursor = max(subscriber.cursor, batch.end)
            if not latest:
                continue
            content = (subscriber.schema, tuple(latest.items()))
            if content not in built:
                page = Page(changes=_changes(batch, content[1]), cursor=batch.end)
                built[content] = frames(page, packed=packed, schema=subscriber.schema)
            subscriber.offer(*built[content])
        self.position = batch.end


def _changes(batch: Batch, content: tuple[tuple[Key, int], ...]) -> list[Any]:
    return [
        change_of(
            batch.states[key][0],
            id=str(uuid.uuid5(hub.LOG_NAMESPACE, str(seq))),
            model=key[0],
            row=str(key[1]),
            data=batch.states[key][1],
        )
        for key, seq in content
        if key in batch.states
    ]


def credentials_check(tokens: dict[str, str], cursors: dict[str, int] | None) -> set[str]:
    """The nodes among ``tokens`` (node -> token hash) whose token was revoked or replaced;
    with ``cursors``, the others' contact and cursor noted: one query to read, one write
    per :data:`TOUCH_BATCH` nodes, however many stores they belong to."""
    live = dict(
        NodeCredential.objects.filter(node_id__in=list(tokens), revoked_at=None).values_list(
            "node_id", "token_hash"
        )
    )
    gone = {node for node, token in tokens.items() if live.get(node) != token}
    if cursors is not None:
        now = timezone.now()
        kept = [(node, cursor) for node, cursor in cursors.items() if node not in gone]
        for start in range(0, len(kept), TOUCH_BATCH):
            part = kept[start : start + TOUCH_BATCH]
            NodeCredential.objects.filter(node_id__in=[node for node, _ in part]).update(
                last_seen_at=now,
                last_pull_at=now,
                pull_cursor=Case(
                    *(When(node_id=node, then=Value(cursor)) for node, cursor in part),
                    output_field=BigIntegerField(),
                ),
            )
    return gone


class Streams:
    """This process's streams and store feeds."""

    def __init__(self) -> None:
        self.feeds: dict[str, StoreFeed] = {}
        self.subscribers: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._checker: asyncio.Task[None] | None = None
        self.checks = 0
        # The server stops: a stream that arrives now (a till reconnecting at once, before
        # the server stops accepting) ends as soon as it starts; else the server would
        # wait for it for ever.
        self.stopping = False

    def _here(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests): start over in it
            self._loop, self.feeds, self.subscribers = loop, {}, set()
            self.stopping, self._checker = False, None

    async def _check_all(self) -> None:
        """Every :data:`CHECK_SECONDS`, the tokens of every stream of this process in one
        query (a revoked or replaced one has its stream closed), and every
        :data:`TOUCH_SECONDS` their contact and cursor: what an idle stream costs the hub
        does not grow with the number of stores (it was a read and a check per store)."""
        loop = asyncio.get_running_loop()
        next_touch = loop.time() + TOUCH_SECONDS
        while self.subscribers and not self.stopping:
            await asyncio.sleep(CHECK_SECONDS)
            subscribers = [s for s in self.subscribers if not s.closed]
            if not subscribers:
                continue
            touch = loop.time() >= next_touch
            tokens = {s.node: s.token_hash for s in subscribers}
            cursors = {s.node: s.cursor for s in subscribers} if touch else None
            try:
                gone = await _db(credentials_check, tokens, cursors)
            except Exception as exc:  # the database is away: the feeds say so and close
                log.warning("contrôle des accès des flux impossible (%s)", exc)
                continue
            self.checks += 1
            if touch:
                next_touch = loop.time() + TOUCH_SECONDS
            for subscriber in subscribers:
                if subscriber.node in gone:
                    log.info("flux de %s fermé : accès retiré", subscriber.node)
                    subscriber.close()

    async def follow(self, cred: NodeCredential, subscriber: Subscriber, send: Any) -> None:
        """Bring ``subscriber`` up to its store's feed, then send what the feed gives it
        (heartbeats in between) until it is closed."""
        self._here()
        self.subscribers.add(subscriber)
        if self._checker is None or self._checker.done():
            self._checker = asyncio.get_running_loop().create_task(self._check_all())
        if self.stopping:
            subscriber.close()
        try:
            await self._join(cred, subscriber, send)
            while not subscriber.closed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(subscriber.ready.wait(), HEARTBEAT_SECONDS)
                subscriber.ready.clear()
                if not subscriber.waiting and not subscriber.closed:
                    await _body(send, sse.HEARTBEAT, subscriber.packed)
                while subscriber.waiting and not subscriber.closed:
                    await _body(send, subscriber.waiting.popleft(), None)
        finally:
            self.subscribers.discard(subscriber)
            feed = self.feeds.get(subscriber.store)
            if feed is not None:
                feed.subscribers.discard(subscriber)

    async def _join(self, cred: NodeCredential, subscriber: Subscriber, send: Any) -> None:
        """Pages read for this till alone until its cursor reaches its store's feed (or
        there is none yet and it is up to date), then it joins the feed. The check and
        the joining are one step of the event loop: no batch can pass in between."""
        caught_up, first = False, True
        while not subscriber.closed:
            feed = self.feeds.get(subscriber.store)
            if feed is None and caught_up:
                feed = self.feeds[subscriber.store] = StoreFeed(
                    self, subscriber.store, subscriber.cursor
                )
                feed.subscribers.add(subscriber)
                feed.start()
                return
            if feed is not None and not first and subscriber.cursor >= feed.position:
                feed.subscribers.add(subscriber)
                return
            try:
                page = await _db(
                    hub.pull_page,
                    cred,
                    subscriber.cursor,
                    CATCH_UP_LIMIT,
                    touch=first,
                    note=subscriber.note if first else None,
                )
            except compaction.Behind:
                # Cut meanwhile: the stream ends, and the till's reconnection is answered
                # 410 (it takes a snapshot first).
                subscriber.close()
                return
            first = False
            if page.changes:
                plain, packed = frames(page, packed=subscriber.packed, schema=subscriber.schema)
                await _body(send, packed or plain, None)
            subscriber.cursor = max(subscriber.cursor, page.cursor)
            caught_up = not page.more

    def close_all(self) -> None:
        """The server stops: every stream ends (its till reconnects, to another process
        or after the restart), and the feeds with them; so does every stream that starts
        from now on."""
        self.stopping = True
        for subscriber in list(self.subscribers):
            subscriber.close()
        for feed in list(self.feeds.values()):
            if feed.task is not None:
                feed.task.cancel()
        if self._checker is not None:
            self._checker.cancel()


streams = Streams()


async def _body(send: Any, data: bytes, packed_from: bool | None) -> None:
    """Send ``data``; ``packed_from``: compress it first (True) or not."""
    if packed_from:
        data = compression.compress(data)
    await send({"type": "http.response.body", "body": data, "more_body": True})
