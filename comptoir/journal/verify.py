"""Recomputing a post's chains from the stored records (``comptoir journal verify``).

Each chain of each post is read whole, its version 1 records first (they carry no
sequence number: they are put in the order their links give, from the chain's start)
then the version 2 ones by sequence, and handed to :func:`comptoir.fiscal.chains.
verify_chain` with the post's public key. The result of every chain walked is kept in
:class:`~comptoir.journal.models.ChainCheck` for ``comptoir status`` and the sync pages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from comptoir.fiscal.canonical import GENESIS
from comptoir.fiscal.chains import (
    REASONS,
    ChainReport,
    Finding,
    Record,
    reason_text,
    verify_chain,
)
from comptoir.journal.kinds import FiscalKind, chains
from comptoir.journal.models import ChainCheck
from comptoir.journal.postkey import till_public_key
from comptoir.lib.chain import chain_hash
from comptoir.stores.models import Till

NO_KEY = "no_key"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    spec: FiscalKind
    obj: Any
    record: Record


@dataclass
class ChainResult:
    till: Till
    chain: str
    stored: list[Stored] = field(default_factory=list)
    report: ChainReport | None = None  # None: no key to verify with

    @property
    def status(self) -> str:
        return self.report.status if self.report is not None else "broken"

    @property
    def first(self) -> Finding | None:
        if self.report is None:
            first = next((s for s in self.stored if s.record.version >= 2), None)
            return Finding(first.record.sequence, "bad_signature") if first else None
        return self.report.first

    @property
    def reason(self) -> str:
        if self.report is None:
            return NO_KEY
        first = self.first
        return first.reason if first else ""

    def message(self) -> str:
        if self.report is None:
            return _(
                "clé publique du poste inconnue : ses signatures ne peuvent pas être vérifiées "
                "(ré-enrôlez le poste)."
            )
        first = self.first
        return reason_text(first.reason) if first else ""

    def first_record(self) -> Stored | None:
        first = self.first
        if first is None:
            return None
        return next((s for s in self.stored if s.record.sequence == first.sequence), None)

    def as_json(self) -> dict[str, Any]:
        found = self.first_record()
        first = self.first
        return {
            "post": self.till.prefix,
            "chain": self.chain,
            "status": self.status,
            "count": len(self.stored),
            "first": None
            if first is None
            else {
                "sequence": first.sequence,
                "reason": self.reason,
                "message": self.message(),
                "model": found.spec.label if found else "",
                "id": str(found.obj.pk) if found else "",
                "number": found.spec.number(found.obj) if found else "",
            },
        }


def _values(spec: FiscalKind, obj: Any, version: int) -> dict[str, Any]:
    """A record's hashed values rebuilt; for version 1, the candidate the stored hash
    matches (a legacy rebuild may give several: see ``sales.journal_setup``)."""
    try:
        if version != 1:
            return spec.values(obj)
        candidates = spec.legacy(obj) if spec.legacy is not None else [{}]
        for values in candidates:
            if chain_hash(obj.previous_hash or "", values) == obj.chain_hash:
                return values
        return candidates[0]
    except Exception:
        return {}


def _record(spec: FiscalKind, obj: Any, sequence: int) -> Record:
    version = obj.chain_version or 1
    return Record(
        sequence=sequence,
        version=version,
        kind=spec.kind,
        values=_values(spec, obj, version),
        previous_hash=obj.previous_hash or "",
        hash=obj.chain_hash or "",
        signature=obj.signature,
    )


def record_of(spec: FiscalKind, obj: Any) -> Record:
    """A stored record of the fiscal journal as its chain's check reads it."""
    return _record(spec, obj, obj.chain_sequence or 0)


def _in_link_order(legacy: list[tuple[FiscalKind, Any]]) -> list[tuple[FiscalKind, Any]]:
    """Version 1 records in the order of their links from the chain's start; the ones no
    link reaches follow, by instant (the check then names them)."""
    by_previous: dict[str, list[tuple[FiscalKind, Any]]] = {}
    for item in legacy:
        by_previous.setdefault(item[1].previous_hash or "", []).append(item)
    ordered: list[tuple[FiscalKind, Any]] = []
    seen: set[Any] = set()
    current = GENESIS
    while by_previous.get(current):
        item = by_previous[current].pop(0)
        ordered.append(item)
        seen.add(item[1].pk)
        current = item[1].chain_hash
    rest = [i for i in legacy if i[1].pk not in seen]
    rest.sort(key=lambda i: (getattr(i[1], i[0].instant), str(i[1].pk)))
    return ordered + rest


def chain_stored(till: Till, chain: str, *, since: int | None = None) -> list[Stored]:
    """A post's chain as stored, in chain order. ``since``: the version 2 records from
    that sequence number only (the hub's check of a push)."""
    legacy: list[tuple[FiscalKind, Any]] = []
    current: list[tuple[FiscalKind, Any]] = []
    for spec in chains().get(chain, []):
        rows: Any = spec.model._default_manager.filter(till=till)
        if since is not None:
            rows = rows.filter(chain_sequence__gte=since)
        else:
            rows = rows.filter(Q(chain_version__isnull=False) | Q(chain_hash__gt=""))
        rows = rows.select_related(*spec.select).prefetch_related(*spec.prefetch)
        for obj in rows.iterator(chunk_size=500):
            (current if obj.chain_version else legacy).append((spec, obj))
    out = [
        Stored(spec, obj, _record(spec, obj, n))
        for n, (spec, obj) in enumerate(_in_link_order(legacy), start=1)
    ]
    current.sort(key=lambda i: (i[1].chain_sequence, str(i[1].pk)))
    out += [Stored(spec, obj, _record(spec, obj, obj.chain_sequence)) for spec, obj in current]
    return out


def chain_verify(
    till: Till,
    chain: str,
    *,
    key: Ed25519PublicKey | None = None,
    gaps_pending: bool = False,
) -> ChainResult:
    stored = chain_stored(till, chain)
    key = key or till_public_key(till)
    result = ChainResult(till, chain, stored)
    if key is None and any(s.record.version >= 2 for s in stored):
        return result
    if key is not None:
        result.report = verify_chain([s.record for s in stored], key, gaps_pending=gaps_pending)
    else:  # only version 1 records: no signature to check
        from comptoir.fiscal.keys import key_generate

        result.report = verify_chain([s.record for s in stored], key_generate().public_key())
    return result


def tills_verified(prefix: str | None = None) -> list[Till]:
    """The posts whose chains this side verifies: every post on the hub, this post's own
    till(s) on a till; ``prefix`` picks one."""
    if prefix:
        tills = Till.objects.select_related("store").order_by("prefix")
        return list(tills.filter(prefix=prefix.strip().upper()))
    return list(tills_verified_query())


def tills_verified_query() -> QuerySet[Till]:
    """:func:`tills_verified` as a query, by prefix (for a page of a chain's posts)."""
    tills = Till.objects.select_related("store").order_by("prefix")
    if settings.COMPTOIR_ROLE == "hub":
        return tills
    return tills.filter(node_id=str(settings.COMPTOIR_NODE_ID))


def journal_verify(prefix: str | None = None) -> list[ChainResult]:
    """Verify every chain of the posts this side verifies (see :func:`tills_verified`);
    the chains with no record are left out. Each result is kept (``ChainCheck``)."""
    hub = settings.COMPTOIR_ROLE == "hub"
    own = str(settings.COMPTOIR_NODE_ID)
    results = []
    for till in tills_verified(prefix):
        # Another post's records may still be on their way: a gap there is pending.
        pending = hub and till.node_id != own
        for chain in chains():
            result = chain_verify(till, chain, gaps_pending=pending)
            if result.stored:
                results.append(result)
    checks_store(results)
    return results


def journal_outcome(results: Iterable[ChainResult]) -> str:
    """One word for a verification: ``whole`` if every chain is, else ``broken`` if one
    is, else ``pending`` (a record whose predecessor has not arrived)."""
    statuses = {r.status for r in results}
    if statuses <= {"whole"}:
        return "whole"
    return "broken" if "broken" in statuses else "pending"


def journal_verify_quietly() -> None:
    """``journal_verify`` run by itself (at start): its result is
    kept for the status and sync pages; a failure to check is logged, never raised."""
    try:
        journal_verify()
    except Exception:  # a background check must not break what ran it
        logger.exception("journal verify failed")


def check_save(
    till: Till,
    chain: str,
    status: str,
    count: int,
    found: Stored | None,
    reason: str,
    sequence: int | None,
    *,
    current: ChainCheck | None = None,
) -> None:
    """Keep a chain's state. ``current``: its row, read in this transaction (one
    ``UPDATE``, no read again)."""
    fields = {
        "status": status,
        "count": count,
        "model": found.spec.label if found else "",
        "row_id": found.obj.pk if found else None,
        "number": (found.spec.number(found.obj) if found else "")[:40],
        "sequence": sequence,
        "reason": reason,
        "checked_at": timezone.now(),
    }
    if current is not None and ChainCheck.objects.filter(pk=current.pk).update(**fields):
        return
    ChainCheck.objects.update_or_create(till=till, chain=chain, defaults=fields)


@transaction.atomic
def checks_store(results: Iterable[ChainResult]) -> None:
    for r in results:
        first = r.first
        check_save(
            r.till,
            r.chain,
            r.status,
            len(r.stored),
            r.first_record(),
            r.reason,
            first.sequence if first else None,
        )


def checks_list() -> list[ChainCheck]:
    """The last known state of each chain on this side, posts by prefix."""
    return list(ChainCheck.objects.select_related("till").order_by("till__prefix", "chain"))


CHAIN_NAMES = {
    "doc": _lazy("factures et avoirs"),
    "sess": _lazy("sessions de caisse"),
    "move": _lazy("mouvements d'espèces"),
    "sett": _lazy("règlements sur compte"),
    "close": _lazy("clôtures"),
    "event": _lazy("événements techniques"),
}


def chain_name(chain: str) -> str:
    return str(CHAIN_NAMES.get(chain, chain))


def check_reason_text(check: ChainCheck) -> str:
    if check.reason == NO_KEY:
        return _("clé publique du poste inconnue : ses signatures ne peuvent pas être vérifiées.")
    if check.reason in REASONS:
        return reason_text(check.reason)  # type: ignore[arg-type]
    return ""


def checks_summary(
    store_ids: Iterable[Any] | None = None, *, limit: int | None = None
) -> dict[str, Any]:
    """What ``comptoir status`` and the sync pages show: the overall state (``whole``,
    ``pending``, ``broken`` or ``unknown`` before any check), when, and the chains that
    are not whole (by post; the first ``limit`` of them when given, out of
    ``problem_count``). ``store_ids``: those stores' posts only. Counted in the database:
    a chain's hub keeps a few checks for each of thousands of posts."""
    checks = ChainCheck.objects.all()
    if store_ids:
        checks = checks.filter(till__store_id__in=[str(s) for s in store_ids])
    counts = checks.aggregate(
        total=Count("pk"),
        checked_at=Max("checked_at"),
        problems=Count("pk", filter=~Q(status="whole")),
        broken=Count("pk", filter=Q(status="broken")),
    )
    if not counts["total"]:
        return {"status": "unknown", "checked_at": None, "problems": [], "problem_count": 0}
    shown = checks.exclude(status="whole").select_related("till").order_by("till__prefix", "chain")
    problems = list(shown if limit is None else shown[:limit])
    for check in problems:
        check.chain_name = chain_name(check.chain)  # type: ignore[attr-defined]
        check.reason_text = check_reason_text(check)  # type: ignore[attr-defined]
    status = "whole"
    if counts["broken"]:
        status = "broken"
    elif counts["problems"]:
        status = "pending"
    return {
        "status": status,
        "checked_at": counts["checked_at"],
        "problems": problems,
        "problem_count": counts["problems"],
    }
