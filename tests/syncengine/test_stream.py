"""The hub's live stream (``syncengine.stream``) in process, through the served ASGI
application: what a till receives, from which cursor, and what it never receives."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msgspec
import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from comptoir import asgi
from comptoir.lib.ids import new_id
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create
from comptoir.sync import wire
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import auth, compaction, hub, sse, stream, streamapp
from comptoir.syncengine.protocol import (
    PROTOCOL_VERSION,
    SCHEMA_VERSION,
    Page,
    check_change,
    decode,
)
from tests.factories import at, make_article

pytestmark = pytest.mark.django_db(transaction=True)


class Reader:
    """One till's stream, read as a till reads it."""

    def __init__(self, token: str | None, *, query: str = "", **headers: str) -> None:
        sent = {
            "host": "127.0.0.1",
            "x-comptoir-protocol": str(PROTOCOL_VERSION),
            "x-comptoir-schema": str(SCHEMA_VERSION),
            "accept-encoding": "zstd",
            **({"authorization": f"Bearer {token}"} if token else {}),
            **{k.replace("_", "-"): v for k, v in headers.items()},
        }
        method = sent.pop("method", "GET")
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": stream.PATH,
            "raw_path": stream.PATH.encode(),
            "query_string": query.encode(),
            "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        self.pages: list[tuple[str | None, Page]] = []
        self.ended = False
        self.status = 0
        self.headers: dict[bytes, bytes] = {}
        self.body = b""

    async def open(self) -> Reader:
        self.app = ApplicationCommunicator(asgi.application, self.scope)
        await self.app.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await self.app.receive_output(5)
        self.status = start["status"]
        self.headers = dict(start["headers"])
        packed = self.headers.get(b"content-encoding") == b"zstd"
        self.frames = sse.FrameDecoder() if packed else None
        self.parser = sse.EventParser()
        return self

    async def read(self, until: Callable[[Reader], bool], timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not until(self) and not self.ended:
            left = deadline - asyncio.get_running_loop().time()
            assert left > 0, f"rien de tel reçu en {timeout} s : {self.rows()}"
            message = await self.app.receive_output(left)
            chunk = message.get("body", b"")
            self.body += chunk
            text = self.frames.feed(chunk) if self.frames is not None else chunk
            for event in self.parser.feed(text):
                self.pages.append((event.id, decode(event.data, Page)))
            self.ended = not message.get("more_body", False)

    async def nothing_for(self, seconds: float) -> bool:
        return await self.app.receive_nothing(seconds)

    async def close(self) -> None:
        await self.app.send_input({"type": "http.disconnect"})
        await self.app.wait(5)

    def rows(self) -> list[str]:
        return [c.row for _id, page in self.pages for c in page.changes]

    @property
    def cursor(self) -> int:
        return self.pages[-1][1].cursor if self.pages else -1


def _enrolled(name: str, node: str, store: str | None = None) -> tuple[str, Till]:
    return auth.enrollment_redeem(code=auth.enrollment_create(name=name, store=store), node_id=node)


_SOLD: dict[str, int] = {}


def _pushed_sale(token: str, node_till: Till) -> str:
    """A sale of ``node_till``'s post, pushed by it: a copy of a sale made on the hub,
    with a new id and the next number of that till's series (its id)."""
    template = wire.states([("sales.invoice", TEMPLATE[0])])[("sales.invoice", TEMPLATE[0])][1]
    rows = copy.deepcopy(template["rows"])
    root = rows["sales.invoice"][0]
    number = _SOLD[node_till.prefix] = _SOLD.get(node_till.prefix, 0) + 1
    root.update(
        id=str(new_id()),
        till_id=str(node_till.pk),
        store_id=str(node_till.store_id),
        sequence=number,
        number=f"{node_till.prefix}-{root['year']}-{number:06d}",
    )
    change = check_change(
        {
            "id": str(uuid.uuid4()),
            "model": "sales.invoice",
            "row": root["id"],
            "kind": "fact",
            "data": {"rows": rows},
        }
    )
    cred = auth.credential_for(token)
    assert cred is not None
    assert hub.push_apply(cred, [change])[0].status == "applied"
    return str(root["id"])


TEMPLATE: list[Any] = []


@pytest.fixture
def posts(till: Till) -> dict[str, Any]:
    """Two tills of the hub's store and two of another store."""
    make_article("PAIN", "1.20")
    TEMPLATE[:] = [invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(2)).pk]
    _SOLD.clear()
    store_get_or_create(name="Autre magasin")
    return {
        "a": _enrolled("Caisse A", "node-a"),
        "b": _enrolled("Caisse B", "node-b"),
        "other": _enrolled("Caisse Z", "node-z", store="Autre magasin"),
        "other2": _enrolled("Caisse Y", "node-y", store="Autre magasin"),
    }


@pytest.fixture(autouse=True)
def one_database_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The streams' database work and the test's writes in one thread, one at a time: the
    test database is SQLite in memory, whose shared cache locks whole tables (a served
    hub's SQLite file, in WAL, lets readers and a writer go on together)."""
    executor = ThreadPoolExecutor(max_workers=1)
    monkeypatch.setattr(stream, "_executor", executor)
    yield
    executor.shutdown()


def run(scenario: Callable[[], Any]) -> None:
    async_to_sync(scenario)()


async def db(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await stream._db(function, *args, **kwargs)


def test_a_sale_reaches_the_other_tills_of_its_store_only_as_a_pull_page_would(
    posts: dict[str, Any],
) -> None:
    start = hub.log_head()
    query = f"cursor={start}"

    async def scenario() -> None:
        a, b, other, other2 = [
            await Reader(posts[k][0], query=query).open() for k in ("a", "b", "other", "other2")
        ]
        assert a.status == 200
        assert a.headers[b"content-type"].startswith(b"text/event-stream")
        assert a.headers[b"x-accel-buffering"] == b"no"
        sold_a = await db(_pushed_sale, *posts["a"])
        sold_z = await db(_pushed_sale, *posts["other"])
        article = await db(make_article, "LAIT", "0.90")
        head = await db(hub.log_head)
        for reader in (a, b, other, other2):
            await reader.read(lambda r: r.cursor >= head)
        assert sold_a in b.rows()
        assert sold_a not in a.rows()  # its own
        assert sold_a not in other.rows()  # another store's
        assert sold_z in other2.rows()
        assert sold_z not in b.rows()
        assert all(str(article.pk) in r.rows() for r in (a, b, other))  # reference data
        # What the stream sent is what a pull from the same cursor answers.
        cred = await db(auth.credential_for, posts["b"][0])
        pulled = await db(hub.pull_page, cred, start, 100)
        sent = [c for _id, page in b.pages for c in page.changes]
        assert msgspec.to_builtins(sent) == msgspec.to_builtins(pulled.changes)
        assert b.pages[-1][0] == str(pulled.cursor)  # the event's id: its cursor
        # One feed per store, read once for all of its tills.
        assert sorted(len(f.subscribers) for f in stream.streams.feeds.values()) == [2, 2]
        for reader in (a, b, other, other2):
            await reader.close()

    run(scenario)


def test_a_till_resumes_from_its_last_event_without_a_gap_or_a_repeat(
    posts: dict[str, Any],
) -> None:
    token = posts["b"][0]
    start = hub.log_head()

    async def scenario() -> None:
        first = await Reader(token, query=f"cursor={start}").open()
        sold = [await db(_pushed_sale, *posts["a"])]
        await first.read(lambda r: sold[0] in r.rows())
        await first.close()  # cut: the till is away while two more sales are made
        last = first.pages[-1][0]
        assert last is not None
        for _ in range(2):
            sold.append(await db(_pushed_sale, *posts["a"]))
        # The id it last got wins over the cursor in the address (a reconnection).
        again = await Reader(token, query="cursor=0", last_event_id=last).open()
        await again.read(lambda r: sold[-1] in r.rows())
        assert [r for r in again.rows() if r in sold] == sold[1:]
        await again.close()

    run(scenario)


def test_a_revoked_till_s_stream_is_closed_and_its_token_refused(
    posts: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "CHECK_SECONDS", 0.2)
    token = posts["b"][0]

    async def scenario() -> None:
        reader = await Reader(token).open()
        await reader.read(lambda r: bool(r.pages))  # brought up to date first
        await db(auth.node_revoke, name="Caisse B")
        await reader.read(lambda r: False, timeout=5)
        assert reader.ended
        refused = await Reader(token).open()
        assert refused.status == 401
        await refused.read(lambda r: False)
        assert "révoqué" in json.loads(refused.body)["error"]

    run(scenario)


def test_idle_streams_of_every_store_cost_one_check_and_one_touch_per_round(
    posts: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What holding a stream costs must not grow with the number of stores: each round
    checks every stream's token in one call (it was a call per store), and the contact
    and cursor of all of them are noted together."""
    monkeypatch.setattr(stream, "CHECK_SECONDS", 0.2)
    monkeypatch.setattr(stream, "TOUCH_SECONDS", 0.0)
    calls: list[tuple[set[str], set[str] | None]] = []
    checked = stream.credentials_check

    def counted(tokens: dict[str, str], cursors: dict[str, int] | None) -> set[str]:
        calls.append((set(tokens), set(cursors) if cursors is not None else None))
        return checked(tokens, cursors)

    monkeypatch.setattr(stream, "credentials_check", counted)

    async def scenario() -> None:
        readers = [await Reader(posts[key][0]).open() for key in ("a", "other")]
        for reader in readers:
            await reader.read(lambda r: bool(r.pages))
        await asyncio.sleep(1.0)
        for reader in readers:
            await reader.close()

    run(scenario)
    both = {"node-a", "node-z"}
    rounds = [tokens for tokens, _cursors in calls if tokens == both]
    assert len(rounds) >= 2, calls
    assert all(tokens <= both for tokens, _ in calls)
    assert len(calls) <= len(rounds) + 2  # (a round before the second stream opened)
    assert any(cursors == both for _, cursors in calls)
    noted = dict(
        NodeCredential.objects.filter(node_id__in=both).values_list("node_id", "pull_cursor")
    )
    assert noted["node-a"] > 0, noted
    assert noted["node-z"] > 0, noted


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"authorization": "Bearer nope"}, 401),
        ({"x_comptoir_protocol": "1"}, 426),
        ({"method": "POST"}, 405),
        ({"host": "evil.example"}, 400),
    ],
)
def test_a_stream_is_refused_as_a_pull_is(
    posts: dict[str, Any], headers: dict[str, str], status: int
) -> None:
    async def scenario() -> None:
        reader = await Reader(posts["a"][0], **headers).open()
        await reader.read(lambda r: False)
        assert reader.status == status
        assert json.loads(reader.body)["error"]
        assert not stream.streams.feeds

    run(scenario)


def test_a_till_behind_the_log_s_cut_is_told_so_by_the_stream_as_by_a_pull(
    posts: dict[str, Any],
) -> None:
    """Its catch-up would skip what the cut removed: 410, with the cut, before any event;
    a till past the cut streams."""
    token = posts["b"][0]
    start = hub.log_head()
    _pushed_sale(*posts["a"])
    cut = hub.log_head()
    compaction.log_compact(before_seq=cut)

    async def scenario() -> None:
        behind = await Reader(token, query=f"cursor={start}").open()
        await behind.read(lambda r: False)
        assert behind.status == 410
        assert json.loads(behind.body)["cut"] == cut
        assert not stream.streams.feeds
        past = await Reader(token, query=f"cursor={cut}").open()
        assert past.status == 200
        await past.close()

    run(scenario)


def test_an_event_carries_its_page_on_one_line_and_refuses_a_line_break() -> None:
    assert sse.event(42, b'{"a":1}') == b'id: 42\ndata: {"a":1}\n\n'
    with pytest.raises(ValueError, match="one line"):
        sse.event(1, b"{\n}")


def test_events_are_read_whatever_the_cuts_and_line_ends() -> None:
    events = [sse.event(n, b'{"n":%d}' % n) for n in range(30)]
    text = b"".join(sse.HEARTBEAT + e if n % 4 else e for n, e in enumerate(events))
    expected = [(str(n), b'{"n":%d}' % n) for n in range(30)]
    for line_end in (b"\n", b"\r\n", b"\r"):
        raw = sse.retry(2000) + text.replace(b"\n", line_end)
        for cut in (1, 2, 3, 7, len(raw)):
            parser = sse.EventParser()
            got = [e for i in range(0, len(raw), cut) for e in parser.feed(raw[i : i + cut])]
            assert [(e.id, e.data) for e in got] == expected


def test_an_event_spread_over_several_data_lines_is_joined_and_an_endless_one_refused() -> None:
    parser = sse.EventParser(limit=100)
    assert [e.data for e in parser.feed(b"data: a\ndata: b\n\n")] == [b"a\nb"]
    with pytest.raises(ValueError, match="too large"):
        parser.feed(b"data: " + b"x" * 200)


def test_zstd_frames_are_decoded_whatever_the_cuts() -> None:
    from comptoir.syncengine import compression

    events = [sse.event(n, b'{"n":%d}' % n) for n in range(20)]
    packed = b"".join(compression.compress(e) for e in events)
    for cut in (1, 5, 64, len(packed)):
        decoder = sse.FrameDecoder()
        out = b"".join(decoder.feed(packed[i : i + cut]) for i in range(0, len(packed), cut))
        assert out == b"".join(events)


def test_a_stopping_server_ends_every_stream_and_long_poll_even_those_that_start_then(
    posts: dict[str, Any],
) -> None:
    """SIGTERM: uvicorn waits for the responses under way before it exits. A till whose
    stream was just closed reconnects at once, before the server stops accepting: that
    stream, and a long poll, must end too, or the server waits for them for ever."""
    token = posts["b"][0]

    async def long_poll(cursor: int) -> tuple[int, float]:
        scope = {
            **Reader(token).scope,
            "path": "/api/sync/v1/pull",
            "raw_path": b"/api/sync/v1/pull",
            "query_string": f"cursor={cursor}&wait=20".encode(),
        }
        app = ApplicationCommunicator(asgi.application, scope)
        await app.send_input({"type": "http.request", "body": b"", "more_body": False})
        started = asyncio.get_running_loop().time()
        start = await app.receive_output(10)
        await app.receive_output(10)
        return start["status"], asyncio.get_running_loop().time() - started

    async def scenario() -> None:
        before = await Reader(token).open()
        await before.read(lambda r: bool(r.pages))
        first = asyncio.ensure_future(long_poll(before.cursor))  # up to date: it waits
        await asyncio.sleep(0.5)
        assert not first.done()

        streamapp.stop_held_requests()  # what SIGTERM calls, in the server's event loop

        await before.read(lambda r: False, timeout=5)
        assert before.ended
        assert (await first)[0] == 200
        after = await Reader(token).open()  # the till, reconnecting at once
        assert after.status == 200
        await after.read(lambda r: False, timeout=5)
        assert after.ended
        status, seconds = await long_poll(before.cursor)
        assert status == 200
        assert seconds < 5, seconds

    run(scenario)


def test_a_till_of_the_previous_schema_streams_pages_written_in_its_schema(
    posts: dict[str, Any],
) -> None:
    """A hub at version N serves tills at N−1 on the stream too, as a pull would: the
    models and fields that schema does not know are left out (the enrollments are events
    of the hub's post, whose chain fields came with schema 3)."""
    token = posts["b"][0]

    def event_fields(reader: Reader) -> set[str]:
        return {
            name
            for _id, page in reader.pages
            for change in page.changes
            if change.model == "events.technicalevent"
            for row in change.data.rows["events.technicalevent"]
            for name in row
        }

    async def scenario() -> None:
        current = await Reader(token).open()
        await current.read(lambda r: bool(event_fields(r)))
        await current.close()
        older = await Reader(token, x_comptoir_schema=str(SCHEMA_VERSION - 1)).open()
        assert older.status == 200
        await older.read(lambda r: bool(event_fields(r)))
        await older.close()
        assert {page.schema for _id, page in older.pages} == {SCHEMA_VERSION - 1}
        assert "chain_hash" in event_fields(current)
        assert "chain_hash" not in event_fields(older)
        assert event_fields(older) < event_fields(current)

    run(scenario)


def test_a_streaming_till_s_outbox_and_version_are_noted_on_the_hub_as_a_pull_s_are(
    posts: dict[str, Any],
) -> None:
    """The hub's sync page shows each till's pending changes: a till that streams instead
    of polling says them when it connects."""
    from comptoir.sync.models import NodeCredential

    token = posts["b"][0]

    async def scenario() -> None:
        reader = await Reader(token, query="cursor=0&pending=7", user_agent="comptoir/0.2.0").open()
        await reader.read(lambda r: bool(r.pages))
        await reader.close()
        noted = await db(
            lambda: NodeCredential.objects.values("pending_count", "version").get(node_id="node-b")
        )
        assert noted == {"pending_count": 7, "version": "0.2.0"}

    run(scenario)
