"""Hub-side reads for the sync page: the enrolled tills, how far behind each one is, and
the conflict log in words a manager reads."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.db import connections, models
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from comptoir.lib.errors import ComptoirError
from comptoir.lib.fields import MoneyField, QuantityField
from comptoir.lib.money import format_money
from comptoir.lib.quantity import format_quantity
from comptoir.sync import wire
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ChangeLog, ConflictLog, IntegrityAlert, NodeCredential

#: Lag is counted up to this many changes; beyond, the page says "more than".
LAG_CAP = 10_000


#: A till whose last contact is older than this is late (a live till touches its contact
#: at least every 30 s, a till on long polls at every cycle).
LATE_AFTER = timedelta(minutes=5)
#: Tills shown per page of the sync page.
NODES_PER_PAGE = 50

#: The states a till can be filtered by, with the attention order of the list: first the
#: tills with an open integrity alert, then the late ones, those with unsent sales, those
#: never seen, the revoked ones, and last the tills that are fine.
NODE_STATES = ("attention", "late", "pending", "never", "revoked", "online")


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
    late: bool = False
    alerts: int = 0  # open integrity alerts of this till


@dataclass(frozen=True)
class NodeSummary:
    """Every enrolled till of the scope, counted by state (revoked tills are in
    ``revoked`` only; a till late with unsent sales counts in both)."""

    total: int
    online: int
    late: int
    never: int
    revoked: int
    pending: int  # tills that said at their last pull that they have changes to send
    alerts: int  # tills with an open integrity alert
    attention: int  # tills in at least one of late, pending, alerts (not revoked)


def _lag_query(cred: NodeCredential) -> QuerySet[ChangeLog]:
    """Same visibility as the pull itself: reference data and its store's facts, not the
    changes the node wrote itself, after its cursor."""
    visible = (Q(store=None) | Q(store_id=cred.till.store_id)) & ~Q(origin_node=cred.node_id)
    return ChangeLog.objects.filter(visible, seq__gt=cred.pull_cursor).order_by()


def node_lag(cred: NodeCredential) -> int:
    """Changes after the node's last pull cursor that are meant for it (capped)."""
    return _lag_query(cred)[: LAG_CAP + 1].count()


def node_lags(creds: Sequence[NodeCredential]) -> list[int]:
    """:func:`node_lag` of each of ``creds`` (capped), in one query whatever their number:
    a capped count per till, glued by ``UNION ALL``."""
    if not creds:
        return []
    parts, params = [], []
    for n, cred in enumerate(creds):
        query = _lag_query(cred).values("seq")[: LAG_CAP + 1].query
        sql, part_params = query.get_compiler(ChangeLog.objects.db).as_sql()
        parts.append(f"SELECT {n} AS n, COUNT(*) AS lag FROM ({sql}) AS lag_{n}")
        params.extend(part_params)
    with connections[ChangeLog.objects.db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found = dict(cursor.fetchall())
    return [int(found.get(n, 0)) for n in range(len(creds))]


def _credentials(store_ids: Collection[UUID] | None, *, now: datetime) -> QuerySet[NodeCredential]:
    creds = NodeCredential.objects.all()
    if store_ids is not None:
        creds = creds.filter(till__store_id__in=store_ids)
    cutoff = now - LATE_AFTER
    live = Q(revoked_at=None)
    return creds.annotate(
        is_late=ExpressionWrapper(
            live & Q(last_seen_at__lt=cutoff), output_field=models.BooleanField()
        ),
        alert_count=Subquery(
            IntegrityAlert.objects.filter(node_id=OuterRef("node_id"), resolved_at=None)
            .order_by()
            .values("node_id")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=models.IntegerField(),
        ),
    )


def _state_filter(state: str, *, now: datetime) -> Q:
    live = Q(revoked_at=None)
    late = live & Q(last_seen_at__lt=now - LATE_AFTER)
    pending = live & Q(pending_count__gt=0)
    alerts = live & Q(
        Exists(IntegrityAlert.objects.filter(node_id=OuterRef("node_id"), resolved_at=None))
    )
    return {
        "attention": late | pending | alerts,
        "late": late,
        "pending": pending,
        "never": live & Q(last_seen_at=None),
        "revoked": ~live,
        "online": live & Q(last_seen_at__gte=now - LATE_AFTER),
    }.get(state, Q())


def nodes_summary(
    *, store_ids: Collection[UUID] | None = None, now: datetime | None = None
) -> NodeSummary:
    """The tills of ``store_ids``' stores (None: every store's) counted by state, in one
    query however many there are."""
    now = now or timezone.now()
    creds = NodeCredential.objects.all()
    if store_ids is not None:
        creds = creds.filter(till__store_id__in=store_ids)
    counts = creds.aggregate(
        total=Count("pk"),
        **{
            state: Count("pk", filter=_state_filter(state, now=now))
            for state in ("online", "late", "never", "revoked", "pending", "attention")
        },
        alerts=Count(
            "pk",
            filter=Q(
                Exists(IntegrityAlert.objects.filter(node_id=OuterRef("node_id"), resolved_at=None))
            ),
        ),
    )
    return NodeSummary(**{k: int(v or 0) for k, v in counts.items()})


def nodes_page(
    *,
    store_ids: Collection[UUID] | None = None,
    state: str = "",
    search: str = "",
    store_search: str = "",
    now: datetime | None = None,
) -> QuerySet[NodeCredential]:
    """The enrolled tills of ``store_ids``' stores (None: every store's) in ``state`` (one
    of :data:`NODE_STATES`, "" for all), whose name or series contains ``search`` and
    whose store's name contains ``store_search``; those needing attention first, then by
    store and name. Page it, then give the page to :func:`node_rows`."""
    now = now or timezone.now()
    creds = _credentials(store_ids, now=now).filter(_state_filter(state, now=now))
    if search:
        creds = creds.filter(Q(name__icontains=search) | Q(till__prefix__icontains=search))
    if store_search:
        creds = creds.filter(till__store__name__icontains=store_search)
    live = Q(revoked_at=None)
    rank = Case(
        When(live & Q(alert_count__gt=0), then=Value(0)),
        When(live & Q(last_seen_at__lt=now - LATE_AFTER), then=Value(1)),
        When(live & Q(pending_count__gt=0), then=Value(2)),
        When(live & Q(last_seen_at=None), then=Value(3)),
        When(~live, then=Value(4)),
        default=Value(5),
    )
    return (
        creds.select_related("till", "till__store")
        .annotate(rank=rank)
        .order_by("rank", "till__store__name", "name", "node_id")
    )


def node_rows(creds: Iterable[NodeCredential]) -> list[NodeRow]:
    """A page of :func:`nodes_page` as rows, with their lag (one query for the page)."""
    creds = list(creds)
    rows = []
    for cred, lag in zip(creds, node_lags(creds), strict=True):
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
                late=bool(getattr(cred, "is_late", False)),
                alerts=int(getattr(cred, "alert_count", 0) or 0),
            )
        )
    return rows


def nodes_overview(*, store_ids: Collection[UUID] | None = None) -> list[NodeRow]:
    """Every enrolled till (of ``store_ids``' stores; None: every store's), attention
    first: for small lists and tests; pages use :func:`nodes_page`."""
    return node_rows(nodes_page(store_ids=store_ids))


def node_names(
    *, store_ids: Collection[UUID] | None = None, node_ids: Collection[str] | None = None
) -> dict[str, str]:
    """Enrolled tills' names by node id (of ``store_ids``' stores; None: every store's),
    of ``node_ids`` only when given (a page names the posts it shows, not every till)."""
    creds = NodeCredential.objects.all()
    if store_ids is not None:
        creds = creds.filter(till__store_id__in=store_ids)
    if node_ids is not None:
        creds = creds.filter(node_id__in=list(node_ids))
    return dict(creds.values_list("node_id", "name"))


def model_name(label: str) -> str:
    """``sales.invoice`` → ``facture`` (the model's verbose name), or the label itself."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def conflicts() -> QuerySet[ConflictLog]:
    """Every value that lost a merge, latest first."""
    return ConflictLog.objects.order_by("-id")


@dataclass(frozen=True)
class ConflictSide:
    value: str  # formatted for people: « 1,10 € », « Oui », a category's name
    post: str  # the post that wrote it, by name (« Serveur » for the hub's own edits)
    at: datetime | None  # when it was written (its clock's wall time)


@dataclass(frozen=True)
class ConflictRow:
    entry: ConflictLog
    model_name: str  # « article »
    row: str  # the row as people know it: « PAIN Pain de campagne »
    field: str  # the field's French name: « Prix de vente TTC »
    kept: ConflictSide
    lost: ConflictSide


def conflict_rows(
    entries: Iterable[ConflictLog], *, names: dict[str, str] | None = None
) -> list[ConflictRow]:
    """Conflict-log entries in words: the row by code and name, the field by its verbose
    name, both values formatted, both posts by name (``names``: node id -> post name;
    the hub's own node is « Serveur »)."""
    posts = {**(names or {}), str(settings.COMPTOIR_NODE_ID): _("Serveur")}
    rows = []
    for entry in entries:
        model = _model(entry.model)
        field = _field(model, entry.field)
        rows.append(
            ConflictRow(
                entry=entry,
                model_name=model_name(entry.model),
                row=_row_label(model, entry.row_id),
                field=capfirst(str(field.verbose_name)) if field else entry.field,
                kept=_side(model, field, entry.kept_value, entry.kept_clock, posts),
                lost=_side(model, field, entry.lost_value, entry.lost_clock, posts),
            )
        )
    return rows


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, attname: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    return next((f for f in model._meta.concrete_fields if f.attname == attname), None)


def _row_label(model: type[models.Model] | None, row_id: UUID) -> str:
    obj = model._default_manager.filter(pk=row_id).first() if model is not None else None
    if obj is None:
        return str(row_id)
    parts = [str(getattr(obj, name, "") or "") for name in ("code", "name")]
    return " ".join(p for p in parts if p) or str(obj)


def _side(
    model: type[models.Model] | None,
    field: models.Field[Any, Any] | None,
    raw: Any,
    clock: str,
    posts: dict[str, str],
) -> ConflictSide:
    try:
        stamp: Timestamp | None = Timestamp.decode(clock)
    except (ValueError, IndexError, AttributeError):
        stamp = None
    node = stamp.node if stamp else ""
    post = posts.get(node) or (_("poste %(id)s") % {"id": node[:8]} if node else "—")
    at = datetime.fromtimestamp(stamp.wall_ms / 1000, tz=UTC) if stamp else None
    return ConflictSide(value=_value_text(model, field, raw), post=post, at=at)


def _value_text(
    model: type[models.Model] | None, field: models.Field[Any, Any] | None, raw: Any
) -> str:
    """A stored wire value as people read it."""
    if model is None or field is None:
        return "—" if raw is None else str(raw)
    try:
        value = wire.from_wire(model, field.attname, raw)
    except (ComptoirError, ValueError, TypeError, ArithmeticError):  # shown as it came
        return str(raw)
    if value is None:
        return "—"
    if isinstance(field, MoneyField):
        return format_money(int(value), settings.COMPTOIR_CURRENCY)
    if isinstance(field, models.BooleanField):
        return _("Oui") if value else _("Non")
    if isinstance(field, models.ForeignKey):
        target: Any = field.related_model
        return _row_label(target, value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, QuantityField):
        return formats.number_format(Decimal(format_quantity(value)), use_l10n=True)
    if isinstance(value, Decimal):
        return formats.number_format(value, use_l10n=True)
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if value == "":
        return _("(vide)")
    return str(value)
