"""Compressed bodies of the sync API: Zstandard (RFC 8878) by preference, gzip otherwise.

Zstandard, at level 3, makes a page of invoices (as protocol 2 sends them) about a third
of gzip's size (its window spans the whole page, so an article or a label named by many
invoices is sent once) in a seventh of the time. Requests are decoded with a ceiling on what they
may grow to; answers are encoded for the encodings the client accepts.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import zstandard
from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.decorators import sync_and_async_middleware
from django.utils.text import compress_string
from django.utils.translation import gettext as _

from comptoir.syncengine.protocol import MAX_BODY_BYTES, PREFIX, ProtocolError

LEVEL = 3
MIN_SIZE = 200  # bytes: below this, compressing costs more than it saves
# What a frame may ask the decoder to hold in memory: our level 3 uses at most 2 MiB.
MAX_WINDOW = 8 * 1024 * 1024

_compressor = zstandard.ZstdCompressor(level=LEVEL)
_decompressor = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW)


def compress(raw: bytes) -> bytes:
    return _compressor.compress(raw)


def decompress(encoding: str, raw: bytes, limit: int = MAX_BODY_BYTES) -> bytes:
    """A request body as sent (``Content-Encoding``), decoded; at most ``limit`` bytes."""
    if encoding == "identity":
        return raw
    if encoding == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out = inflater.decompress(raw, limit + 1)
        except zlib.error:
            raise ProtocolError(_("Corps gzip illisible.")) from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise ProtocolError(_("Corps trop volumineux."))
        return out
    if encoding == "zstd":
        return _unzstd(raw, limit)
    raise ProtocolError(
        _("Encodage « %(e)s » non pris en charge : zstd, gzip ou rien.") % {"e": encoding[:40]}
    )


def _unzstd(raw: bytes, limit: int) -> bytes:
    """One zstd frame (what follows it is ignored, as with gzip members), whole and at most
    ``limit`` bytes once decoded; a frame asking for a window over :data:`MAX_WINDOW`
    is refused before anything is allocated."""
    declared = zstandard.CONTENTSIZE_UNKNOWN
    try:
        declared = zstandard.get_frame_parameters(raw).content_size
        if declared != zstandard.CONTENTSIZE_UNKNOWN and declared > limit:
            raise ProtocolError(_("Corps trop volumineux."))
        return _decompressor.decompress(raw, max_output_size=limit + 1)
    except zstandard.ZstdError:
        if declared == zstandard.CONTENTSIZE_UNKNOWN and _grows_over(raw, limit):
            raise ProtocolError(_("Corps trop volumineux.")) from None
        raise ProtocolError(_("Corps zstd illisible.")) from None


def _grows_over(raw: bytes, limit: int) -> bool:
    """Whether a frame of unknown size decodes to more than ``limit`` bytes (read in steps,
    so that a bomb is never held whole)."""
    total = 0
    try:
        with _decompressor.stream_reader(raw) as reader:
            while chunk := reader.read(1024 * 1024):
                total += len(chunk)
                if total > limit:
                    return True
    except zstandard.ZstdError:
        pass
    return False


def accepted(header: str) -> set[str]:
    """The codings an ``Accept-Encoding`` header accepts (those not given ``q=0``)."""
    out = set()
    for item in header.lower().split(","):
        name, _sep, params = item.partition(";")
        quality = params.strip().removeprefix("q=")
        try:
            refused = params.strip().startswith("q=") and float(quality) == 0
        except ValueError:
            refused = False
        if name.strip() and not refused:
            out.add(name.strip())
    return out


def _encoded(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if not request.path.startswith(PREFIX):
        return response
    patch_vary_headers(response, ("Accept-Encoding",))
    if (
        response.streaming
        or response.has_header("Content-Encoding")
        or len(response.content) < MIN_SIZE  # type: ignore[attr-defined]
    ):
        return response
    codings = accepted(request.headers.get("Accept-Encoding", ""))
    body: bytes = response.content  # type: ignore[attr-defined]
    if "zstd" in codings:
        response.content = compress(body)  # type: ignore[attr-defined]
        response.headers["Content-Encoding"] = "zstd"
    elif "gzip" in codings:
        response.content = compress_string(body)  # type: ignore[attr-defined]
        response.headers["Content-Encoding"] = "gzip"
    else:
        return response
    response.headers["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]
    return response


@sync_and_async_middleware
def api_compression(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """Encodes the sync API's answers (zstd, else gzip). Async and sync without a thread
    hop (Django's own ``GZipMiddleware`` goes through a thread under ASGI)."""
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponseBase:
            return _encoded(request, await get_response(request))

    else:

        def middleware(request: HttpRequest) -> HttpResponseBase:  # type: ignore[misc]
            return _encoded(request, get_response(request))

    return middleware
