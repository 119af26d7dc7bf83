"""Node side of sync: push the outbox, pull the hub's log, and report what moved.

Push sends the current state of each outboxed row, oldest first, in bounded batches;
entries are deleted only when the hub acknowledged them (applied or duplicate), and
stay, flagged with the reason, when it refused them. Pull applies a page and stores the
new cursor in the same transaction: a crash repeats a page, never skips one.
The engine never prints: it returns a :class:`Report` and calls ``progress``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.home import read_config
from comptoir.lib import heap
from comptoir.lib.errors import ComptoirError
from comptoir.sync import clock, registry, wire
from comptoir.sync.clock import state_locked
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ConflictLog, OutboxEntry, PullFailure, SyncState
from comptoir.syncengine import recovery, refill, snapshot
from comptoir.syncengine.apply import apply_batch
from comptoir.syncengine.client import HubBehind, HubClient, HubRefused, HubUnreachable
from comptoir.syncengine.protocol import (
    CLOCK_TOLERANCE_MS,
    Change,
    FactChange,
    Page,
    Result,
    change_of,
)
from comptoir.syncengine.selectors import pending_count

Progress = Callable[[str, int], None]
PUSH_ROOTS = 500  # rows (a whole invoice is one) per push request
PUSH_SCAN = 5000  # outbox entries read at a time to find them
PULL_LIMIT = 2000  # the most the hub serves (MAX_PULL_LIMIT)


@dataclass
class Report:
    sent: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def client_from_settings(**kwargs: Any) -> HubClient:
    """A client for this post's hub, with its credential as ``comptoir.toml`` holds it now.

    The home's file is read again (not only the settings of when the process started):
    ``comptoir node reenroll`` may have replaced the token, the hub's address or its
    pinned certificate since, and a running ``comptoir serve`` takes them at its next
    connection instead of being refused until it is restarted.
    """
    url, token = settings.COMPTOIR_HUB_URL, settings.COMPTOIR_TOKEN
    insecure, ca_file = settings.COMPTOIR_INSECURE_HTTP, settings.COMPTOIR_HUB_CA_FILE
    name, home = "", settings.COMPTOIR_HOME
    try:
        config = read_config(home) if home is not None else None
    except (OSError, ValueError, TypeError):  # being rewritten, or broken: as started
        config = None
    if config is not None:
        url, token, insecure, name = (
            config.hub_url,
            config.token,
            config.insecure_http,
            config.till_name,
        )
        ca_file = str(home / config.hub_ca_file) if home and config.hub_ca_file else ""
    if not url:
        raise ComptoirError(
            _("Ce poste n'est rattaché à aucun serveur (comptoir node init --server).")
        )
    return HubClient(
        url,
        token,
        insecure=insecure,
        ca_file=ca_file,
        post_name=name,
        home=str(home or ""),
        **kwargs,
    )


def _contact(client: HubClient, **fields: Any) -> None:
    with transaction.atomic():
        state = state_locked()
        now = timezone.now()
        state.last_contact_at = now
        state.offline_since = None
        rewound = False
        if client.last_hub_time is not None:
            previous_offset = state.clock_offset_ms
            known = state.last_contact_at is not None
            state.clock_offset_ms = client.last_hub_time - clock.wall_ms()
            rewound = clock.rewind_if_ahead(state, client.last_hub_time, CLOCK_TOLERANCE_MS)
            if known and abs(state.clock_offset_ms - previous_offset) > CLOCK_TOLERANCE_MS:
                _clock_jumped(previous_offset, state.clock_offset_ms)
        for name, value in fields.items():
            setattr(state, name, value)
        state.save()
        if rewound and client.last_hub_time is not None:
            restamp_future(client.last_hub_time + CLOCK_TOLERANCE_MS)


def _clock_jumped(previous_offset_ms: int, offset_ms: int) -> None:
    """This post's wall clock moved against the hub's since the last contact, by more than
    the tolerance (set back, or far forward): a technical event. The offsets are the
    hub's time minus this post's, in milliseconds."""
    event_record(
        kind=EventKind.CLOCK_JUMP,
        details={
            "jump_ms": previous_offset_ms - offset_ms,
            "offset_ms": offset_ms,
            "previous_offset_ms": previous_offset_ms,
        },
    )


def restamp_future(limit_ms: int) -> int:
    """Re-stamp this post's unsent edits stamped after ``limit_ms`` (its clock ran ahead).

    They are still this post's latest edits; with a timestamp from the hub's time they
    are accepted again, and compete fairly with edits made elsewhere meanwhile.
    """
    rows = set(OutboxEntry.objects.values_list("model", "row_id").distinct())
    count = 0
    for label, row_id in rows:
        spec = registry.reference_spec(label)
        obj: Any = spec.model._base_manager.filter(pk=row_id).first() if spec else None
        if spec is None or obj is None:
            continue
        clocks = dict(obj.sync_clocks)
        future = [f for f, c in clocks.items() if Timestamp.decode(c).wall_ms > limit_ms]
        if not future:
            continue
        # Values pulled meanwhile lost to these fields only because of their future clocks
        # (the conflict log kept them): stamp after them, or this post would keep a value
        # that loses at the hub, which has no reason to send the winner here again.
        for lost in ConflictLog.objects.filter(
            model=label, row_id=row_id, field__in=future
        ).values_list("lost_clock", flat=True):
            if Timestamp.decode(lost).wall_ms <= limit_ms:
                clock.observe(lost)
        stamp = clock.tick()
        clocks.update(dict.fromkeys(future, stamp))
        # Only the clocks change: written directly, the row stays in the outbox.
        spec.model._base_manager.filter(pk=row_id).update(sync_clocks=clocks)
        OutboxEntry.objects.filter(model=label, row_id=row_id).update(
            rejected_at=None, rejected_reason=""
        )
        count += 1
    return count


def note_failure(message: str) -> None:
    with transaction.atomic():
        state = state_locked()
        now = timezone.now()
        state.last_error, state.last_error_at = message, now
        if state.offline_since is None:
            state.offline_since = now
        state.save()


def _count(counter: Counter[str], label: str, rows: dict[str, list[Any]] | None) -> None:
    """Count a change as users see it: the document, and the parts it carries that are
    counted on their own (a sale's stock movements: ``Naming.counted_in_parts``); ``rows``
    is a fact's, None for a reference row."""
    counter[label] += 1
    if rows is not None:
        for naming in registry.namings():
            if naming.counted_in_parts and naming.label != label:
                counter[naming.label] += len(rows.get(naming.label, []))


Key = tuple[str, UUID]


@dataclass
class _Batch:
    newest: dict[Key, UUID]  # row -> change id of its newest entry
    last_seq: int  # the entries it covers: up to this seq
    found: dict[Key, tuple[str, dict[str, Any]]]  # the rows' current states
    changes: list[Change]


def _next_batch(after: int = 0, skip: frozenset[Key] = frozenset()) -> _Batch | None:
    """The oldest pending rows after outbox seq ``after``, up to :data:`PUSH_ROOTS` of them,
    with their current states; rows in ``skip`` (being sent already) are passed over.

    One sale leaves several entries (the invoice, its lines, its movements...) that all
    name the same aggregate, so rows, not entries, bound a push.
    """
    newest: dict[Key, UUID] = {}
    last_seq = after
    pending = OutboxEntry.objects.filter(rejected_at=None).order_by("seq")
    full = False
    while not full:
        entries = list(
            pending.filter(seq__gt=last_seq).values_list("seq", "change_id", "model", "row_id")[
                :PUSH_SCAN
            ]
        )
        for seq, change_id, label, row in entries:
            key = (label, row)
            if key not in newest and len(newest) >= PUSH_ROOTS:
                full = True
                break
            if key not in skip:
                newest[key] = change_id
            last_seq = seq
        if len(entries) < PUSH_SCAN:
            break
    if not newest:
        return None
    found = wire.states(list(newest))
    bases = _edit_bases([k for k in newest if k in found and found[k][0] == "reference"])
    changes = [
        change_of(
            found[key][0],
            id=str(change_id),
            model=key[0],
            row=str(key[1]),
            data={**found[key][1], "bases": bases[key]} if key in bases else found[key][1],
        )
        for key, change_id in newest.items()
        if key in found
    ]
    return _Batch(newest, last_seq, found, changes)


def _edit_bases(keys: list[Key]) -> dict[Key, dict[str, str]]:
    """The fields this post edited in reference rows not yet acknowledged, each with the
    clock of the value its first unsent edit replaced (what this post had seen).

    Read after the rows' states, so every edit a state shows has its entry here. A row
    with an entry of unknown bases (created here, or older than them) is left out: sent
    without bases, the hub logs every value it overwrites, as before.
    """
    by_label: dict[str, list[UUID]] = {}
    for label, row in keys:
        by_label.setdefault(label, []).append(row)
    bases: dict[Key, dict[str, str] | None] = {}
    for label, rows in by_label.items():
        for start in range(0, len(rows), 500):
            entries = (
                OutboxEntry.objects.filter(model=label, row_id__in=rows[start : start + 500])
                .order_by("seq")
                .values_list("row_id", "bases")
            )
            for row, edited in entries:
                known = bases.setdefault((label, row), {})
                if known is None or edited is None:
                    bases[(label, row)] = None
                    continue
                for name, base in edited.items():
                    known.setdefault(name, base)  # the first unsent edit's base
    return {key: fields for key, fields in bases.items() if fields is not None}


def _acknowledge(done: set[tuple[str, UUID]], last_seq: int) -> None:
    """Drop the entries of rows the hub has, set-wise. A fact never changes: every entry
    of its aggregate goes, later ones included (sending it again would only be answered
    ``duplicate``). A reference row may have changed since it was read: only the entries
    up to ``last_seq`` go."""
    by_label: dict[str, list[UUID]] = {}
    for label, row in done:
        by_label.setdefault(label, []).append(row)
    for label, rows in by_label.items():
        for start in range(0, len(rows), 500):
            entries = OutboxEntry.objects.filter(model=label, row_id__in=rows[start : start + 500])
            if registry.fact_spec(label) is None:
                entries = entries.filter(seq__lte=last_seq)
            entries.delete()


def push(
    client: HubClient, *, progress: Progress | None = None, report: Report | None = None
) -> Report:
    """Send the outbox in batches, one request in flight: while the hub applies a batch,
    the next one is read here (database work stays in this thread; the request goes from
    another). Entries are dropped or flagged only from the hub's answer."""
    heap.settle()  # what a sync step allocates is all the collector needs to walk
    report = report or Report()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="comptoir-send") as sender:
        batch = _next_batch()
        while batch is not None:
            # A batch that drains the outbox says so: a till that streams sends no pull,
            # whose count the hub's sync page would show (it showed the count of the
            # stream's opening until the next one).
            drained = not OutboxEntry.objects.filter(
                rejected_at=None, seq__gt=batch.last_seq
            ).exists()
            sending = (
                sender.submit(client.push, batch.changes, pending=0 if drained else None)
                if batch.changes
                else None
            )
            in_flight = frozenset(k for k in batch.newest if registry.fact_spec(k[0]))
            following = _next_batch(batch.last_seq, in_flight)
            results = sending.result().results if sending is not None else []
            _settle(client, batch, results, report)
            if progress:
                progress("push", sum(report.sent.values()))
            # Once the tail is reached, look again from the start: what was written
            # meanwhile, or edited again while being sent.
            batch = following or _next_batch()
    return report


def _settle(client: HubClient, batch: _Batch, results: list[Result], report: Report) -> None:
    by_change = {str(change_id): key for key, change_id in batch.newest.items()}
    refused_before = len(report.rejected)
    with transaction.atomic():
        done = {k for k in batch.newest if k not in batch.found}  # rows gone: nothing to send
        for result in results:
            key = by_change.get(result.id)
            if key is None:
                continue
            if result.status in ("applied", "duplicate"):
                done.add(key)
                kind, data = batch.found[key]
                _count(report.sent, key[0], data["rows"] if kind == "fact" else None)
            else:
                reason = result.reason or "refusé"
                report.rejected.append((key[0], reason))
                OutboxEntry.objects.filter(
                    model=key[0], row_id=key[1], seq__lte=batch.last_seq, rejected_at=None
                ).update(rejected_reason=reason, rejected_at=timezone.now())
        _acknowledge(done, batch.last_seq)
    _contact(client, last_push_at=timezone.now())
    if not done and len(report.rejected) == refused_before:
        # The hub answered for none of them: sending the same batch again would loop.
        raise HubRefused(_("Réponse incomplète du serveur à l'envoi."), 502)


def pull(
    client: HubClient,
    *,
    wait: int = 0,
    progress: Progress | None = None,
    report: Report | None = None,
) -> Report:
    """Apply the hub's pages in order, each with its cursor in one transaction. While a
    page is applied here, the next one is fetched (from another thread: no database)."""
    heap.settle()
    report = report or Report()
    if _stored_cursor() == 0 or snapshot.under_way():
        _bootstrap(client, progress=progress, report=report)
    try:
        return _pull_pages(client, wait=wait, progress=progress, report=report)
    except HubBehind:
        # The hub cut its log above this post's cursor: its current state, then the log.
        _bootstrap(client, progress=progress, report=report)
        return _pull_pages(client, wait=wait, progress=progress, report=report)


def _bootstrap(client: HubClient, *, progress: Progress | None, report: Report) -> None:
    """A snapshot of the hub's state (``snapshot``): a new post, or one behind the log's
    cut. Its unsent changes stay in its outbox (reference rows merge by clocks)."""

    def apply(changes: list[Change]) -> None:
        _apply_changes(changes, report)

    snapshot.bootstrap(
        client,
        apply=apply,
        progress=(lambda n: progress("snapshot", n)) if progress else None,
    )


def _pull_pages(
    client: HubClient, *, wait: int, progress: Progress | None, report: Report
) -> Report:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="comptoir-fetch") as fetcher:
        cursor = _stored_cursor()
        page = client.pull(cursor, limit=PULL_LIMIT, wait=wait, pending=pending_count())
        while True:
            following = (
                fetcher.submit(client.pull, page.cursor, limit=PULL_LIMIT) if page.more else None
            )
            if not _apply_page(page, cursor, report):
                # Another puller moved on meanwhile: ask again from where it got to.
                if following is not None:
                    following.result()
                cursor = _stored_cursor()
                page = client.pull(cursor, limit=PULL_LIMIT)
                continue
            _contact(client, last_pull_at=timezone.now())
            if progress:
                progress("pull", sum(report.received.values()))
            if following is None:
                return report
            cursor, page = page.cursor, following.result()


def _pull_or_refill(client: HubClient, *, progress: Progress | None, report: Report) -> None:
    """Pull; after an upgrade that left this post without fields or models the hub holds
    (``refill``), the hub's whole log again, completing what it holds by the fill rule.
    The mark stays until a whole pass applied every change."""
    found = refill.pending()
    if found is None:
        pull(client, progress=progress, report=report)
        return
    refused_before = len(report.rejected)
    with transaction.atomic():
        state = state_locked()
        state.pull_cursor = 0
        state.save(update_fields=["pull_cursor"])
    with refill.filling(found):
        pull(client, progress=progress, report=report)
    if len(report.rejected) == refused_before:
        refill.done()


def _stored_cursor() -> int:
    return SyncState.objects.filter(pk=1).values_list("pull_cursor", flat=True).first() or 0


def _apply_page(page: Page, cursor: int, report: Report) -> bool:
    """Apply a page received from ``cursor`` and store its cursor, in one transaction.
    False (and nothing done) if the stored cursor is no longer ``cursor``."""
    with transaction.atomic():
        state = state_locked()
        if state.pull_cursor != cursor:
            return False
        _apply_changes(page.changes, report)
        state.pull_cursor = page.cursor
        state.save(update_fields=["pull_cursor"])
    return True


def _apply_changes(changes: list[Change], report: Report) -> None:
    """Apply received changes (in the caller's transaction), noting the refused ones."""
    had_failures = PullFailure.objects.exists()
    for change, outcome in zip(changes, apply_batch(changes, origin="hub"), strict=True):
        if outcome.status == "rejected":
            PullFailure.objects.create(model=change.model, row_id=change.row, reason=outcome.reason)
            report.rejected.append((change.model, outcome.reason))
            continue
        if had_failures:  # applied now: an earlier failure of this row is resolved
            PullFailure.objects.filter(model=change.model, row_id=change.row).delete()
        if outcome.status == "applied":
            rows = change.data.rows if isinstance(change, FactChange) else None
            _count(report.received, change.model, rows)


def retry_rejected() -> int:
    """Send refused changes again (after their cause was fixed). Returns how many rows."""
    with transaction.atomic():
        rows = OutboxEntry.objects.exclude(rejected_at=None)
        count = rows.values("model", "row_id").distinct().count()
        rows.update(rejected_at=None, rejected_reason="")
    return count


def sync(
    mode: str = "sync", *, client: HubClient | None = None, progress: Progress | None = None
) -> Report:
    """``pull``, ``push`` or both (pull first; push runs even when pull failed)."""
    own = client is None
    client = client or client_from_settings()
    report = Report()
    steps = ("pull", "push") if mode == "sync" else (mode,)
    if mode != "pull" and recovery.due():
        # After the pull (the reference rows its own documents need are here), before
        # the push: a restored post takes its own documents back first (drills 1 and 3);
        # a post whose hub went back sends again what the hub lost (drill 2).
        steps = (*steps[:-1], "recover", steps[-1])
    try:
        for step in steps:
            try:
                if step == "pull":
                    _pull_or_refill(client, progress=progress, report=report)
                elif step == "recover":
                    recovery.reconcile(client)
                else:
                    push(client, progress=progress, report=report)
            except (HubUnreachable, HubRefused) as exc:
                report.errors.append(exc.message)
                note_failure(exc.message)
    finally:
        if own:
            client.close()
    return report
