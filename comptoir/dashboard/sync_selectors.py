"""Hub-side reads for the sync page: the enrolled tills and how far behind each one is."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.apps import apps
from django.db.models import Q, QuerySet

from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ChangeLog, ConflictLog, NodeCredential

#: Lag is counted up to this many changes; beyond, the page says "more than".
LAG_CAP = 10_000


@dataclass(frozen=True)
class NodeRow:
    name: str
    node_id: str
    store: str
    till: str
    last_seen_at: datetime | None
    last_push_at: datetime | None
    last_pull_at: datetime | None
    lag: int  # changes in the log this till should see and has not pulled yet
    lag_capped: bool
    version: str  # as the node last told it (its User-Agent), or at enrollment
    revoked: bool
    pending: int | None = None  # the node's outbox at its last pull (None: never told)
    pending_at: datetime | None = None


def node_lag(cred: NodeCredential) -> int:
    """Changes after the node's last pull cursor that are meant for it (capped).

    Same visibility as the pull itself: reference data and its store's facts, not the
    changes it wrote itself.
    """
    visible = (Q(store=None) | Q(store_id=cred.till.store_id)) & ~Q(origin_node=cred.node_id)
    return ChangeLog.objects.filter(visible, seq__gt=cred.pull_cursor)[: LAG_CAP + 1].count()


def nodes_overview(*, store_ids: Collection[UUID] | None = None) -> list[NodeRow]:
    """The enrolled tills (of ``store_ids``' stores; None: every store's)."""
    rows = []
    creds = NodeCredential.objects.select_related("till", "till__store").order_by(
        "till__store__name", "name"
    )
    if store_ids is not None:
        creds = creds.filter(till__store_id__in=store_ids)
    for cred in creds:
        lag = node_lag(cred)
        rows.append(
            NodeRow(
                name=cred.name,
                node_id=cred.node_id,
                store=cred.till.store.name,
                till=cred.till.prefix,
                last_seen_at=cred.last_seen_at,
                last_push_at=cred.last_push_at,
                last_pull_at=cred.last_pull_at,
                lag=min(lag, LAG_CAP),
                lag_capped=lag > LAG_CAP,
                version=cred.version,
                revoked=cred.revoked_at is not None,
                pending=cred.pending_count,
                pending_at=cred.pending_at,
            )
        )
    return rows


def node_names(*, store_ids: Collection[UUID] | None = None) -> dict[str, str]:
    """Enrolled tills' names by node id (of ``store_ids``' stores; None: every store's)."""
    creds = NodeCredential.objects.all()
    if store_ids is not None:
        creds = creds.filter(till__store_id__in=store_ids)
    return dict(creds.values_list("node_id", "name"))


def model_name(label: str) -> str:
    """``sales.invoice`` → ``facture`` (the model's verbose name), or the label itself."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def clock_node(encoded: str) -> str:
    try:
        return Timestamp.decode(encoded).node
    except (ValueError, IndexError):
        return ""


def conflicts() -> QuerySet[ConflictLog]:
    """Every value that lost a merge, latest first."""
    return ConflictLog.objects.order_by("-id")
