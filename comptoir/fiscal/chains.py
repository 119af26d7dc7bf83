"""Linking a fiscal record into its chain, and verifying a chain (**inalterability**).

Each post keeps one chain per kind of record (documents, cash sessions, closings, events
...): a record stores the hash of the record before it and its own hash over its values
and that previous hash (:mod:`comptoir.fiscal.canonical`), signed with the post's key
(**security**). A verifier recomputes everything from the stored records and names the
FIRST broken record and why: altered values, a record missing, one inserted, a swapped
pair, a bad signature; on the hub, a record whose predecessor has not arrived yet is
*pending*, not broken. Pure: the callers read and store the records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.utils.translation import gettext as _

from comptoir.fiscal.canonical import (
    CURRENT_VERSION,
    GENESIS,
    VERSIONS,
    hash_plain,
    record_hash,
    signed_message,
)
from comptoir.fiscal.keys import sign, signature_valid

Reason = Literal["altered", "missing", "inserted", "reordered", "bad_signature", "pending"]
REASONS: tuple[Reason, ...] = (
    "altered",
    "missing",
    "inserted",
    "reordered",
    "bad_signature",
    "pending",
)


def reason_text(reason: Reason) -> str:
    """The French sentence for a reason code (the codes are stable; scripts use them)."""
    texts = {
        "altered": _("enregistrement modifié (son empreinte ne correspond plus à ses valeurs)."),
        "missing": _(
            "enregistrement manquant avant celui-ci (son prédécesseur n'est pas dans la chaîne)."
        ),
        "inserted": _("enregistrement inséré (le suivant se rattache à celui d'avant lui)."),
        "reordered": _("enregistrements permutés (celui-ci se rattache au suivant)."),
        "bad_signature": _("signature invalide (elle ne vient pas de la clé du poste)."),
        "pending": _("en attente (son prédécesseur n'est pas encore arrivé)."),
    }
    return texts[reason]


@dataclass(frozen=True)
class Record:
    """One stored record of a chain, as a verifier reads it. ``values`` are typed
    (:func:`~comptoir.fiscal.canonical.normalize` accepts them) or already plain
    (``plain=True``: read from an archive). Version 1 records carry no signature."""

    sequence: int
    version: int
    kind: str
    values: Mapping[str, Any]
    previous_hash: str
    hash: str
    signature: str | None
    plain: bool = False

    def recomputed_hash(self) -> str:
        if self.plain:
            return hash_plain(self.version, self.kind, self.values, self.previous_hash)
        return record_hash(self.version, self.kind, self.values, self.previous_hash)


@dataclass(frozen=True)
class Finding:
    sequence: int
    reason: Reason

    @property
    def message(self) -> str:
        return reason_text(self.reason)


@dataclass(frozen=True)
class ChainReport:
    """A chain's state: ``whole``, ``pending`` (only gaps that may still arrive) or
    ``broken``; ``first`` is the first broken record (else the first pending one)."""

    count: int
    head: tuple[int, str]
    findings: tuple[Finding, ...] = field(default=())

    @property
    def broken(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.reason != "pending")

    @property
    def status(self) -> Literal["whole", "pending", "broken"]:
        if self.broken:
            return "broken"
        return "pending" if self.findings else "whole"

    @property
    def first(self) -> Finding | None:
        return (self.broken or self.findings or (None,))[0]


def link(
    *,
    key: Ed25519PrivateKey,
    kind: str,
    values: Mapping[str, Any],
    previous: str,
    version: int = CURRENT_VERSION,
) -> tuple[str, str]:
    """The (hash, signature) of a new record of ``kind`` after the record hashed ``previous``
    (:data:`~comptoir.fiscal.canonical.GENESIS` for a chain's first record)."""
    if version < 2:
        raise ValueError("new records use a signed serialization version (2 or later)")
    digest = record_hash(version, kind, values, previous)
    return digest, sign(key, signed_message(digest))


def _self_problem(record: Record, key: Ed25519PublicKey, floor: int) -> Reason | None:
    """What is wrong with a record by itself: its hash, its signature, its version."""
    if record.version not in VERSIONS or record.version < floor:
        # A record cannot go back to an older serialization than its predecessor's.
        return "altered"
    try:
        if record.recomputed_hash() != record.hash:
            return "altered"
    except (TypeError, ValueError):
        return "altered"
    if record.version == 1 and record.signature is None:
        return None  # made before records were signed
    if not signature_valid(key, signed_message(record.hash), record.signature):
        return "bad_signature"
    return None


def _swapped(
    records: Sequence[Record],
    i: int,
    key: Ed25519PublicKey,
    floor: int,
    head: tuple[int, str] | None,
) -> bool:
    """Whether records ``i`` and ``i + 1`` are a swapped pair, the second linking where
    the first should: the first links to the second, and the chain goes on from the first
    (or ends on it), else the first is an extra record that links to the second."""
    first, second = records[i], records[i + 1]
    if first.previous_hash != second.hash or _self_problem(second, key, floor) is not None:
        return False
    if i + 2 < len(records):
        return records[i + 2].previous_hash == first.hash
    return head is None or head[1] == first.hash


def verify_chain(
    records: Sequence[Record],
    key: Ed25519PublicKey,
    *,
    after: tuple[int, str] = (0, GENESIS),
    head: tuple[int, str] | None = None,
    gaps_pending: bool = False,
) -> ChainReport:
    """Verify one post's chain of one kind, ``records`` in sequence order.

    ``after`` is the (sequence, hash) the records follow (the chain's start by default;
    an archive's period starts mid-chain). ``head``, when known (the hub knows each
    post's last record), lets a dropped last record or one added after it show.
    ``gaps_pending`` (the hub): a record whose predecessor is absent and whose sequence
    says it is further on is *pending* instead of *missing*. After a finding the check
    goes on from the record found, so that every break is listed.
    """
    findings: list[Finding] = []
    accepted: list[tuple[int, str]] = [after]  # (sequence, hash) of the records that link
    floor = 1
    i = 0
    while i < len(records):
        record = records[i]
        problem = _self_problem(record, key, floor)
        if problem is not None:
            findings.append(Finding(record.sequence, problem))
            accepted.append((record.sequence, record.hash))
            i += 1
            continue
        floor = max(floor, record.version)
        expected_seq, expected_hash = accepted[-1][0] + 1, accepted[-1][1]
        nxt = records[i + 1] if i + 1 < len(records) else None
        if head is not None and accepted[-1][1] == head[1] and len(accepted) > 1:
            findings.append(Finding(record.sequence, "inserted"))  # beyond the known head
        elif record.previous_hash == expected_hash:
            accepted.append((record.sequence, record.hash))
        elif nxt is not None and nxt.previous_hash == expected_hash:
            if _swapped(records, i, key, floor, head):
                findings.append(Finding(record.sequence, "reordered"))
                accepted.append((nxt.sequence, record.hash))
                i += 1  # the pair is one finding
            else:
                findings.append(Finding(record.sequence, "inserted"))
        elif len(accepted) > 1 and record.previous_hash == accepted[-2][1]:
            # The record before this one linked, but this one links over it.
            findings.append(Finding(accepted[-1][0], "inserted"))
            accepted[-1] = (record.sequence, record.hash)
        else:
            pending = gaps_pending and record.sequence > expected_seq
            findings.append(Finding(record.sequence, "pending" if pending else "missing"))
            accepted.append((record.sequence, record.hash))
        i += 1
    last = accepted[-1]
    if head is not None and last[1] != head[1] and head[0] > last[0]:
        findings.append(Finding(last[0] + 1, "pending" if gaps_pending else "missing"))
    return ChainReport(count=len(records), head=last, findings=tuple(findings))
