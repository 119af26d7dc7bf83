"""Server-sent events as the live stream carries them (``GET stream``). Pure: both sides.

An event is ``id: CURSOR`` then ``data: PAGE``: the page of changes (the JSON a pull
answers, on one line: JSON escapes every line break) and the cursor it brings the till
to, which the till gives back as ``Last-Event-ID`` when it reconnects. A comment line
(``:``) is a heartbeat: it keeps proxies from closing an idle connection, and tells the
till that the stream is alive.

Each event may travel as a Zstandard frame of its own (``Content-Encoding: zstd``: a
series of frames is one zstd stream, RFC 8878), so that the hub compresses a page once
for every till it goes to; :class:`FrameDecoder` reads such a series as it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

import zstandard

HEARTBEAT = b":\n\n"
# At most this much text for one event (a page of 1,000 invoices is about 4 MB of JSON).
MAX_EVENT_BYTES = 64 * 1024 * 1024
_MAX_WINDOW = 8 * 1024 * 1024


def event(cursor: int, data: bytes) -> bytes:
    """One event: the page ``data`` (JSON, one line) that brings the till to ``cursor``."""
    if b"\n" in data or b"\r" in data:
        raise ValueError("an event's data is one line")
    return b"id: %d\ndata: %s\n\n" % (cursor, data)


def retry(milliseconds: int) -> bytes:
    """How long a client waits before reconnecting after the stream ends."""
    return b"retry: %d\n\n" % milliseconds


@dataclass(frozen=True)
class Event:
    id: str | None  # None: the event set no id
    data: bytes


class EventParser:
    """Events out of a text/event-stream's bytes, fed as they arrive (any cut).

    Follows the HTML standard's parsing: lines end with LF, CRLF or CR; ``data`` lines
    are joined with LF; an event is dispatched at an empty line, and only if it has data;
    comments and unknown fields are skipped. More than :data:`MAX_EVENT_BYTES` without
    an event's end is refused (:class:`ValueError`).
    """

    def __init__(self, limit: int = MAX_EVENT_BYTES) -> None:
        self._limit = limit
        self._pending: list[bytes] = []  # the start of a line: its parts
        self._pending_size = 0
        self._after_cr = False
        self._data: list[bytes] = []
        self._id: str | None = None
        self._size = 0

    def feed(self, chunk: bytes) -> list[Event]:
        if self._after_cr and chunk.startswith(b"\n"):  # the second half of a CRLF
            chunk = chunk[1:]
        self._after_cr = chunk.endswith(b"\r")
        if b"\n" not in chunk and b"\r" not in chunk:  # (a large event, a piece of it)
            self._pending.append(chunk)
            self._pending_size += len(chunk)
            if self._size + self._pending_size > self._limit:
                raise ValueError("event too large")
            return []
        events: list[Event] = []
        text = b"".join(self._pending) + chunk
        lines = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        rest = lines.pop()
        self._pending, self._pending_size = [rest], len(rest)
        for line in lines:
            if not line:
                if self._data:
                    events.append(Event(self._id, b"\n".join(self._data)))
                self._data, self._size = [], 0
                continue
            name, colon, value = line.partition(b":")
            if not name:  # a comment
                continue
            if colon and value.startswith(b" "):
                value = value[1:]
            if name == b"data":
                self._data.append(value)
                self._size += len(value)
            elif name == b"id" and b"\0" not in value:
                self._id = value.decode("utf-8", "replace")
        if self._size + self._pending_size > self._limit:
            raise ValueError("event too large")
        return events


class FrameDecoder:
    """The bytes of a series of zstd frames, decoded as they arrive (a frame may be cut
    anywhere; each ends with its own event). A frame may not ask for a window over
    8 MiB (what our level uses is 2 MiB)."""

    def __init__(self) -> None:
        self._decompressor = zstandard.ZstdDecompressor(max_window_size=_MAX_WINDOW)
        self._frame: zstandard.ZstdDecompressionObj | None = None

    def feed(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            if self._frame is None:
                self._frame = self._decompressor.decompressobj()
            out.append(self._frame.decompress(chunk))
            if not self._frame.eof:
                break
            chunk = self._frame.unused_data
            self._frame = None
        return b"".join(out)
