"""Linking a new fiscal record into its post's chain, and registering a post's key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from comptoir.fiscal.canonical import CURRENT_VERSION
from comptoir.fiscal.chains import link
from comptoir.journal.kinds import head_kind, kind_get
from comptoir.journal.postkey import post_key, post_public_text
from comptoir.stores.models import SeriesCounter, Till
from comptoir.stores.services import chain_head_lock


def _legacy_count(till: Till, chain: str) -> int:
    """How many version 1 records a chain holds (they carry no sequence number)."""
    from comptoir.journal.kinds import chains

    return sum(
        spec.model._default_manager.filter(
            till=till, chain_sequence__isnull=True, chain_hash__gt=""
        ).count()
        for spec in chains().get(chain, [])
        if spec.legacy is not None
    )


def journal_link(
    *, till: Till, kind: str, values: Mapping[str, Any], head: SeriesCounter | None = None
) -> dict[str, Any]:
    """The chain fields of a new record of ``kind`` made on ``till`` (this post's), to store
    with it: sequence, version, previous hash, hash, signature.

    Runs in the record's transaction: it locks the chain's head row (``chain_head_lock``,
    after the document chain's lock when the caller holds it: the lock order) and moves
    the head on; a rollback leaves the head as it was. ``values`` follow the kind's schema
    and must be what the kind's ``values`` rebuilds from the stored record. ``head``: the
    chain's head row when the caller locked it already (the documents' chain).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("journal_link runs inside the record's transaction")
    spec = kind_get(kind)
    if head is None or head.kind != head_kind(spec.chain) or head.till_id != till.pk:
        head = chain_head_lock(till=till, chain=head_kind(spec.chain))
    previous = head.last_hash
    if head.last_number or not previous:
        sequence = head.last_number + 1
    else:  # the first version 2 record after the version 1 ones
        sequence = _legacy_count(till, spec.chain) + 1
    digest, signature = link(key=post_key(), kind=kind, values=values, previous=previous)
    head.last_number = sequence
    head.last_hash = digest
    head.save(update_fields=["last_number", "last_hash"])
    return {
        "chain_sequence": sequence,
        "chain_version": CURRENT_VERSION,
        "previous_hash": previous,
        "chain_hash": digest,
        "signature": signature,
    }


def snapshots(till: Till) -> dict[str, str]:
    """The snapshot fields a chained record stores: the store's name and the post's prefix."""
    return {"store_name": till.store.name, "post_prefix": till.prefix}


def post_values(record: Any) -> dict[str, Any]:
    """The schema's ``POST`` values of a stored (or about to be stored) record."""
    return {
        "id": record.pk,
        "post_id": record.till_id,
        "post_prefix": record.post_prefix,
        "store_name": record.store_name,
    }


@transaction.atomic
def post_key_register(*, till: Till) -> Till:
    """Store this post's public key on its own till (the hub's web till, a standalone
    till): the hub side of enrollment does it for the tills that enroll."""
    text, kid = post_public_text()
    if till.public_key != text or till.key_id != kid:
        till.public_key, till.key_id = text, kid
        till.save(update_fields=["public_key", "key_id"])
    return till
