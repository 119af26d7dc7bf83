"""A post brought back after a restore, its own or the hub's (the disaster drills).

**A till restored from an older backup** (or whose database was replaced by an older
copy). The hub holds what the till pushed after that backup: invoices whose numbers were
printed, chain records whose successors the till would otherwise forge again. The till
knows it is behind in two ways: ``comptoir restore`` marks its home (``recovery.json``,
:func:`comptoir.backups.mark_recovery`), and at its first contact of a process the hub's
heads of its own chains are ahead of its own (:func:`decide`). Until it has taken back
its own facts from the hub (``GET recovery``: the ids it pushed after the backup, in
pages), every local write of synced data is refused (:func:`ensure_recovered`); then its
series counters and chain heads move to the highest record it holds, so no number is
issued twice and no chain forks. Sales it never pushed are gone with its disk: the
series resumes after the highest number known anywhere, and a technical event says so,
with how many unsent changes the hub last heard of.

**A hub restored from an older backup.** The till's pull cursor is then ahead of the
hub's log, or records the hub had acknowledged are missing there (its heads of this
till's chains are behind the till's acknowledged ones). The till pulls everything again
from the start (applying is idempotent) and puts back in its outbox every fact the hub
lacks (found by the digest drill-down), and every reference row it edited whose state the
hub does not hold, which its push then sends again (merged by field clocks, as always).

The hub side (:func:`recovery_reply`) reads facts and the change log; the node side
(:func:`reconcile`) runs in ``engine.sync`` after the pull, when :func:`due`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from comptoir.backups import RECOVERY_MARK, mark_recovery, read_recovery_mark
from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.journal.kinds import chains, head_kind
from comptoir.lib.errors import ComptoirError
from comptoir.stores.models import SeriesCounter, Till
from comptoir.stores.selectors import till_current
from comptoir.stores.services import chain_head_lock, series_number
from comptoir.sync import registry
from comptoir.sync.clock import state_locked
from comptoir.sync.models import ChangeLog, NodeCredential, OutboxEntry, SyncState
from comptoir.syncengine import digest as digests
from comptoir.syncengine.apply import apply_batch
from comptoir.syncengine.client import HubClient, HubRefused
from comptoir.syncengine.protocol import Head, ProtocolError, Recovery

log = logging.getLogger("comptoir.sync")

PAGE = 500  # own facts per recovery page (the hub serves at most MAX_PAGE)
MAX_PAGE = 1000
# Facts pushed this long before the backup was made are taken back too: the till's
# clock and the hub's may differ, and taking back a fact it holds costs nothing.
SINCE_MARGIN = timedelta(hours=1)
# The kinds of numbered series (``stores.services.series_next``), recognised by the
# numbers they print.
SERIES_KINDS = ("invoice", "credit")


class RecoveryNeeded(ComptoirError):
    """This post must take its own documents back from the hub before it writes any."""


# ---- both sides: what a post's records say --------------------------------------------


def _chained_models() -> dict[str, list[type[models.Model]]]:
    """Each chain's head kind (``SeriesCounter.kind``) with the models of its records."""
    out: dict[str, list[type[models.Model]]] = {}
    for chain, kinds in chains().items():
        found = out.setdefault(head_kind(chain), [])
        for kind in kinds:
            if kind.model not in found:
                found.append(kind.model)
    return out


def _numbered_models() -> list[type[models.Model]]:
    """Fact roots numbered in a post's series per year (invoices, credit notes)."""
    out = []
    for spec in registry.fact_roots():
        names = {f.name for f in spec.model._meta.get_fields()}
        if {"till", "year", "sequence", "number"} <= names:
            out.append(spec.model)
    return out


def chain_heads(till: Till, *, acknowledged_only: bool = False) -> dict[str, Head]:
    """The last record of each of ``till``'s chains held here; ``acknowledged_only``: of
    the records no longer in this post's outbox (the hub acknowledged them)."""
    heads: dict[str, Head] = {}
    for kind, chained in _chained_models().items():
        for model in chained:
            rows = model._default_manager.filter(till=till, chain_sequence__isnull=False)
            if acknowledged_only:
                label = registry.label_of(model)
                rows = rows.exclude(pk__in=OutboxEntry.objects.filter(model=label).values("row_id"))
            last = rows.order_by("-chain_sequence").values_list("chain_sequence", "chain_hash")
            found = last.first()
            if found and (kind not in heads or found[0] > heads[kind].sequence):
                heads[kind] = Head(sequence=found[0], hash=found[1])
    return heads


def series_highest(till: Till) -> dict[str, int]:
    """The highest number held here of each of ``till``'s series, as ``label:year``."""
    out: dict[str, int] = {}
    for model in _numbered_models():
        label = registry.label_of(model)
        rows = model._default_manager.filter(till=till).values("year").annotate(n=Max("sequence"))
        for row in rows:
            out[f"{label}:{row['year']}"] = row["n"]
    return out


# ---- the hub: what it holds of a post -------------------------------------------------


def unsent_when_last_seen(cred: NodeCredential) -> int:
    """How many changes the post had not sent when it last told the hub (0 if it pushed
    after saying so): what a post restored from a backup has lost for good."""
    if not cred.pending_count or cred.pending_at is None:
        return 0
    if cred.last_push_at is not None and cred.last_push_at > cred.pending_at:
        return 0
    return cred.pending_count


def parse_since(value: str | None) -> datetime | None:
    """The ``since`` parameter: an ISO 8601 instant with its offset, or nothing."""
    if not value:
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        found = None
    if found is None or found.tzinfo is None:
        raise ProtocolError(
            _("Paramètre « since » invalide : une date ISO 8601 avec son fuseau est attendue.")
        )
    return found


def recovery_reply(
    cred: NodeCredential, *, since: datetime | None, after: int, limit: int
) -> Recovery:
    """What the hub holds of ``cred``'s post, with up to ``limit`` of the facts it pushed
    (change-log order, after log sequence ``after``, logged since ``since``)."""
    from comptoir.syncengine.hub import log_head, serialize

    changes: list[Any] = []
    cursor, more = after, False
    if limit > 0:
        labels = [spec.label for spec in registry.fact_roots()]
        entries = ChangeLog.objects.filter(
            origin_node=cred.node_id, model__in=labels, seq__gt=after
        )
        if since is not None:
            entries = entries.filter(created_at__gte=since - SINCE_MARGIN)
        found = list(entries.order_by("seq").values_list("seq", "model", "row_id")[: limit + 1])
        more = len(found) > limit
        found = found[:limit]
        if found:
            cursor = found[-1][0]
        latest: dict[tuple[str, UUID], int] = {}
        for seq, model, row_id in found:
            latest.setdefault((model, row_id), seq)
        changes = serialize(sorted(latest.items(), key=lambda item: item[1]))
    from comptoir.syncengine.restored import last_restore

    restore = last_restore()
    return Recovery(
        restored_at=restore[0] if restore else None,
        rewound_to=restore[1] if restore else None,
        heads=chain_heads(cred.till),
        series=series_highest(cred.till),
        log_head=log_head(),
        pending_count=unsent_when_last_seen(cred),
        pending_at=cred.pending_at.isoformat() if cred.pending_at else None,
        changes=changes,
        cursor=cursor,
        more=more,
    )


# ---- the post: refusing to number before it caught up ---------------------------------

_recovering: ContextVar[bool] = ContextVar("comptoir_recovering", default=False)


def _home() -> Path | None:
    home = settings.COMPTOIR_HOME
    if home is None or settings.COMPTOIR_ROLE != "node":
        return None
    return Path(home)


def ensure_recovered() -> None:
    """Refuse a local write of synced data while this post's home is marked for recovery
    (:class:`RecoveryNeeded`, with what to do). Registered with ``capture.on_local_write``."""
    if _recovering.get():
        return
    home = _home()
    if home is not None and (home / RECOVERY_MARK).exists():
        raise RecoveryNeeded(
            _(
                "ce poste a été restauré depuis une sauvegarde : avant toute vente, il doit "
                "reprendre auprès du serveur les documents qu'il y avait envoyés. Lancez "
                "« comptoir sync --home %(home)s » (ou la caisse) avec le serveur joignable."
            )
            % {"home": home}
        )


# ---- the post: deciding, then catching up ----------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What a post does after comparing itself with the hub (:func:`decide`)."""

    take_back: bool = False  # its own records are on the hub and not here
    hub_went_back: bool = False  # the hub lost what it had acknowledged
    reasons: list[str] = field(default_factory=list)


def decide(
    *,
    marked: bool,
    local_heads: dict[str, Head],
    acknowledged_heads: dict[str, Head],
    hub_heads: dict[str, Head],
    cursor: int,
    hub_log_head: int,
    missed_restore: bool = False,
) -> Decision:
    """Pure: what to do, from what the post and the hub hold.

    - take back its own facts: the home is marked (restored), or the hub holds a later
      record of one of the post's chains than the post does;
    - the hub went back: the post's pull cursor is past the hub's log, or the post holds
      a record the hub had acknowledged (no longer in its outbox) that the hub lacks, or
      the hub says it was restored from a backup and this post, which had pulled past
      the log head the backup left, has not handled that restore (``missed_restore``:
      the other signs fade once other posts sent the hub their records again).
    """
    reasons = []
    if marked:
        reasons.append("restored")
    ahead = sorted(
        k for k, h in hub_heads.items() if h.sequence > local_heads.get(k, _NONE).sequence
    )
    if ahead:
        reasons.append("hub_ahead:" + ",".join(ahead))
    behind = sorted(
        k for k, h in acknowledged_heads.items() if h.sequence > hub_heads.get(k, _NONE).sequence
    )
    if cursor > hub_log_head:
        reasons.append(f"cursor_past_log:{cursor}>{hub_log_head}")
    if behind:
        reasons.append("hub_behind:" + ",".join(behind))
    if missed_restore:
        reasons.append("hub_restored")
    return Decision(
        take_back=marked or bool(ahead),
        hub_went_back=cursor > hub_log_head or bool(behind) or missed_restore,
        reasons=reasons,
    )


_NONE = Head(sequence=0, hash="")
_seen_this_process = False


def due() -> bool:
    """Compare with the hub now: at the first sync of a process, after a failed contact
    (the hub may have been restored meanwhile), and while the home is marked."""
    home = _home()
    if home is None:
        return False
    if not _seen_this_process or (home / RECOVERY_MARK).exists():
        return True
    return SyncState.objects.filter(pk=1).exclude(offline_since=None).exists()


def reconcile(client: HubClient) -> Decision:
    """Compare this post with the hub and catch up (see the module). Raises
    :class:`HubRefused` if its own facts cannot all be taken back (the mark stays)."""
    global _seen_this_process
    home = _home()
    assert home is not None
    till = till_current()
    mark = read_recovery_mark(home)
    summary = client.recovery()
    cursor = SyncState.objects.filter(pk=1).values_list("pull_cursor", flat=True).first() or 0
    restore_seen = _restore_seen(home)
    decision = decide(
        marked=mark is not None,
        local_heads=chain_heads(till),
        acknowledged_heads=chain_heads(till, acknowledged_only=True),
        hub_heads=summary.heads,
        cursor=cursor,
        hub_log_head=summary.log_head,
        missed_restore=bool(summary.restored_at)
        and summary.restored_at != restore_seen
        and cursor > (summary.rewound_to or 0),
    )
    if decision.take_back:
        if mark is None:  # found behind: no document until it caught up, even if cut off
            mark_recovery(home, since="")
            mark = {"since": ""}
        log.warning("reprise après restauration (%s)", ", ".join(decision.reasons))
        _take_back(client, till, mark["since"], summary)
        (home / RECOVERY_MARK).unlink(missing_ok=True)
    if decision.hub_went_back:
        log.warning("le serveur est revenu en arrière (%s)", ", ".join(decision.reasons))
        _hub_went_back(client, till)
    if summary.restored_at and summary.restored_at != restore_seen:
        _restore_handled(home, summary.restored_at)
    _seen_this_process = True
    return decision


HUB_RESTORE_SEEN = "hub-restore-seen.json"


def _restore_seen(home: Path) -> str:
    """The hub's last restore this post has handled (its instant), or ""."""
    try:
        data = json.loads((home / HUB_RESTORE_SEEN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(data.get("restored_at") or "") if isinstance(data, dict) else ""


def _restore_handled(home: Path, restored_at: str) -> None:
    path = home / HUB_RESTORE_SEEN
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps({"restored_at": restored_at}), encoding="utf-8")
    partial.replace(path)


def _take_back(client: HubClient, till: Till, since: str, summary: Recovery) -> None:
    """Apply this post's own facts from the hub, page by page; then move its counters and
    record what happened, in one transaction (writes allowed: ``_recovering``)."""
    after, taken, refused = 0, 0, []
    while True:
        page = client.recovery(since=since, after=after, limit=PAGE)
        with transaction.atomic():
            for change, outcome in zip(
                page.changes, apply_batch(page.changes, origin="hub"), strict=True
            ):
                if outcome.status == "rejected":
                    refused.append(f"{change.model} {change.row}: {outcome.reason}")
                elif outcome.status == "applied":
                    taken += 1
        if not page.more:
            break
        after = page.cursor
    if refused:
        raise HubRefused(
            _(
                "Reprise après restauration incomplète : %(n)d document(s) du serveur refusé(s) "
                "ici (%(first)s) ; nouvel essai à la prochaine synchronisation."
            )
            % {"n": len(refused), "first": refused[0]},
            409,
        )
    token = _recovering.set(True)
    try:
        with transaction.atomic(durable=True):
            resumes = move_counters(till)
            missing = [
                k
                for k, h in summary.heads.items()
                if h.sequence > chain_heads(till).get(k, _NONE).sequence
            ]
            if missing:
                raise HubRefused(
                    _("Reprise après restauration incomplète (chaînes : %(c)s).")
                    % {"c": ", ".join(missing)},
                    409,
                )
            event_record(
                kind=EventKind.INTEGRITY_ALERT,
                details={
                    "cause": "restore",
                    "since": since or "-",
                    "taken_back": taken,
                    "unsent_lost": summary.pending_count or 0,
                    "resumes_after": ", ".join(resumes) or "-",
                },
                till=till,
            )
    finally:
        _recovering.reset(token)
    log.warning(
        "reprise faite : %d document(s) repris du serveur, %d changement(s) non envoyé(s) "
        "perdu(s), numérotation reprise après %s",
        taken,
        summary.pending_count or 0,
        ", ".join(resumes) or "-",
    )


def move_counters(till: Till) -> list[str]:
    """Move ``till``'s chain heads and series counters to the last record held here (never
    back). Returns the last number of each series, as printed. In the caller's transaction."""
    for kind, head in chain_heads(till).items():
        counter = chain_head_lock(till=till, chain=kind)
        if head.sequence > counter.last_number:
            counter.last_number, counter.last_hash = head.sequence, head.hash
            counter.save(update_fields=["last_number", "last_hash"])
    resumes = []
    for model in _numbered_models():
        rows = model._default_manager.filter(till=till).values("year").annotate(n=Max("sequence"))
        for row in rows:
            year, last = row["year"], row["n"]
            number = (
                model._default_manager.filter(till=till, year=year, sequence=last)
                .values_list("number", flat=True)
                .first()
            )
            kind = next(
                (k for k in SERIES_KINDS if series_number(till.prefix, k, year, last) == number),
                "",
            )
            if not kind:
                continue
            SeriesCounter.objects.bulk_create(
                [SeriesCounter(till=till, kind=kind, year=year)], ignore_conflicts=True
            )
            SeriesCounter.objects.filter(
                till=till, kind=kind, year=year, last_number__lt=last
            ).update(last_number=last)
            resumes.append(str(number))
    return sorted(resumes)


def _hub_went_back(client: HubClient, till: Till) -> None:
    """Pull everything again, and put back in the outbox every row of this post's store
    the hub lacks or holds otherwise, whatever post made it (the hub's own post included:
    what it recorded after its backup is here, and lost there):

    - facts: this post's own; stock facts of its store; another post's records of the
      fiscal journal, which the hub takes only when their signature verifies with that
      post's key (``journal.arrival.relayed_record``): a till relays them, it cannot make
      them. Another post's facts without a signature are that post's to send again.
    - reference rows (articles, customers...) the hub lacks or holds in another state,
      except those a till may not write (stores, tills): each is sent with its per-field
      clocks, so where the hub holds a later edit of a field (made on another post since),
      the hub keeps it: the merge is the usual one, not an overwrite."""
    with transaction.atomic():
        state = state_locked()
        state.pull_cursor = 0
        state.save(update_fields=["pull_cursor"])
    for spec in registry.fact_roots():
        local = digests.row_hashes(spec.label, till.store_id)
        if not local:
            continue
        remote = client.digest(spec.label).get("rows", {})
        missing = [UUID(key) for key in set(local) - set(remote)]
        _enqueue(spec.label, _sendable_facts(spec.model, missing, till))
    for ref in registry.references():
        local = digests.row_hashes(ref.label, till.store_id)
        if not local:
            continue
        remote = client.digest(ref.label).get("rows", {})
        differing = [UUID(key) for key, value in local.items() if remote.get(key) != value]
        _enqueue(ref.label, _writable_here(ref, differing, till))


def _sendable_facts(model: type[models.Model], rows: list[UUID], till: Till) -> list[UUID]:
    """Those of ``rows`` (facts of this post's store) the hub takes from this post."""
    names = {f.name for f in model._meta.get_fields()}
    if "till" not in names:
        return rows
    own = Q(till=till)
    if "chain_version" in names:
        # Signed by a post whose key the hub has (this post holds it from the hub).
        own |= Q(chain_version__gte=2, chain_hash__gt="", signature__gt="", till__public_key__gt="")
    out: list[UUID] = []
    for start in range(0, len(rows), 500):
        chunk = model._default_manager.filter(pk__in=rows[start : start + 500])
        out.extend(chunk.filter(own).values_list("pk", flat=True))
    return out


def _writable_here(ref: registry.ReferenceSpec, rows: list[UUID], till: Till) -> list[UUID]:
    """Those of ``rows`` a till may write (the hub refuses the others from it)."""
    if ref.authorize is None or not rows:
        return rows
    out = []
    for start in range(0, len(rows), 500):
        for obj in ref.model._default_manager.filter(pk__in=rows[start : start + 500]):
            if not ref.authorize(till, obj, set(ref.fields)):
                out.append(obj.pk)
    return out


def _enqueue(label: str, rows: Iterable[UUID]) -> None:
    queued = set(OutboxEntry.objects.filter(model=label).values_list("row_id", flat=True))
    OutboxEntry.objects.bulk_create(
        [OutboxEntry(model=label, row_id=row) for row in rows if row not in queued],
        batch_size=500,
    )
