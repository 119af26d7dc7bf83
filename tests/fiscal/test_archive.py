"""An archive verifies with nothing but its file, and any change to it shows."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.fiscal import archive_format as fmt
from comptoir.fiscal.archive import ArchivedRecord, PostInfo, archive_write, verify_archive
from comptoir.fiscal.canonical import GENESIS
from comptoir.fiscal.chains import Record, link
from comptoir.fiscal.errors import ArchiveUnreadable
from comptoir.fiscal.keys import public_key_text, sign
from comptoir.lib.chain import chain_hash
from tests.fiscal.samples import POST_ID, chain, sample

KEY = Ed25519PrivateKey.generate()
HUB_KEY = Ed25519PrivateKey.generate()
POST = str(POST_ID)
HUB = "01900000-0000-7000-8000-0000000000ff"
POSTS = [
    PostInfo(POST, "C1", public_key_text(KEY.public_key())),
    PostInfo(HUB, "WEB", public_key_text(HUB_KEY.public_key())),
]
PERIOD = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
MADE_AT = dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC)


def _records() -> list[ArchivedRecord]:
    """A till's documents (two made before signatures, then signed ones, from mid-chain),
    its events, and the hub's web till's documents."""
    items, previous = [], "ee" * 32  # the period starts mid-chain
    for n in (41, 42):
        values = {"kind": "invoice", "number": f"C1-2026-0000{n}", "store": "Ancien nom"}
        digest = chain_hash(previous, values)
        items.append(
            ArchivedRecord(
                POST, "documents", Record(n, 1, "invoice", values, previous, digest, None)
            )
        )
        previous = digest
    for n in (43, 44):
        values = sample("credit_note" if n == 44 else "invoice", n)
        kind = "credit_note" if n == 44 else "invoice"
        digest, signature = link(key=KEY, kind=kind, values=values, previous=previous)
        items.append(
            ArchivedRecord(
                POST, "documents", Record(n, 2, kind, values, previous, digest, signature)
            )
        )
        previous = digest
    previous = GENESIS
    for n in (1, 2, 3):
        values = sample("event", n)
        digest, signature = link(key=KEY, kind="event", values=values, previous=previous)
        items.append(
            ArchivedRecord(
                POST, "events", Record(n, 2, "event", values, previous, digest, signature)
            )
        )
        previous = digest
    items += [ArchivedRecord(HUB, "documents", r) for r in chain(HUB_KEY, 3)]
    return items


def _write(path: Path, **changes: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "records": _records(),
        "posts": POSTS,
        "period": PERIOD,
        "made_at": MADE_AT,
        "signer": HUB,
        "key": HUB_KEY,
    }
    return archive_write(path, **{**options, **changes})


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "journal-2026-03.zip"
    _write(path)
    return path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _rezip(path: Path, members: dict[str, bytes]) -> None:
    """Write ``members`` back as comptoir would lay them out (only the content differs)."""
    files = [n for n in members if n not in (fmt.MANIFEST, fmt.SIGNATURE)]
    names = fmt.member_order(files)
    path.write_bytes(fmt.zip_bytes((n, members[n]) for n in names if n in members))


def _resign(members: dict[str, bytes], key: Ed25519PrivateKey = HUB_KEY) -> None:
    """Update the manifest for the members as they are now, and sign it with ``key``."""
    manifest = json.loads(members[fmt.MANIFEST])
    for entry in manifest["files"]:
        data = members[entry["name"]]
        entry["sha256"], entry["size"] = hashlib.sha256(data).hexdigest(), len(data)
    members[fmt.MANIFEST] = fmt.manifest_bytes(manifest)
    members[fmt.SIGNATURE] = sign(key, fmt.manifest_message(members[fmt.MANIFEST])).encode()


def _problem(path: Path) -> str | None:
    report = verify_archive(path)
    assert report.ok == (report.problem is None)
    return report.problem


def test_an_archive_holds_json_csv_and_a_signed_manifest_and_verifies(archive: Path) -> None:
    members = _members(archive)
    assert sorted(members) == [
        "credit_note.csv",
        "credit_note.json",
        "event.csv",
        "event.json",
        "invoice.csv",
        "invoice.json",
        "manifest.json",
        "manifest.sig",
        "reprint.csv",
        "reprint.json",
    ]
    manifest = json.loads(members[fmt.MANIFEST])
    assert manifest["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    assert manifest["made_at"] == "2026-04-01T02:00:00.000000Z"
    assert [p["prefix"] for p in manifest["posts"]] == ["C1", "WEB"]
    heads = {
        (c["post_id"], c["chain"]): (c["after_sequence"], c["head_sequence"])
        for c in manifest["chains"]
    }
    assert heads == {
        (POST, "documents"): (40, 44),
        (POST, "events"): (0, 3),
        (HUB, "documents"): (0, 3),
    }
    csv = members["invoice.csv"].decode()
    assert csv.startswith("post_id;chain;sequence;version;kind;previous_hash;hash;signature;")
    assert "Café moulu 250 g" in csv
    assert _problem(archive) is None


def test_writing_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    _write(tmp_path / "a.zip")
    _write(tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_the_signer_must_be_listed_with_its_own_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="signing post"):
        _write(tmp_path / "a.zip", key=KEY)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["invoice.json", "event.csv", "manifest.json", "manifest.sig"])
def test_a_changed_byte_in_any_member_fails(archive: Path, name: str) -> None:
    members = _members(archive)
    data = bytearray(members[name])
    data[len(data) // 2] ^= 0x01
    members[name] = bytes(data)
    _rezip(archive, members)
    assert _problem(archive) is not None


def test_a_removed_member_fails(archive: Path) -> None:
    members = _members(archive)
    del members["event.csv"]
    _rezip(archive, members)
    assert _problem(archive) == "Le fichier « event.csv » manque dans l'archive."


def test_an_added_member_fails(archive: Path) -> None:
    members = _members(archive)
    members["notes.txt"] = b"rien"
    _rezip(archive, members)
    assert _problem(archive) == "Le fichier « notes.txt » a été ajouté à l'archive."


def test_a_second_member_of_the_same_name_fails(archive: Path) -> None:
    members = _members(archive)
    with zipfile.ZipFile(archive, "a") as z, pytest.warns(UserWarning, match="Duplicate"):
        z.writestr("invoice.json", members["invoice.json"])
    assert _problem(archive) == "L'archive contient deux fichiers du même nom."


def test_a_manifest_signed_by_another_key_fails(archive: Path) -> None:
    members = _members(archive)
    _resign(members, Ed25519PrivateKey.generate())
    _rezip(archive, members)
    assert _problem(archive) == (
        "La signature du manifeste ne correspond pas à la clé du poste qui l'a signé."
    )


def test_a_record_edited_in_json_and_csv_under_a_resigned_manifest_still_fails(
    archive: Path,
) -> None:
    """Whoever holds the signing key can re-sign a manifest: the records' own hashes and
    their post's signatures still show the edit."""
    members = _members(archive)
    rows = json.loads(members["invoice.json"])
    rows[-1]["values"]["total_incl_vat"] = "0.90"
    members["invoice.json"] = fmt.json_bytes(rows)
    members["invoice.csv"] = fmt.csv_bytes(rows)
    _resign(members)
    _rezip(archive, members)
    assert _problem(archive) == (
        "Chaîne documents du poste WEB, enregistrement n° 2 : enregistrement modifié (son "
        "empreinte ne correspond plus à ses valeurs)."
    )


def test_a_csv_that_does_not_say_what_its_json_says_fails(archive: Path) -> None:
    members = _members(archive)
    members["event.csv"] = members["event.csv"].replace(b"post_start", b"post_stop_")
    _resign(members)
    _rezip(archive, members)
    assert _problem(archive) == "Le fichier « event.csv » ne correspond pas à « event.json »."


def test_a_record_removed_under_a_resigned_manifest_fails(archive: Path) -> None:
    members = _members(archive)
    rows = json.loads(members["event.json"])
    del rows[1]
    members["event.json"], members["event.csv"] = fmt.json_bytes(rows), fmt.csv_bytes(rows)
    manifest = json.loads(members[fmt.MANIFEST])
    for entry in manifest["chains"]:
        entry["records"] -= entry["chain"] == "events"
    members[fmt.MANIFEST] = fmt.manifest_bytes(manifest)
    _resign(members)
    _rezip(archive, members)
    problem = _problem(archive)
    assert problem is not None
    assert problem.startswith(
        "Chaîne events du poste C1, enregistrement n° 3 : enregistrement manquant"
    )


def test_a_missing_file_or_a_file_that_is_not_a_zip_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ArchiveUnreadable, match="Fichier introuvable"):
        verify_archive(tmp_path / "absent.zip")
    (tmp_path / "texte.zip").write_text("bonjour")
    with pytest.raises(ArchiveUnreadable, match="n'est pas une archive zip"):
        verify_archive(tmp_path / "texte.zip")
    with pytest.raises(ArchiveUnreadable, match="Impossible de lire"):
        verify_archive(tmp_path)


def test_a_zip_that_is_not_a_fiscal_archive_is_not_whole(tmp_path: Path) -> None:
    path = tmp_path / "autre.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("photo.jpg", b"...")
    assert _problem(path) == "Le fichier « manifest.json » manque dans l'archive."


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(where=st.floats(min_value=0, max_value=1, exclude_max=True), bit=st.integers(0, 7))
def test_any_changed_byte_of_the_file_fails(archive: Path, where: float, bit: int) -> None:
    """Zip headers included: the verifier rebuilds the whole file from its members."""
    data = bytearray(archive.read_bytes())
    original = bytes(data)
    data[int(where * len(data))] ^= 1 << bit
    broken = archive.with_name("broken.zip")
    broken.write_bytes(bytes(data))
    # No longer a zip at all is bad input (ArchiveUnreadable): not whole either.
    with contextlib.suppress(ArchiveUnreadable):
        assert verify_archive(broken).ok is False
    assert archive.read_bytes() == original
