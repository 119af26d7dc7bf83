"""What the hub checks when a post's fiscal records arrive (**the hub proves what it
received**).

- :func:`signature_problem`, before a record is stored: a version 2 record whose
  signature does not verify against its post's registered key is refused (it stays in
  the till's outbox, shown as refused, with the reason).
- :func:`records_arrived`, once a push is applied: each chain that received records is
  checked from the first new record on. A record whose predecessor has not arrived is
  *pending*, and becomes whole when it arrives; a chain that does not link is kept (a
  real sale is never dropped) and raises an integrity alert on its first broken record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.fiscal.canonical import GENESIS, signed_message
from comptoir.fiscal.chains import reason_text, verify_chain
from comptoir.fiscal.keys import signature_valid
from comptoir.journal.hooks import BrokenLink, broken_link_hooks
from comptoir.journal.kinds import chains, kind_of_model
from comptoir.journal.models import ChainCheck
from comptoir.journal.postkey import till_public_key
from comptoir.journal.verify import Stored, chain_stored, check_save, record_of
from comptoir.stores.models import Till
from comptoir.sync.models import IntegrityAlert


def _till(till_id: Any, known: Till | None) -> Till | None:
    """The post ``till_id``: ``known`` when it is that post (the pusher's, read under its
    credential's lock: no query), else read."""
    if known is not None and str(known.pk) == str(till_id):
        return known
    return Till.objects.filter(pk=till_id).first()


def signature_problem(label: str, root: Any, known: Till | None = None) -> str | None:
    """Why the hub refuses an arriving record's signature, or None (not a chained record,
    made before signatures, or signed by its post's key). ``known``: the pushing post,
    read in this transaction (see :func:`_till`)."""
    spec = kind_of_model(label)
    if spec is None or not root.chain_version or root.chain_version < 2:
        return None
    till = _till(root.till_id, known)
    key = till_public_key(till) if till is not None else None
    if key is None:
        # A post enrolled before the fiscal journal: its key reaches the hub at its next
        # ``node reenroll``. Its records are kept meanwhile (a real sale is never
        # dropped), and ``journal verify`` shows the chain as unverifiable.
        return None
    if not signature_valid(key, signed_message(root.chain_hash or ""), root.signature):
        return _(
            "Signature invalide : l'enregistrement fiscal %(number)s ne vient pas de la clé "
            "de ce poste ; refusé."
        ) % {"number": spec.number(root) or root.pk}
    return None


def relayed_record(label: str, root: Any, pusher: Till) -> bool:
    """Whether the hub takes ``root``, a record of another post of ``pusher``'s store, from
    ``pusher``: a till that found the hub restored from an older backup sends it back what
    it lost, whatever post made it (``syncengine.recovery``). Only a record of the fiscal
    journal whose signature verifies with its own post's registered key: a till relays
    another post's records, it cannot make them."""
    spec = kind_of_model(label)
    if spec is None or not root.chain_version or root.chain_version < 2:
        return False
    if root.store_id != pusher.store_id or root.till_id == pusher.pk:
        return False
    till = Till.objects.filter(pk=root.till_id).first()
    key = till_public_key(till) if till is not None else None
    if key is None:
        return False
    return signature_valid(key, signed_message(root.chain_hash or ""), root.signature)


def relayed_intact(label: str, pk: Any) -> bool:
    """Whether a relayed record, once stored (in the caller's savepoint), hashes to the
    hash its post signed: a till relays another post's records, it cannot alter them."""
    spec = kind_of_model(label)
    if spec is None:
        return False
    obj = (
        spec.model._default_manager.filter(pk=pk)
        .select_related(*spec.select)
        .prefetch_related(*spec.prefetch)
        .first()
    )
    if obj is None:
        return False
    try:
        return bool(record_of(spec, obj).recomputed_hash() == getattr(obj, "chain_hash", None))
    except (TypeError, ValueError):
        return False


def _predecessor(till: Till, chain: str, first: Stored) -> tuple[int, str]:
    """The (sequence, hash) the first new record should follow, as far as the hub knows:
    the record before it in the chain, or (0, start) when it has not arrived (the check
    then calls the new record pending)."""
    sequence = first.record.sequence
    if sequence == 1:
        return 0, GENESIS
    for spec in chains()[chain]:
        before = (
            spec.model._default_manager.filter(till=till)
            .filter(
                Q(chain_sequence=sequence - 1)
                | Q(chain_sequence__isnull=True, chain_hash=first.record.previous_hash)
            )
            .values_list("chain_hash", flat=True)
            .first()
        )
        if before is not None:
            return sequence - 1, before
    return 0, GENESIS


def records_arrived(
    node_id: str, applied: Iterable[tuple[str, str]], known: Till | None = None
) -> None:
    """After a push: check the chains of the fiscal records just applied (model label,
    row id), record each chain's state and raise an alert on a broken link. ``known``:
    the pushing post, read in this transaction (see :func:`_till`)."""
    firsts: dict[tuple[Any, str], int] = {}
    for label, row in applied:
        spec = kind_of_model(label)
        if spec is None:
            continue
        found = (
            spec.model._default_manager.filter(pk=row, chain_version__gte=2)
            .values_list("till_id", "chain_sequence")
            .first()
        )
        if found is None:
            continue
        key = (found[0], spec.chain)
        firsts[key] = min(firsts.get(key, found[1]), found[1])
    for (till_id, chain), since in firsts.items():
        till = _till(till_id, known)
        assert till is not None  # (a record's post is a foreign key)
        _check_from(node_id, till, chain, since)


def _check_from(node_id: str, till: Till, chain: str, since: int) -> None:
    key = till_public_key(till)
    if key is None:  # (before reading the chain: nothing to check it with)
        return
    stored = chain_stored(till, chain, since=since)
    if not stored:
        return
    after = _predecessor(till, chain, stored[0])
    report = verify_chain([s.record for s in stored], key, after=after, gaps_pending=True)
    previous = ChainCheck.objects.filter(till=till, chain=chain).first()
    first = report.first
    found = (
        next((s for s in stored if s.record.sequence == first.sequence), None) if first else None
    )
    status = report.status
    if previous is not None and previous.status == "broken" and status != "broken":
        return  # a break stays shown until a whole ``journal verify`` clears it
    if (
        status == "whole"
        and previous is not None
        and previous.status == "pending"
        and previous.sequence is not None
        and previous.sequence < since
    ):
        return  # an earlier gap is still open
    check_save(
        till,
        chain,
        status,
        len(stored),
        found,
        first.reason if first else "",
        first.sequence if first else None,
        current=previous,
    )
    if status == "broken":
        _alert(
            node_id,
            till,
            chain,
            [s for s in stored if s.record.sequence in {f.sequence for f in report.broken}],
            report,
        )


def _alert(node_id: str, till: Till, chain: str, broken: list[Stored], report: Any) -> None:
    """Raise (or raise again) an integrity alert per broken record; the hooks hear of each
    alert once, when it is raised, not when a record is checked again while its alert is
    open (a copy sent again, a later check of the chain)."""
    now = timezone.now()
    reasons = {f.sequence: f.reason for f in report.broken}
    already = set(
        IntegrityAlert.objects.filter(
            node_id=node_id,
            row_id__in=[s.obj.pk for s in broken],
            resolved_at=None,
        ).values_list("model", "row_id")
    )
    alerts = [
        IntegrityAlert(
            node_id=node_id,
            model=s.spec.label,
            row_id=uuid.UUID(str(s.obj.pk)),
            document=(s.spec.number(s.obj) or "")[:40],
            reason=_("Chaîne fiscale rompue (n° %(seq)d) : %(why)s")
            % {"seq": s.record.sequence, "why": reason_text(reasons[s.record.sequence])},
            first_at=now,
            last_at=now,
        )
        for s in broken
    ]
    if alerts:
        IntegrityAlert.objects.bulk_create(
            alerts,
            update_conflicts=True,
            unique_fields=["node_id", "model", "row_id"],
            update_fields=["reason", "last_at", "resolved_at"],
        )
    for s in broken:
        if (s.spec.label, uuid.UUID(str(s.obj.pk))) in already:
            continue
        for hook in broken_link_hooks():
            hook(
                BrokenLink(
                    post=till,
                    chain=chain,
                    record=s.spec.number(s.obj) or str(s.obj.pk),
                    sequence=s.record.sequence,
                    reason=reason_text(reasons[s.record.sequence]),
                )
            )
