"""The live stream's ASGI application (``GET /api/sync/v1/stream``), mounted by
``comptoir.asgi`` before Django: the request checked as the pull view checks it (the
versions, the host, the bearer token, the cursor, the log's cut), then the till handed to
its store's feed (:mod:`.stream`); and the server process's stop, which ends every stream
and long poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from comptoir.sync import notify
from comptoir.sync.clock import wall_ms
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import auth, compaction, compression, jsontext, sse
from comptoir.syncengine.protocol import (
    ProtocolError,
    VersionRefused,
    envelope,
    peer_schema,
)
from comptoir.syncengine.stream import (
    RETRY_MILLISECONDS,
    Subscriber,
    _body,
    _db,
    streams,
)
from comptoir.syncengine.views import _int, _node_news, _unrecognised

log = logging.getLogger("comptoir.sync")
# -- the ASGI application -----------------------------------------------------------------


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }
    with translation.override(_language(headers.get("accept-language", ""))):
        refusal = await _refusal(scope, headers)
        if refusal is not None:
            status, message, extra = refusal
            await _error(send, status, message, extra)
            return
        cred = await _credential(headers)
        if cred is None:
            await _error(send, 401, _unrecognised(), [])
            return
        try:
            cursor = _cursor(scope, headers)
            note = _node_news(_pending(scope), headers.get("user-agent", ""))
        except ProtocolError as exc:
            await _error(send, 400, str(exc), [])
            return
        try:  # (as a pull answers it: the till takes a snapshot, then streams)
            await _db(compaction.check_cursor, cred.till.store_id, cursor)
        except compaction.Behind as exc:
            await _error(send, 410, exc.message, [], cut=exc.through)
            return
    packed = "zstd" in compression.accepted(headers.get("accept-encoding", ""))
    subscriber = Subscriber(
        node=cred.node_id,
        token_hash=cred.token_hash,
        store=str(cred.till.store_id),
        cursor=cursor,
        packed=packed,
        schema=_peer_schema(headers),
        note=note,
    )
    response_headers = [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-cache, no-store"),
        (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
        (b"vary", b"Accept-Encoding"),
    ]
    if packed:
        response_headers.append((b"content-encoding", b"zstd"))
    await send({"type": "http.response.start", "status": 200, "headers": response_headers})
    await _body(send, sse.retry(RETRY_MILLISECONDS), packed)
    follower = asyncio.ensure_future(streams.follow(cred, subscriber, send))
    watcher = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait([follower, watcher], return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone = watcher.done()
        subscriber.close()
        watcher.cancel()
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
    if follower.done() and not follower.cancelled() and follower.exception() is not None:
        log.error("flux de %s interrompu", cred.node_id, exc_info=follower.exception())
    if not gone:
        with contextlib.suppress(OSError):  # (the till may go meanwhile)
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _language(header: str) -> str:
    for code, _quality in parse_accept_lang_header(header):
        with contextlib.suppress(LookupError):
            return translation.get_supported_language_variant(code)
    return str(settings.LANGUAGE_CODE)


async def _refusal(
    scope: dict[str, Any], headers: dict[str, str]
) -> tuple[int, str, list[tuple[bytes, bytes]]] | None:
    """Why this request gets no stream (status, message, extra headers), or None."""
    if scope["method"] != "GET":
        return (
            405,
            _("Méthode %(m)s non acceptée ici (attendu : %(a)s).")
            % {"m": scope["method"][:10], "a": "GET"},
            [(b"allow", b"GET")],
        )
    domain, _port = split_domain_port(headers.get("host", ""))
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return 400, _("Hôte non autorisé."), []
    try:
        _peer_schema(headers)
    except VersionRefused as exc:  # (as a pull is refused: what to update)
        return 426, str(exc), []
    if settings.COMPTOIR_ROLE != "hub":
        return 404, _("Pas de flux ici : seul le serveur central en sert un."), []
    return None


def _peer_schema(headers: dict[str, str]) -> int:
    """The schema the stream speaks with this post: its own (this one or the previous);
    :class:`VersionRefused` for any other."""
    return peer_schema(headers.get("x-comptoir-protocol"), headers.get("x-comptoir-schema"))


async def _credential(headers: dict[str, str]) -> NodeCredential | None:
    """The live credential of the request's bearer token, or None."""
    authorization = headers.get("authorization", "")
    token = authorization[7:] if authorization.startswith("Bearer ") else ""
    if not token:
        return None
    return await _db(auth.credential_for, token)


def _query(scope: dict[str, Any], name: str) -> str | None:
    """The first value of query parameter ``name``, or None."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return (query.get(name) or [None])[0]


def _pending(scope: dict[str, Any]) -> int:
    """The post's outbox as it says it (``pending``), or -1 when it does not."""
    return _int(_query(scope, "pending"), -1, -1, 10**9)


def _cursor(scope: dict[str, Any], headers: dict[str, str]) -> int:
    """Where the stream starts: ``Last-Event-ID`` (a reconnection), else the ``cursor``
    parameter, else 0; clamped as a pull's cursor is, and refused as it is when it is
    not an integer (:class:`ProtocolError`)."""
    last = headers.get("last-event-id")
    if last is not None:
        return _int(last, 0, 0, 2**62)
    return _int(_query(scope, "cursor"), 0, 0, 2**62)


async def _error(
    send: Any, status: int, message: str, extra: list[tuple[bytes, bytes]], **fields: Any
) -> None:
    body = jsontext.dumps({"error": message, **fields, **envelope(wall_ms())})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"content-language", translation.get_language().encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# -- the server process's stop ----------------------------------------------------------------


def stop_held_requests() -> None:
    """The server stops: end every stream and every waiting long poll, now and as they
    come (uvicorn waits for the responses under way before it exits, and a till may
    reconnect in the moment before it stops accepting)."""
    streams.close_all()
    notify.waiter.stop()


def close_on_exit_signals() -> None:
    """Under ``comptoir serve``: on SIGTERM or SIGINT, end every stream and long poll
    (:func:`stop_held_requests`), then let uvicorn stop as it does (it waits for the
    responses under way, which a stream never ends by itself). Call at start-up, in the
    server's event loop."""
    if threading.current_thread() is not threading.main_thread():
        return
    # Streams are served by a hub, on a Linux server; a till (Windows too) serves none.
    if sys.platform != "win32":
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(number)
            if not callable(previous):
                continue

            def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(stop_held_requests)
                previous(signum, frame)

            signal.signal(number, handler)
