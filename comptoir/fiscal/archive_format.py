"""The layout of a fiscal archive (**archiving**): what each member holds, byte for byte.

An archive is a zip, members stored uncompressed with fixed dates, so that the same
records always give the same bytes and a verifier can rebuild the whole file from its
members: a byte changed anywhere, in a member or between them, shows. Per kind of
record, ``<kind>.json`` (what a verifier recomputes) and ``<kind>.csv`` (the same
records for a spreadsheet, ``;``-separated, nested values as JSON text); then
``manifest.json`` (each member's SHA-256 and size, the chain heads, the period, the
posts and their public keys) and ``manifest.sig`` (the signing post's signature of it).
Plain formats that any software reads: the archive stays readable after a change of
software.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from comptoir.fiscal.canonical import plain_values
from comptoir.fiscal.chains import Record

FORMAT = "comptoir-fiscal-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
# Zip's earliest date: members carry no time (the manifest says when it was made).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# The columns every CSV starts with; the record's values follow, by name.
RECORD_COLUMNS = (
    "post_id",
    "chain",
    "sequence",
    "version",
    "kind",
    "previous_hash",
    "hash",
    "signature",
)


@dataclasses.dataclass(frozen=True)
class PostInfo:
    post_id: str
    prefix: str
    public_key: str  # as :func:`~comptoir.fiscal.keys.public_key_text` writes it


@dataclasses.dataclass(frozen=True)
class ArchivedRecord:
    """A record of the period, in its post's chain named ``chain``."""

    post_id: str
    chain: str
    record: Record


def record_row(item: ArchivedRecord) -> dict[str, Any]:
    """A record as its kind's JSON holds it, values plain (they hash the same)."""
    r = item.record
    values = dict(r.values) if r.plain else plain_values(r.version, r.kind, r.values)
    return {
        "post_id": item.post_id,
        "chain": item.chain,
        "sequence": r.sequence,
        "version": r.version,
        "kind": r.kind,
        "previous_hash": r.previous_hash,
        "hash": r.hash,
        "signature": r.signature,
        "values": values,
    }


def chain_entries(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The manifest's chains: per post and chain, where the period's records start and end."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["post_id"], row["chain"]), []).append(row)
    chains = []
    for (post_id, chain), members in sorted(groups.items()):
        members.sort(key=lambda row: row["sequence"])
        first, last = members[0], members[-1]
        chains.append(
            {
                "post_id": post_id,
                "chain": chain,
                "after_sequence": first["sequence"] - 1,
                "after_hash": first["previous_hash"],
                "head_sequence": last["sequence"],
                "head_hash": last["hash"],
                "records": len(members),
            }
        )
    return chains


def manifest_message(manifest: bytes) -> bytes:
    """What the signing post signs: the manifest's bytes behind a prefix of their own (a
    record's signature cannot pass for a manifest's)."""
    return b"comptoir-fiscal-archive-manifest\n" + manifest


def json_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """A kind's records as JSON: one record a line, keys sorted."""
    lines = [json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows]
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8")


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    return (json.dumps(manifest, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def csv_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """A kind's records as CSV: the record columns, then every value's name, sorted."""
    names = sorted({name for row in rows for name in row["values"]})
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([*RECORD_COLUMNS, *names])
    for row in rows:
        values = row["values"]
        writer.writerow(
            [_cell(row[c]) for c in RECORD_COLUMNS]
            + [_cell(values[n]) if n in values else "" for n in names]
        )
    return out.getvalue().encode("utf-8")


def zip_bytes(members: Iterable[tuple[str, bytes]]) -> bytes:
    """The archive's bytes: ``members`` in this order, stored, with fixed metadata."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # the same bytes whichever system wrote them
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


def member_order(files: Sequence[str]) -> list[str]:
    """The order members are written in: the manifest and its signature, then the files."""
    return [MANIFEST, SIGNATURE, *sorted(files)]
