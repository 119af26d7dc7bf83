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
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.core.errors import ComptoirError
from comptoir.sync import clock, registry, wire
from comptoir.sync.apply import apply_batch
from comptoir.sync.client import HubClient, HubRefused, HubUnreachable
from comptoir.sync.clock import state_locked
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import OutboxEntry, PullFailure, SyncState
from comptoir.sync.protocol import CLOCK_TOLERANCE_MS, ProtocolError, check_change

Progress = Callable[[str, int], None]
PUSH_BATCH = 500
PULL_LIMIT = 500


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
    if not settings.COMPTOIR_HUB_URL:
        raise ComptoirError(
            "Ce poste n'est rattaché à aucun serveur (comptoir node init --server)."
        )
    return HubClient(
        settings.COMPTOIR_HUB_URL,
        settings.COMPTOIR_TOKEN,
        insecure=settings.COMPTOIR_INSECURE_HTTP,
        ca_file=settings.COMPTOIR_HUB_CA_FILE,
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
            state.clock_offset_ms = client.last_hub_time - clock.wall_ms()
            rewound = clock.rewind_if_ahead(state, client.last_hub_time, CLOCK_TOLERANCE_MS)
        for name, value in fields.items():
            setattr(state, name, value)
        state.save()
        if rewound and client.last_hub_time is not None:
            restamp_future(client.last_hub_time + CLOCK_TOLERANCE_MS)


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


def _count(counter: Counter[str], label: str, state: tuple[str, dict[str, Any]]) -> None:
    """Count a change as users see it: the document, and the stock movements it carries."""
    counter[label] += 1
    if state[0] == "fact" and label != "stock.stockmovement":
        counter["stock.stockmovement"] += len(state[1]["rows"].get("stock.stockmovement", []))


def push(
    client: HubClient, *, progress: Progress | None = None, report: Report | None = None
) -> Report:
    report = report or Report()
    while True:
        entries = list(OutboxEntry.objects.filter(rejected_at=None).order_by("seq")[:PUSH_BATCH])
        if not entries:
            break
        newest: dict[tuple[str, UUID], OutboxEntry] = {}
        for entry in entries:
            newest[(entry.model, entry.row_id)] = entry
        found = wire.states(list(newest))
        changes = [
            {
                "id": str(e.change_id),
                "model": key[0],
                "row": str(key[1]),
                "kind": found[key][0],
                "data": found[key][1],
            }
            for key, e in newest.items()
            if key in found
        ]
        by_change = {str(e.change_id): key for key, e in newest.items()}
        results = client.push(changes)["results"] if changes else []
        last_seq = entries[-1].seq
        refused_before = len(report.rejected)
        with transaction.atomic():
            missing = [k for k in newest if k not in found]  # rows gone: nothing to send
            done = set(missing)
            for result in results:
                key = by_change.get(result.get("id", ""))
                if key is None:
                    continue
                if result.get("status") in ("applied", "duplicate"):
                    done.add(key)
                    _count(report.sent, key[0], found[key])
                else:
                    reason = str(result.get("reason") or "refusé")
                    report.rejected.append((key[0], reason))
                    OutboxEntry.objects.filter(
                        model=key[0], row_id=key[1], seq__lte=last_seq, rejected_at=None
                    ).update(rejected_reason=reason, rejected_at=timezone.now())
            for label, row in done:
                OutboxEntry.objects.filter(model=label, row_id=row, seq__lte=last_seq).delete()
        _contact(client, last_push_at=timezone.now())
        if not done and len(report.rejected) == refused_before:
            # The hub answered for none of them: sending the same batch again would loop.
            raise HubRefused(_("Réponse incomplète du serveur à l'envoi."), 502)
        if progress:
            progress("push", sum(report.sent.values()))
    return report


def pull(
    client: HubClient,
    *,
    wait: int = 0,
    progress: Progress | None = None,
    report: Report | None = None,
) -> Report:
    report = report or Report()
    while True:
        cursor = SyncState.objects.filter(pk=1).values_list("pull_cursor", flat=True).first() or 0
        page = client.pull(cursor, limit=PULL_LIMIT, wait=wait)
        with transaction.atomic():
            state = state_locked()
            if state.pull_cursor != cursor:
                continue  # another puller moved on meanwhile: ask again from there
            changes = []
            for raw in page.get("changes", []):
                try:
                    changes.append(check_change(raw))
                except ProtocolError as exc:
                    raise HubRefused(
                        _("Réponse du serveur invalide : %(e)s") % {"e": exc}, 502
                    ) from None
            had_failures = PullFailure.objects.exists()
            for change, outcome in zip(changes, apply_batch(changes, origin="hub"), strict=True):
                if outcome.status == "rejected":
                    PullFailure.objects.create(
                        model=change["model"], row_id=change["row"], reason=outcome.reason
                    )
                    report.rejected.append((change["model"], outcome.reason))
                    continue
                if had_failures:  # applied now: an earlier failure of this row is resolved
                    PullFailure.objects.filter(model=change["model"], row_id=change["row"]).delete()
                if outcome.status == "applied":
                    _count(report.received, change["model"], (change["kind"], change["data"]))
            state.pull_cursor = int(page["cursor"])
            state.save(update_fields=["pull_cursor"])
        _contact(client, last_pull_at=timezone.now())
        if progress:
            progress("pull", sum(report.received.values()))
        if not page.get("more"):
            return report
        wait = 0


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
    try:
        for step in ("pull", "push") if mode == "sync" else (mode,):
            try:
                if step == "pull":
                    pull(client, progress=progress, report=report)
                else:
                    push(client, progress=progress, report=report)
            except (HubUnreachable, HubRefused) as exc:
                report.errors.append(exc.message)
                note_failure(exc.message)
    finally:
        if own:
            client.close()
    return report
