"""Hub: compaction of the change log (DESIGN § 4 and § 9).

The log says *which* rows changed; a pull serves each row's *current* state. So an entry
adds nothing once a later entry of the same row will be served to the same nodes:

- **Superseded** entries: an entry is deleted when a later entry exists for the same
  (model, row, origin node), and it is not the row's first entry. A node never sees the
  entries of its own origin, so keeping the latest entry *per origin* keeps, for every
  node, the latest entry it can see (the same final state, served at the same place).
  Keeping the row's first entry keeps where a row appears to a node that did not have
  it: a document that points to an article created after the node's cursor still comes
  after the article, as it did before.
- **Horizon**: entries older than ``log_horizon_days`` (``comptoir.toml``, 30 by default)
  are deleted, up to a sequence that every ordering domain has committed past (read
  under the log's global lock, briefly: no append is under way then, and none below it
  can come later). Each domain's cut (:class:`LogCut`) is committed before its entries
  go: a node whose cursor is below the cut of a domain it sees gets :class:`Behind` from
  a pull, and takes a snapshot (``snapshot``) instead.

No node's cursor holds the horizon back: a till away for longer re-bootstraps, keeping
its unsent changes (a snapshot is applied as pulls are, merging by clocks).

The work runs in chunks of :data:`CHUNK` entries, each in a short transaction of its own:
no push waits on it for more than a fraction of a second.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.lib.errors import ComptoirError
from comptoir.lib.periodic import PeriodicWorker
from comptoir.sync import capture
from comptoir.sync.models import ChangeLog, LogCompaction, LogCut

log = logging.getLogger("comptoir.sync")

CHUNK = 5000
DEFAULT_HORIZON_DAYS = 30
EVERY = timedelta(days=1)


class Behind(ComptoirError):
    """A node's cursor is below a cut of the log it sees: entries it has not pulled may be
    gone. It must take a snapshot (HTTP 410 from a pull; a node of this version does it
    by itself, an older one shows the message)."""

    def __init__(self, through: int) -> None:
        super().__init__(
            _(
                "Ce poste est resté hors ligne plus longtemps que l'historique gardé par le "
                "serveur : il doit reprendre l'état actuel du serveur (mettez comptoir à jour "
                "sur ce poste s'il ne le fait pas seul) ; ses ventes en attente sont gardées."
            )
        )
        self.through = through


class CompactionBusy(ComptoirError):
    """Another process of the hub is compacting the log now."""


@dataclass
class CompactionReport:
    entries_before: int = 0
    entries_after: int = 0
    superseded: int = 0
    expired: int = 0
    through: int = 0  # the horizon's cut (0: none)
    horizon_days: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def horizon_days() -> int:
    config = settings.COMPTOIR_CONFIG
    return config.log_horizon_days if config is not None else DEFAULT_HORIZON_DAYS


def cut_for(store: object) -> int:
    """The highest cut among the domains a node of ``store`` sees (0: none)."""
    domains = [""] if store is None else ["", str(store)]
    found = LogCut.objects.filter(domain__in=domains).aggregate(top=Max("through"))["top"]
    return int(found or 0)


def check_cursor(store: object, cursor: int) -> None:
    """:class:`Behind` if a node of ``store`` at ``cursor`` may have missed deleted entries.
    Read *after* the entries a pull serves (a cut is committed before its deletions)."""
    through = cut_for(store)
    if cursor < through:
        raise Behind(through)


def committed_watermark() -> int:
    """A sequence every ordering domain has committed past: the log's head read under its
    global lock (PostgreSQL), which waits for the appends under way and holds new ones back
    for this one read. Below it, no entry can still be on its way."""
    with transaction.atomic(durable=True), capture.log_locked():
        return ChangeLog.objects.aggregate(head=Max("seq"))["head"] or 0


def log_compact(
    *,
    horizon: timedelta | None = None,
    before_seq: int | None = None,
    superseded: bool = True,
    chunk: int = CHUNK,
    progress: Callable[[str, int], None] | None = None,
) -> CompactionReport:
    """Compact the log: superseded entries, then entries older than ``horizon`` (default
    ``log_horizon_days``). ``before_seq`` (tests, drills): cut the entries up to that
    sequence whatever their age (still no further than the committed watermark)."""
    with _alone():
        return _compact(horizon, before_seq, superseded, chunk, progress)


# One compaction at a time (the hub's groups each run the daily worker): a session lock.
COMPACT_LOCK_KEY = 0x636F6D71


@contextmanager
def _alone() -> Iterator[None]:
    if connection.vendor != "postgresql":  # one writer at a time anyway
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [COMPACT_LOCK_KEY])
        row = cursor.fetchone()
    if not (row and row[0]):
        raise CompactionBusy(_("Un compactage du journal est déjà en cours sur ce serveur."))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [COMPACT_LOCK_KEY])


def _compact(
    horizon: timedelta | None,
    before_seq: int | None,
    superseded: bool,
    chunk: int,
    progress: Callable[[str, int], None] | None,
) -> CompactionReport:
    days = horizon_days()
    horizon = horizon if horizon is not None else timedelta(days=days)
    report = CompactionReport(
        entries_before=ChangeLog.objects.count(),
        horizon_days=int(horizon.total_seconds() // 86400),
    )
    watermark = committed_watermark()
    if superseded:
        report.superseded = _superseded(watermark, chunk, progress)
    cut = _horizon_cut(watermark, horizon, before_seq)
    if cut:
        report.through = cut
        report.expired = _expire(cut, chunk, progress)
    with transaction.atomic():
        LogCompaction.objects.update_or_create(pk=1, defaults={"ran_at": timezone.now()})
    report.entries_after = ChangeLog.objects.count()
    return report


def _superseded(watermark: int, chunk: int, progress: Callable[[str, int], None] | None) -> int:
    """Delete the superseded entries of the rows that have an entry since the last pass
    (an entry is only superseded by a later one), up to ``watermark``."""
    state = LogCompaction.objects.filter(pk=1).first()
    start = state.superseded_through if state else 0
    removed = 0
    position = start
    while position < watermark:
        rows = list(
            ChangeLog.objects.filter(seq__gt=position, seq__lte=watermark)
            .order_by("seq")
            .values_list("seq", "row_id")[:chunk]
        )
        if not rows:
            break
        position = rows[-1][0]
        removed += _drop_superseded({row for _seq, row in rows}, watermark)
        with transaction.atomic():
            LogCompaction.objects.update_or_create(pk=1, defaults={"superseded_through": position})
        if progress:
            progress("superseded", removed)
    return removed


def superseded_of(entries: list[tuple[int, str, UUID, str]]) -> list[int]:
    """The sequences among ``entries`` (seq, model, row, origin: every entry of some rows)
    that compaction deletes: not the latest of their (model, row, origin), nor the first
    of their (model, row). Pure: the rule, tested on its own."""
    latest: dict[tuple[str, UUID, str], int] = {}
    first: dict[tuple[str, UUID], int] = {}
    for seq, model, row, origin in entries:
        key = (model, row, origin)
        latest[key] = max(seq, latest.get(key, seq))
        first[(model, row)] = min(seq, first.get((model, row), seq))
    return sorted(
        seq
        for seq, model, row, origin in entries
        if seq != latest[(model, row, origin)] and seq != first[(model, row)]
    )


def _drop_superseded(rows: set[UUID], watermark: int) -> int:
    removed = 0
    ordered = sorted(rows)
    for start in range(0, len(ordered), 500):
        batch = ordered[start : start + 500]
        entries = list(
            ChangeLog.objects.filter(row_id__in=batch, seq__lte=watermark).values_list(
                "seq", "model", "row_id", "origin_node"
            )
        )
        doomed = superseded_of(entries)
        if doomed:
            with transaction.atomic():
                removed += ChangeLog.objects.filter(seq__in=doomed).delete()[0]
    return removed


def _horizon_cut(watermark: int, horizon: timedelta, before_seq: int | None) -> int:
    """The last sequence (up to ``watermark``) of an entry older than ``horizon``: found by
    bisection on the primary key (entries are appended in time order, to a few seconds),
    a few dozen index reads instead of a scan of the log."""
    if before_seq is not None:
        return min(before_seq, watermark)
    threshold = timezone.now() - horizon
    entries = ChangeLog.objects.filter(seq__lte=watermark).order_by("seq")
    cut, low, high = 0, 0, watermark
    while low <= high:
        middle = (low + high) // 2
        found = entries.filter(seq__gte=middle).values_list("seq", "created_at").first()
        if found is None or found[1] >= threshold:
            high = middle - 1
        else:
            cut, low = found[0], found[0] + 1
    return cut


def _expire(cut: int, chunk: int, progress: Callable[[str, int], None] | None) -> int:
    """Write each domain's cut (committed first), then delete the entries up to ``cut``."""
    tops = (
        ChangeLog.objects.filter(seq__lte=cut)
        .values_list("store_id")
        .annotate(top=Max("seq"))
        .order_by()
    )
    marks: dict[str, int] = defaultdict(int)
    for store, top in tops:
        marks["" if store is None else str(store)] = int(top)
    if not marks:
        return 0
    with transaction.atomic():
        known = dict(LogCut.objects.filter(domain__in=marks).values_list("domain", "through"))
        for domain, top in marks.items():
            if top > known.get(domain, 0):
                LogCut.objects.update_or_create(
                    domain=domain, defaults={"through": top, "at": timezone.now()}
                )
    removed = 0
    while True:
        seqs = list(
            ChangeLog.objects.filter(seq__lte=cut)
            .order_by("seq")
            .values_list("seq", flat=True)[:chunk]
        )
        if not seqs:
            return removed
        with transaction.atomic():
            removed += ChangeLog.objects.filter(
                Q(seq__gte=seqs[0]) & Q(seq__lte=seqs[-1])
            ).delete()[0]
        if progress:
            progress("expired", removed)


def log_size() -> dict[str, int]:
    """Entries of the log, and the bytes of its table with its indexes (PostgreSQL; 0
    elsewhere)."""
    entries = ChangeLog.objects.count()
    size = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size(%s)", [ChangeLog._meta.db_table])
            size = int(cursor.fetchone()[0])
    return {"entries": entries, "bytes": size}


def compaction_due(now: Any = None) -> bool:
    state = LogCompaction.objects.filter(pk=1).values_list("ran_at", flat=True).first()
    return state is None or (now or timezone.now()) - state >= EVERY


class CompactionWorker(PeriodicWorker):
    """A thread of the hub's ``comptoir serve``: the log compacted once a day (looked at
    every hour; several hub processes may each run it: every step is idempotent)."""

    name = "comptoir-compaction"

    def __init__(self, *, interval: float = 3600.0, first_delay: float = 600.0) -> None:
        super().__init__(interval=interval, first_delay=first_delay)

    def cycle(self) -> CompactionReport | None:
        """Compact if a day passed since the last time; never raises (the hub serves on)."""
        close_old_connections()
        try:
            if not compaction_due():
                return None
            report = log_compact()
        except CompactionBusy:  # another process of the hub is at it
            return None
        except Exception:  # the hub must keep serving whatever happens here
            log.exception("compactage du journal non fait (nouvel essai au prochain cycle)")
            return None
        finally:
            close_old_connections()
        log.info(
            "journal des changements compacté : %d remplacés, %d expirés, %d -> %d",
            report.superseded,
            report.expired,
            report.entries_before,
            report.entries_after,
        )
        return report
