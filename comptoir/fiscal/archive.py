"""Writing and verifying a fiscal archive (**archiving**, with **inalterability** proved).

:func:`archive_write` freezes the records of a period into one self-contained file (see
:mod:`comptoir.fiscal.archive_format`), signed by the post that makes it (on the hub,
for a store: its web till, the archive listing every post's public key).
:func:`verify_archive` needs nothing but the file: it checks the manifest's signature,
that the members are exactly those listed with their SHA-256 and size, that each CSV says
what its JSON says, every record's hash and signature, and that every chain links from
its start to the head the manifest states; it rebuilds the file and compares it byte
for byte. The first problem is reported in French; bad input (no such file, not a zip)
raises :class:`~comptoir.fiscal.errors.ArchiveUnreadable`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils.translation import gettext as _

from comptoir.fiscal import archive_format as fmt
from comptoir.fiscal.archive_format import ArchivedRecord, PostInfo
from comptoir.fiscal.canonical import instant_text
from comptoir.fiscal.chains import Record, verify_chain
from comptoir.fiscal.errors import ArchiveUnreadable, FiscalError, KeyFileError
from comptoir.fiscal.keys import key_id, public_key_from_text, public_key_text, sign
from comptoir.fiscal.keys import signature_valid as _valid

# A manifest beyond this size is not one comptoir wrote.
MAX_MANIFEST = 16 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class ArchiveReport:
    ok: bool
    problem: str | None
    manifest: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        summary = {k: self.manifest.get(k) for k in ("made_at", "period", "signer", "posts")}
        return {"whole": self.ok, "problem": self.problem, **summary}


def archive_write(
    path: Path,
    *,
    records: Sequence[ArchivedRecord],
    posts: Sequence[PostInfo],
    period: tuple[dt.date, dt.date],
    made_at: dt.datetime,
    signer: str,
    key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """Write the archive of ``records`` to ``path``, signed by post ``signer`` with ``key``;
    returns the manifest. The file appears whole or not at all (written beside, then
    renamed)."""
    keys = {p.post_id: p.public_key for p in posts}
    if keys.get(signer) != public_key_text(key.public_key()):
        raise ValueError("the signing post must be listed with the public key of its key")
    unknown = {item.post_id for item in records} - set(keys)
    if unknown:
        raise ValueError(f"records of posts not listed: {sorted(unknown)}")
    rows = sorted(
        (fmt.record_row(item) for item in records), key=lambda r: (r["post_id"], r["chain"])
    )
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["post_id"], r["chain"], r["sequence"])):
        by_kind.setdefault(row["kind"], []).append(row)
    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    for kind, kind_rows in by_kind.items():
        files[f"{kind}.json"] = fmt.json_bytes(kind_rows)
        files[f"{kind}.csv"] = fmt.csv_bytes(kind_rows)
        counts[f"{kind}.json"] = counts[f"{kind}.csv"] = len(kind_rows)
    manifest = {
        "format": fmt.FORMAT,
        "format_version": fmt.FORMAT_VERSION,
        "made_at": instant_text(made_at),
        "period": {"start": period[0].isoformat(), "end": period[1].isoformat()},
        "signer": {"post_id": signer, "key_id": key_id(key.public_key())},
        "posts": [
            {
                "post_id": p.post_id,
                "prefix": p.prefix,
                "public_key": p.public_key,
                "key_id": key_id(public_key_from_text(p.public_key)),
            }
            for p in sorted(posts, key=lambda p: p.post_id)
        ],
        "files": [
            {
                "name": name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "records": counts[name],
            }
            for name, data in sorted(files.items())
        ],
        "chains": fmt.chain_entries(rows),
    }
    manifest_data = fmt.manifest_bytes(manifest)
    signature = sign(key, fmt.manifest_message(manifest_data)).encode("ascii")
    members = {fmt.MANIFEST: manifest_data, fmt.SIGNATURE: signature, **files}
    data = fmt.zip_bytes((name, members[name]) for name in fmt.member_order(list(files)))
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return manifest


class _NotWhole(FiscalError):
    """The archive is readable but not whole; the message says the first problem."""


def _open(path: Path) -> tuple[bytes, zipfile.ZipFile]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArchiveUnreadable(_("Fichier introuvable : %(path)s.") % {"path": path}) from None
    except OSError as exc:
        raise ArchiveUnreadable(
            _("Impossible de lire %(path)s : %(error)s.")
            % {"path": path, "error": exc.strerror or exc}
        ) from None
    try:
        return data, zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ArchiveUnreadable(
            _("%(path)s n'est pas une archive zip lisible.") % {"path": path}
        ) from None


def _read(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise _NotWhole(_("Le fichier « %(name)s » de l'archive a été modifié.") % {"name": name})
    try:
        return archive.read(name)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        ValueError,
        RuntimeError,
    ):
        # RuntimeError: zipfile's answer to a member flagged as encrypted (one changed bit).
        raise _NotWhole(
            _("Le fichier « %(name)s » de l'archive a été modifié.") % {"name": name}
        ) from None


def _manifest(archive: zipfile.ZipFile, names: list[str]) -> dict[str, Any]:
    """The manifest, once its signature checks against the signing post's listed key."""
    for needed in (fmt.MANIFEST, fmt.SIGNATURE):
        if needed not in names:
            raise _NotWhole(_("Le fichier « %(name)s » manque dans l'archive.") % {"name": needed})
    data = _read(archive, fmt.MANIFEST, MAX_MANIFEST)
    signature = _read(archive, fmt.SIGNATURE, 1024).decode("ascii", "replace")
    unreadable = _NotWhole(_("Le manifeste de l'archive est illisible."))
    try:
        manifest = json.loads(data)
        signer = manifest["signer"]
        posts = {p["post_id"]: p for p in manifest["posts"]}
        key = public_key_from_text(posts[signer["post_id"]]["public_key"])
        files = [(f["name"], f["sha256"], f["size"]) for f in manifest["files"]]
        chains = [(c["post_id"], c["chain"]) for c in manifest["chains"]]
    except (ValueError, KeyError, TypeError, FiscalError):
        raise unreadable from None
    if (
        manifest.get("format") != fmt.FORMAT
        or not all(
            isinstance(n, str) and isinstance(s, str) and isinstance(z, int) for n, s, z in files
        )
        or len(set(chains)) != len(chains)
    ):
        raise unreadable
    if key_id(key) != signer.get("key_id") or not _valid(
        key, fmt.manifest_message(data), signature
    ):
        raise _NotWhole(
            _("La signature du manifeste ne correspond pas à la clé du poste qui l'a signé.")
        )
    return dict(manifest)


def _members(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> dict[str, bytes]:
    """Every listed member, checked against its size and SHA-256; nothing else present."""
    names = archive.namelist()
    listed = {f["name"]: f for f in manifest["files"]}
    for name in names:
        if name not in listed and name not in (fmt.MANIFEST, fmt.SIGNATURE):
            raise _NotWhole(_("Le fichier « %(name)s » a été ajouté à l'archive.") % {"name": name})
    members = {}
    for name, entry in listed.items():
        if name not in names:
            raise _NotWhole(_("Le fichier « %(name)s » manque dans l'archive.") % {"name": name})
        data = _read(archive, name, entry["size"])
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise _NotWhole(
                _("Le fichier « %(name)s » de l'archive a été modifié.") % {"name": name}
            )
        members[name] = data
    return members


def _records(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
    """Each kind's CSV says what its JSON says; every chain is whole from its stated start
    to its stated head, every record hashing and signed as it says."""
    keys = {p["post_id"]: public_key_from_text(p["public_key"]) for p in manifest["posts"]}
    groups: dict[tuple[str, str], list[Record]] = {}
    for name in members:
        if not name.endswith(".json") and name.removesuffix(".csv") + ".json" not in members:
            raise _NotWhole(_("Le contenu de l'archive est illisible."))
    for name in sorted(n for n in members if n.endswith(".json")):
        kind = name.removesuffix(".json")
        rows = json.loads(members[name])
        if fmt.csv_bytes(rows) != members.get(f"{kind}.csv"):
            raise _NotWhole(
                _("Le fichier « %(name)s » ne correspond pas à « %(json)s ».")
                % {"name": f"{kind}.csv", "json": name}
            )
        for row in rows:
            if row["kind"] != kind or row["post_id"] not in keys:
                raise _NotWhole(_("Le contenu de l'archive est illisible."))
            record = Record(
                sequence=row["sequence"],
                version=row["version"],
                kind=kind,
                values=row["values"],
                previous_hash=row["previous_hash"],
                hash=row["hash"],
                signature=row["signature"],
                plain=True,
            )
            groups.setdefault((row["post_id"], row["chain"]), []).append(record)
    stated = {(c["post_id"], c["chain"]): c for c in manifest["chains"]}
    prefixes = {p["post_id"]: p["prefix"] for p in manifest["posts"]}
    for chain_id in sorted(set(groups) | set(stated)):
        chain = stated.get(chain_id)
        records = sorted(groups.get(chain_id, []), key=lambda r: r.sequence)
        where = {"post": prefixes.get(chain_id[0], chain_id[0]), "chain": chain_id[1]}
        if chain is None or len(records) != chain["records"]:
            raise _NotWhole(
                _("La chaîne %(chain)s du poste %(post)s ne correspond pas au manifeste.") % where
            )
        report = verify_chain(
            records,
            keys[chain_id[0]],
            after=(chain["after_sequence"], chain["after_hash"]),
            head=(chain["head_sequence"], chain["head_hash"]),
        )
        if report.first is not None:
            raise _NotWhole(
                _("Chaîne %(chain)s du poste %(post)s, enregistrement n° %(n)s : %(reason)s")
                % {**where, "n": report.first.sequence, "reason": report.first.message}
            )


def verify_archive(path: Path) -> ArchiveReport:
    """Check the archive at ``path`` with nothing but the file (see the module's text)."""
    data, archive = _open(path)
    manifest: dict[str, Any] = {}
    try:
        with archive:
            names = archive.namelist()
            if len(names) != len(set(names)):
                raise _NotWhole(_("L'archive contient deux fichiers du même nom."))
            manifest = _manifest(archive, names)
            members = _members(archive, manifest)
            try:
                _records(manifest, members)
            except (ValueError, KeyError, TypeError, AttributeError, KeyFileError):
                raise _NotWhole(_("Le contenu de l'archive est illisible.")) from None
            ordered = fmt.member_order(list(members))
            signature = archive.read(fmt.SIGNATURE)
            whole = {fmt.MANIFEST: archive.read(fmt.MANIFEST), fmt.SIGNATURE: signature, **members}
            if fmt.zip_bytes((n, whole[n]) for n in ordered) != data:
                raise _NotWhole(_("La structure de l'archive a été modifiée."))
    except _NotWhole as exc:
        return ArchiveReport(ok=False, problem=exc.message, manifest=manifest)
    return ArchiveReport(ok=True, problem=None, manifest=manifest)
