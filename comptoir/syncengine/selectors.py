"""Where sync stands on this post: what ``comptoir status`` and the UI badge show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from comptoir.sync import registry
from comptoir.sync.models import IntegrityAlert, OutboxEntry, PullFailure, SyncState
from comptoir.syncengine.protocol import CLOCK_TOLERANCE_MS


@dataclass
class SyncStatus:
    role: str
    hub_url: str
    last_push_at: datetime | None
    last_pull_at: datetime | None
    last_contact_at: datetime | None
    offline_since: datetime | None
    last_error: str
    pending: int
    rejected: list[dict[str, str]] = field(default_factory=list)
    # The refused ones that are facts (validated documents): integrity alerts.
    integrity_alerts: list[dict[str, str]] = field(default_factory=list)
    pull_failures: list[dict[str, str]] = field(default_factory=list)
    clock_offset_ms: int = 0
    # Set while this post's pushes fail even though the hub answers its pulls (see
    # :func:`push_failing_since`).
    push_failing_since: datetime | None = None
    # A snapshot of the hub's state begun and not finished (a new post, or one left behind
    # the log's cut): it goes on at the next pull.
    snapshot_under_way: bool = False

    @property
    def online(self) -> bool:
        return (
            self.offline_since is None
            and self.last_contact_at is not None
            and self.push_failing_since is None
        )

    @property
    def clock_skewed(self) -> bool:
        return abs(self.clock_offset_ms) > CLOCK_TOLERANCE_MS


def pending_count() -> int:
    """Rows this post still has to send (several outbox entries may name one row)."""
    return OutboxEntry.objects.filter(rejected_at=None).values("model", "row_id").distinct().count()


def push_failing_since(state: SyncState) -> datetime | None:
    """Since when this post's pushes fail, or None.

    A successful pull (or long poll) clears ``offline_since``, so it cannot tell that
    pushes fail (time-outs, 5xx) while pulls succeed. They do when changes wait to be
    sent and a failure was noted after the last push the hub acknowledged and after the
    oldest waiting change was written: since that change, or that last push, whichever
    came later.
    """
    if state.last_error_at is None:
        return None
    oldest = (
        OutboxEntry.objects.filter(rejected_at=None)
        .order_by("seq")
        .values_list("created_at", flat=True)
        .first()
    )
    if oldest is None:
        return None
    since = max(oldest, state.last_push_at) if state.last_push_at else oldest
    return since if state.last_error_at >= since else None


def sync_status() -> SyncStatus:
    state = SyncState.objects.filter(pk=1).first() or SyncState()
    rejected_rows: dict[tuple[str, str], dict[str, str]] = {}
    for e in OutboxEntry.objects.exclude(rejected_at=None).order_by("seq")[:1000]:
        rejected_rows[(e.model, str(e.row_id))] = {
            "model": e.model,
            "row": str(e.row_id),
            "reason": e.rejected_reason,
            "at": e.rejected_at.isoformat() if e.rejected_at else "",
        }
    rejected = list(rejected_rows.values())[:100]
    alerts = [dict(r, document=_document(r["model"], r["row"])) for r in rejected if _is_fact(r)]
    failures = [
        {"model": f.model, "row": str(f.row_id), "reason": f.reason, "at": f.at.isoformat()}
        for f in PullFailure.objects.order_by("-id")[:100]
    ]
    return SyncStatus(
        role=settings.COMPTOIR_ROLE,
        hub_url=settings.COMPTOIR_HUB_URL,
        last_push_at=state.last_push_at,
        last_pull_at=state.last_pull_at,
        last_contact_at=state.last_contact_at,
        offline_since=state.offline_since,
        last_error=state.last_error,
        pending=pending_count(),
        rejected=rejected,
        integrity_alerts=alerts,
        pull_failures=failures,
        clock_offset_ms=state.clock_offset_ms,
        push_failing_since=push_failing_since(state),
        snapshot_under_way=state.snapshot_head is not None,
    )


def integrity_alert_open_list() -> list[IntegrityAlert]:
    """Hub: the facts tills validated and the hub refused, not applied since; latest first."""
    return list(IntegrityAlert.objects.filter(resolved_at=None).order_by("-last_at", "-id")[:100])


def _is_fact(item: dict[str, str]) -> bool:
    return registry.fact_spec(item["model"]) is not None


def _document(label: str, row: str) -> str:
    """The number a refused document was printed with (invoices, credit notes), or ""."""
    spec = registry.fact_spec(label)
    if spec is None or "number" not in {f.name for f in spec.model._meta.concrete_fields}:
        return ""
    number = spec.model._base_manager.filter(pk=row).values_list("number", flat=True).first()
    return str(number or "")


def age_text(when: datetime | None) -> str:
    """ "il y a 3 s", "il y a 12 min", "jamais"."""
    from django.utils.translation import gettext as _

    if when is None:
        return _("jamais")
    seconds = max(0, int((timezone.now() - when).total_seconds()))
    if seconds < 60:
        return _("il y a %(n)d s") % {"n": seconds}
    if seconds < 3600:
        return _("il y a %(n)d min") % {"n": seconds // 60}
    if seconds < 86400:
        return _("il y a %(n)d h") % {"n": seconds // 3600}
    return _("il y a %(n)d j") % {"n": seconds // 86400}
