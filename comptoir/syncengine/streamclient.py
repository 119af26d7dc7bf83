"""The node's side of the live stream (``syncengine.stream``): one held connection on
which the hub sends this store's changes as they commit.

Each event is a page, applied as a pull's page is (``engine``'s code, the cursor stored
in the same transaction); the stream starts from the stored cursor and resumes from it
after a cut. Pages another puller applied meanwhile (the worker's full sync, a
``comptoir sync``) are skipped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import zstandard
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.lib.errors import ComptoirError
from comptoir.syncengine import engine, sse
from comptoir.syncengine.client import HubClient, HubRefused, HubUnreachable
from comptoir.syncengine.protocol import Page, ProtocolError, decode
from comptoir.syncengine.selectors import pending_count

# No byte for this long (three heartbeats of the hub): the stream is stalled, or a proxy
# holds the events back.
STALL_SECONDS = 45.0


class StreamUnavailable(ComptoirError):
    """The hub offers no usable stream (an older hub, a proxy that holds events back):
    the long poll does the work instead, and the stream is tried again later."""


def follow(
    client: HubClient,
    *,
    stop: threading.Event,
    on_page: Callable[[engine.Report], object] | None = None,
    on_open: Callable[[], object] | None = None,
    stall_seconds: float = STALL_SECONDS,
) -> None:
    """Apply the hub's stream of pages until it ends, ``stop`` is set, or it fails
    (:class:`HubUnreachable`, :class:`HubRefused`, :class:`StreamUnavailable`).

    ``on_open``: called once the hub accepted the stream; ``on_page``: after each page
    applied, with what it brought.
    """
    http = getattr(client, "http", None)
    if not isinstance(http, httpx.Client) or client.token_damaged:
        raise StreamUnavailable(_("Pas de flux pour ce client."))
    cursor = engine._stored_cursor()
    params = {"cursor": cursor, "pending": pending_count()}
    headers = {"Accept": "text/event-stream", "Last-Event-ID": str(cursor)}
    timeout = httpx.Timeout(30.0, read=stall_seconds)
    try:
        with http.stream("GET", "stream", params=params, headers=headers, timeout=timeout) as r:
            _opened(client, r)
            if on_open is not None:
                on_open()
            _read(client, r, cursor, stop, on_page)
    except httpx.ReadTimeout:
        raise StreamUnavailable(
            _("Flux muet depuis %(s)d s (un relais retient-il les événements ?).")
            % {"s": stall_seconds}
        ) from None
    except httpx.TimeoutException:
        raise HubUnreachable(_("Le serveur ne répond pas (délai dépassé).")) from None
    except httpx.HTTPError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            raise HubRefused(client._untrusted_certificate(), 495) from None
        raise HubUnreachable(
            _("Serveur injoignable : %(e)s") % {"e": exc.__class__.__name__}
        ) from None


def _opened(client: HubClient, response: httpx.Response) -> None:
    """The hub's answer is a stream, or why not."""
    if response.status_code in (404, 405, 501):  # a hub without the stream
        response.read()
        raise StreamUnavailable(
            _("Le serveur n'offre pas de flux (HTTP %(s)d).") % {"s": response.status_code}
        )
    if response.status_code >= 400:
        response.read()
        client._handle(response)  # raises what the hub said (revoked, versions...)
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    coding = response.headers.get("content-encoding", "identity").strip().lower()
    if kind != "text/event-stream" or coding not in ("identity", "zstd"):
        raise StreamUnavailable(
            _("Réponse inattendue au lieu du flux (%(t)s).") % {"t": kind[:40] or "?"}
        )


def _read(
    client: HubClient,
    response: httpx.Response,
    cursor: int,
    stop: threading.Event,
    on_page: Callable[[engine.Report], object] | None,
) -> None:
    packed = response.headers.get("content-encoding", "").strip().lower() == "zstd"
    frames = sse.FrameDecoder() if packed else None
    parser = sse.EventParser()
    for chunk in response.iter_raw():
        client.bytes_received += len(chunk)
        if stop.is_set():
            return
        try:
            events = parser.feed(frames.feed(chunk) if frames is not None else chunk)
        except (ValueError, zstandard.ZstdError) as exc:
            raise HubRefused(
                _("Flux illisible (%(e)s).") % {"e": exc.__class__.__name__}, 502
            ) from None
        for event in events:
            try:
                page = decode(event.data, Page)
            except ProtocolError as exc:
                raise HubRefused(
                    _("Réponse du serveur invalide : %(e)s") % {"e": exc}, 502
                ) from None
            client._check(
                200, {"hub_time": page.hub_time, "protocol": page.protocol, "schema": page.schema}
            )
            report = engine.Report()
            applied = page_apply(client, page, cursor, report)
            if applied is None:
                return  # the stored cursor went back (a restore): start again from it
            cursor = applied
            if on_page is not None:
                on_page(report)


def page_apply(client: HubClient, page: Page, cursor: int, report: engine.Report) -> int | None:
    """Apply a page of the stream that starts at ``cursor`` (the last one applied from it);
    the cursor stored after it. A page that another puller applied is skipped, and one
    that starts before what is stored is applied from there (pages are current states:
    applying one again changes nothing). None: the stored cursor is behind ``cursor``
    (set back meanwhile): the stream must start again from it."""
    while True:
        stored = engine._stored_cursor()
        if stored >= page.cursor:
            return stored
        if stored < cursor:
            return None
        if engine._apply_page(page, stored, report):
            engine._contact(client, last_pull_at=timezone.now())
            return page.cursor
        time.sleep(0)  # another puller stored its page in between: look again
