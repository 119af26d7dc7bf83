"""CSV imports of articles, customers and suppliers: all rows or none, written in chunks.

Two stages, so that no import holds a lock that a till's push needs for longer than a
fraction of a second (a push waits for the change-log lock, see ``sync.capture``):

1. **Check** the whole file, writing nothing: every row is cleaned by the functions the
   services use (same rules, same messages), then checked against the database and the
   file's other rows (a code taken twice in the file, a barcode that is another
   article's, an unknown supplier), with a few set-wise queries. If any row is refused,
   nothing is written and every refused row is reported with its line and reason.
2. **Write** in chunks sized to take about :data:`CHUNK_SECONDS` each (a few hundred to
   a few thousand rows), each in its own short transaction: new rows inserted by the
   sync engine's fast path (``insert_values``: no model instance per row, ``COPY`` on
   PostgreSQL), updates of the rows that differ, every write captured for sync (one
   change-log append per chunk). Each chunk takes the change-log lock first, as every
   hub write does, and holds it for the chunk only, so pushes from tills run between
   two chunks.

All or nothing therefore rests on the check: a chunk that still fails (the database
refusing a value the check let through, a lost connection) stops the import with a
plain message saying how many lines are in. The import is idempotent, which makes
that recoverable: a line whose code names an existing row updates that row with the
file's columns (and changes nothing when it is already so), a customer line without a
code is matched by its identical details, so importing the same file again finishes
the job and reaches the state a single run would have.
"""

from __future__ import annotations

import csv
import gc
import io
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.lib.errors import ComptoirError, ValidationError
from comptoir.ops.imports import articles, contacts
from comptoir.ops.imports.base import Counts, Plan, Row, RowError
from comptoir.sync import capture

__all__ = [
    "ARTICLE_COLUMNS",
    "CHUNK_ROWS",
    "CHUNK_SECONDS",
    "CONTACT_COLUMNS",
    "KINDS",
    "ImportInterruptedError",
    "ImportRefusedError",
    "ImportResult",
    "Row",
    "RowError",
    "guess_delimiter",
    "import_rows",
    "next_chunk_rows",
    "parse_csv",
    "read_text",
]

log = logging.getLogger(__name__)

ARTICLE_COLUMNS = articles.COLUMNS
CONTACT_COLUMNS = contacts.COLUMNS
# Chunks are sized by time: each one holds the change-log lock (a till's push waits for
# it) about CHUNK_SECONDS. The first has CHUNK_ROWS rows; each next one is sized from the
# pace of the last (see :func:`next_chunk_rows`). CHUNK_SECONDS = None: every chunk has
# CHUNK_ROWS rows.
CHUNK_SECONDS: float | None = 0.15
CHUNK_ROWS = 200
MIN_CHUNK_ROWS, MAX_CHUNK_ROWS = 20, 5000

# ``progress(stage, rows)``: rows checked ("check") or written ("write") so far.
Progress = Callable[[str, int], None]
Check = Callable[[Sequence[Row], Callable[[int], None] | None], tuple[list[Plan], list[RowError]]]


@dataclass(frozen=True)
class ImportKind:
    columns: tuple[str, ...]
    required: tuple[str, ...]
    check: Check  # the whole file, no write
    write: Callable[[Sequence[Plan], dict[str, Any]], Counts]  # one chunk


KINDS: dict[str, ImportKind] = {
    "articles": ImportKind(articles.COLUMNS, articles.REQUIRED, articles.check, articles.write),
    "customers": ImportKind(
        contacts.COLUMNS, ("name",), contacts.check_customers, contacts.write_customers
    ),
    "suppliers": ImportKind(
        contacts.COLUMNS, ("code", "name"), contacts.check_suppliers, contacts.write_suppliers
    ),
}


@dataclass(frozen=True)
class ImportResult:
    rows: int  # lines imported: created + updated + unchanged
    created: int
    updated: int
    unchanged: int


class ImportRefusedError(ValidationError):
    """At least one row was refused; nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        head = ngettext(
            "Import refusé, rien n'a été importé : %(n)d ligne en erreur.",
            "Import refusé, rien n'a été importé : %(n)d lignes en erreur.",
            len(self.errors),
        ) % {"n": len(self.errors)}
        details = [
            _("ligne %(line)d : %(message)s") % {"line": e.line, "message": e.message}
            for e in self.errors
        ]
        super().__init__("\n  ".join([head, *details]))


class ImportInterruptedError(ComptoirError):
    """A chunk failed after the check passed: the chunks before it are in, the rest not.
    Importing the same file again completes it (see the module docstring)."""

    def __init__(self, *, line: int, done: int, total: int, reason: str) -> None:
        self.line, self.done, self.total = line, done, total
        super().__init__(
            _(
                "Import interrompu à la ligne %(line)d (%(reason)s) : %(done)d ligne(s) "
                "sur %(total)d sont importées. Importez à nouveau le même fichier pour "
                "terminer : les lignes déjà importées seront reconnues."
            )
            % {"line": line, "reason": reason, "done": done, "total": total}
        )


def _normalise(column: str) -> str:
    return column.strip().lower().replace("-", "_").replace(" ", "_")


def guess_delimiter(header_line: str) -> str:
    """The most frequent of ``;``, ``,`` and tab in the header line (``,`` if none)."""
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_text(path: Path) -> str:
    """The file's text; UTF-8 with or without a byte order mark."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ValidationError(
            _("Impossible de lire « %(path)s » : %(reason)s.")
            % {"path": path, "reason": exc.strerror or exc}
        ) from None
    except UnicodeDecodeError:
        raise ValidationError(
            _("« %(path)s » n'est pas un fichier texte UTF-8.") % {"path": path}
        ) from None


def parse_csv(kind: str, text: str, *, delimiter: str | None = None) -> list[Row]:
    """Rows of a CSV with a header; refuses a header with unknown or missing columns."""
    spec = KINDS[kind]
    delimiter = delimiter or guess_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [_normalise(c) for c in next(reader, [])]
    if not any(header):
        raise ValidationError(_("Le fichier est vide : il faut une ligne d'en-tête."))
    unknown = [c for c in header if c not in spec.columns]
    missing = [c for c in spec.required if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise ValidationError(
            _(
                "En-tête invalide (colonnes inconnues : %(unknown)s ; manquantes : %(missing)s). "
                "Colonnes possibles : %(columns)s (séparateur « %(delimiter)s »)."
            )
            % {
                "unknown": ", ".join(unknown) or "-",
                "missing": ", ".join(missing) or "-",
                "columns": ",".join(spec.columns),
                "delimiter": delimiter,
            }
        )
    rows, previous_end = [], reader.line_num
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            raise ValidationError(
                _("Fichier CSV illisible à la ligne %(line)d : %(reason)s.")
                % {"line": reader.line_num, "reason": exc}
            ) from None
        if cells is None:
            break
        line, previous_end = previous_end + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            message = _("%(got)d champs au lieu de %(want)d.") % {
                "got": len(cells),
                "want": len(header),
            }
            rows.append(Row(line, {}, error=message))
        else:
            rows.append(Row(line, {c: v.strip() for c, v in zip(header, cells, strict=True)}))
    return rows


def import_rows(
    kind: str, rows: Sequence[Row], *, progress: Progress | None = None
) -> ImportResult:
    """Check every row, then write them chunk by chunk (see the module docstring).

    Raises :class:`ImportRefusedError` (nothing written) when a row is refused, and
    :class:`ImportInterruptedError` when a chunk fails after the check. Each chunk is a
    durable transaction: do not call this inside one.
    """
    spec = KINDS[kind]
    plans, errors = spec.check(rows, (lambda n: progress("check", n)) if progress else None)
    if errors:
        raise ImportRefusedError(sorted(errors, key=lambda e: e.line))
    if progress:  # checked against the database too: the writing starts now
        progress("check", len(rows))
    # The checked rows (millions of objects for a big file) are no garbage: spare them
    # the collector's full passes (up to a quarter of a second each, within a chunk).
    gc.freeze()
    try:
        result = _write_chunks(kind, spec, plans, progress)
    except ImportInterruptedError as exc:
        try:
            _logged(kind, {"rows": len(plans), "written": exc.done, "interrupted": True})
        except DatabaseError:  # the database that stopped the import: say why it stopped
            log.exception("import of %s: the event could not be recorded", kind)
        raise
    finally:
        gc.unfreeze()
    _logged(
        kind,
        {
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    return result


def _logged(kind: str, details: dict[str, int | bool]) -> None:
    """The import as a technical event of this post (what was written, if anything)."""
    with transaction.atomic(durable=True):
        event_record(kind=EventKind.IMPORT, details={"what": kind, **details})


def _write_chunks(
    kind: str, spec: ImportKind, plans: Sequence[Plan], progress: Progress | None
) -> ImportResult:
    counts = Counts()
    memo: dict[str, Any] = {}
    done, size = 0, CHUNK_ROWS
    while done < len(plans):
        chunk = plans[done : done + size]
        began = time.monotonic()
        try:
            counts.add(_write_chunk(spec, chunk, memo))
        except ComptoirError as exc:
            raise ImportInterruptedError(
                line=chunk[0].line, done=done, total=len(plans), reason=exc.message
            ) from exc
        except DatabaseError as exc:
            log.exception("import of %s stopped at line %d", kind, chunk[0].line)
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ImportInterruptedError(
                line=chunk[0].line, done=done, total=len(plans), reason=reason
            ) from exc
        done += len(chunk)
        if CHUNK_SECONDS is not None:
            size = next_chunk_rows(len(chunk), time.monotonic() - began, CHUNK_SECONDS)
        if progress:
            progress("write", done)
    return ImportResult(len(plans), counts.created, counts.updated, counts.unchanged)


def next_chunk_rows(rows: int, seconds: float, budget: float) -> int:
    """The size of the next chunk, after one of ``rows`` rows took ``seconds``: as many
    rows as that pace writes in ``budget``, growing at most twofold at a time (the
    database may slow down as tables grow, and an overshoot is what a push waits for),
    shrinking at once, within ``MIN_CHUNK_ROWS`` and ``MAX_CHUNK_ROWS``."""
    fitting = round(rows * budget / max(seconds, 1e-3))
    return max(MIN_CHUNK_ROWS, min(MAX_CHUNK_ROWS, 2 * rows, fitting))


def _write_chunk(spec: ImportKind, chunk: Sequence[Plan], memo: dict[str, Any]) -> Counts:
    """One chunk in one transaction. The change-log lock is taken first, as every hub
    write and push takes it before any row or clock lock (the other order deadlocks with
    a push), and the chunk's traces are appended once, at its end."""
    with transaction.atomic(durable=True), capture.log_locked():
        with capture.collecting() as traces:
            counts = spec.write(chunk, memo)
        capture.record(traces)
    return counts
