"""The live stream (``GET stream``) under hostile input, held to the OpenAPI description.

The stream is an ASGI application of its own (not a Django route), so it is spoken to
through ``comptoir.asgi`` directly. A stream that is granted never ends by itself: it is
read for a short while only (until its first page, or a few hundred milliseconds), then
the client goes away, so that no test can hang on it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from comptoir import asgi
from comptoir.syncengine import hub, sse, stream
from tests.hostile import openapi
from tests.hostile.conftest import FRENCH, TALLY, VERSIONS, Node, enrolled
from tests.hostile.test_authorization import UNKNOWN, header_forms

pytestmark = pytest.mark.django_db(transaction=True)

READ_SECONDS = 0.5  # a granted stream: read this long at most


@pytest.fixture(autouse=True)
def one_database_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The stream's database work in one thread (SQLite in memory: see
    ``tests/syncengine/test_stream.py``)."""
    executor = ThreadPoolExecutor(max_workers=1)
    monkeypatch.setattr(stream, "_executor", executor)
    yield
    executor.shutdown()


@pytest.fixture
def streamer(node: Node) -> Node:
    """Another till of the node's store: it sees the node's sales on its stream."""
    return enrolled(node.store, "Caisse 3", "node-3")


async def _ask(headers: dict[str, str], query: str = "", method: str = "GET") -> dict[str, Any]:
    """One request to the stream: its status, headers, the body read (for a granted
    stream, for :data:`READ_SECONDS` or until its first page), and the events in it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": stream.PATH,
        "raw_path": stream.PATH.encode(),
        "query_string": query.encode("latin-1"),
        "headers": [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in {"Host": "127.0.0.1", **headers}.items()
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    app = ApplicationCommunicator(asgi.application, scope)
    await app.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await app.receive_output(5)
    body, ended = b"", False
    events: list[sse.Event] = []
    parser = sse.EventParser()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READ_SECONDS
    while not ended and not events and loop.time() < deadline:
        if await app.receive_nothing(0.02, 0.005):
            continue  # (nothing yet: asking again cannot hang)
        message = await app.receive_output(1)
        body += message.get("body", b"")
        events += parser.feed(message.get("body", b""))
        ended = not message.get("more_body", False)
    if not ended:
        await app.send_input({"type": "http.disconnect"})
    await app.wait(5)
    return {
        "status": start["status"],
        "headers": {k.decode(): v.decode() for k, v in start["headers"]},
        "body": body,
        "events": events,
        "ended": ended,
    }


def ask(token: str | None, *, query: str = "", method: str = "GET", **extra: str) -> Any:
    headers = {**VERSIONS, **({"Authorization": f"Bearer {token}"} if token else {}), **extra}
    answer = async_to_sync(_ask)(headers, query, method)
    status = answer["status"]
    TALLY["requests stream"] += 1
    assert status < 500, answer
    if status == 200:
        assert answer["headers"]["content-type"].startswith("text/event-stream")
        data = openapi.operation("stream", "get")["responses"]["200"]["content"][
            "text/event-stream"
        ]["x-event-data"]
        for event in answer["events"]:
            assert (event.id or "").isdigit(), event
            problems = openapi.errors(json.loads(event.data), data)
            assert not problems, problems[:5]
    else:
        assert answer["ended"]
        body = json.loads(answer["body"])
        openapi.check_response("stream", "get", status, body)
        TALLY[f"refused stream {status}"] += 1
        assert body["error"].startswith(FRENCH), body["error"]
    return answer


@pytest.mark.parametrize("form", list(header_forms("x")))
def test_a_garbled_or_forged_authorization_header_is_a_french_401_on_the_stream(
    streamer: Node, form: str
) -> None:
    answer = ask(None, Authorization=header_forms(streamer.token)[form])
    assert answer["status"] == 401
    assert json.loads(answer["body"])["error"] == UNKNOWN
    assert not stream.streams.feeds


@pytest.mark.parametrize(
    ("query", "last_event_id"),
    [
        ("cursor=x", None),
        ("cursor=0x10", None),
        ("cursor=1e3", None),
        ("cursor=", None),
        ("cursor=" + "1" * 5000, None),
        ("cursor=%00", None),
        ("cursor=1", "abc"),
        ("", "-"),
        ("", ""),
        ("", "1.5"),
    ],
    ids=lambda value: repr(value)[:24],
)
def test_a_cursor_that_is_not_an_integer_is_a_french_400_on_the_stream(
    streamer: Node, query: str, last_event_id: str | None
) -> None:
    extra = {} if last_event_id is None else {"Last-Event-ID": last_event_id}
    answer = ask(streamer.token, query=query, **extra)
    assert answer["status"] == 400, answer
    assert json.loads(answer["body"])["error"].startswith("Paramètre entier invalide")
    assert not stream.streams.feeds


@pytest.mark.parametrize(
    "query", ["cursor=-5", f"cursor={2**80}", "cursor=%207%20", "cursor=3&cursor=x"], ids=repr
)
def test_an_out_of_range_cursor_is_clamped_and_the_stream_granted(
    streamer: Node, query: str
) -> None:
    answer = ask(streamer.token, query=query)
    assert answer["status"] == 200
    assert answer["body"].startswith(b"retry: ")
    assert all(0 <= int(e.id) <= 2**62 for e in answer["events"])


def test_a_wrong_version_or_method_is_refused_in_french_before_the_token(streamer: Node) -> None:
    assert ask(None, **{"X-Comptoir-Protocol": "1"})["status"] == 426
    assert ask(streamer.token, **{"X-Comptoir-Schema": "-1"})["status"] == 426
    refused = ask(streamer.token, method="POST")
    assert refused["status"] == 405
    assert refused["headers"]["allow"] == "GET"


def test_a_granted_stream_sends_documented_pages_and_is_only_read_briefly(
    streamer: Node,
) -> None:
    """A till that is behind gets its catch-up page at once, as the description says."""
    answer = ask(streamer.token, query="cursor=0", Accept="text/event-stream")
    assert answer["status"] == 200
    assert answer["headers"]["x-accel-buffering"] == "no"
    assert answer["events"], answer["body"][:300]
    assert int(answer["events"][0].id) <= hub.log_head()
