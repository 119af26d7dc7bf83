"""``comptoir backup`` and ``comptoir restore``, run as a shop would: real homes, real files.

A till's database is copied with SQLite's online backup API (consistent while another
connection writes), the file is checked after writing, and a restore checks it again and never
replaces a working home unless told.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
import zipfile
from pathlib import Path

import psycopg
import pytest

from comptoir.backups import BackupError, check_backup, make_backup
from comptoir.devtools.processes import run

pytestmark = pytest.mark.slow


def _ok(*args: str) -> str:
    done = run(args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _till(home: Path) -> None:
    _ok("node", "init", "--home", str(home), "--admin-password", "motdepasse-long")
    _ok("article", "add", "--home", str(home), "--code", "A1", "--name", "Café", "--price", "2.50")
    _ok("stock", "receive", "--home", str(home), "A1", "10")
    _ok("sell", "--home", str(home), "A1:2", "--pay", "cash")


def _invoices(home: Path) -> list[dict[str, object]]:
    return json.loads(_ok("invoice", "list", "--home", str(home), "--json"))


def test_a_till_backed_up_and_restored_elsewhere_has_the_same_documents(tmp_path: Path) -> None:
    home = tmp_path / "caisse"
    _till(home)
    out = json.loads(_ok("backup", "--home", str(home), "--out", str(tmp_path / "b"), "--json"))
    backup = Path(out["path"])
    assert backup.parent == tmp_path / "b"
    assert {"database/node.sqlite3", "home/comptoir.toml"} <= set(out["manifest"]["files"])
    restored = tmp_path / "neuve"
    done = run(("restore", str(backup), "--home", str(restored)))
    assert done.returncode == 0, done.stderr
    assert "remise en place" in done.stdout
    assert _invoices(restored) == _invoices(home)
    assert len(_invoices(restored)) == 1


def test_the_copy_is_consistent_while_another_connection_writes(tmp_path: Path) -> None:
    home = tmp_path / "caisse"
    _till(home)
    writer = sqlite3.connect(home / "node.sqlite3", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM sales_invoiceline")  # a write in flight, not committed
    try:
        backup = make_backup(home, tmp_path / "b")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with zipfile.ZipFile(backup.path) as archive:
        (tmp_path / "copie.sqlite3").write_bytes(archive.read("database/node.sqlite3"))
    copy = sqlite3.connect(tmp_path / "copie.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT count(*) FROM sales_invoice").fetchone() == (1,)
    assert copy.execute("SELECT count(*) FROM sales_invoiceline").fetchone() == (1,)
    copy.close()


def test_restore_never_replaces_a_working_home_unless_told(tmp_path: Path) -> None:
    home = tmp_path / "caisse"
    _till(home)
    backup = make_backup(home, tmp_path / "b").path
    _ok("sell", "--home", str(home), "A1:1", "--pay", "cash")
    before = (home / "node.sqlite3").read_bytes()
    done = run(("restore", str(backup), "--home", str(home)))
    assert done.returncode == 2
    assert "--force" in done.stderr
    assert "Traceback" not in done.stderr
    assert (home / "node.sqlite3").read_bytes() == before
    assert len(_invoices(home)) == 2
    done = run(("restore", str(backup), "--home", str(home), "--force"))
    assert done.returncode == 0, done.stderr
    assert len(_invoices(home)) == 1
    set_aside = list(home.glob("node.sqlite3.before-restore-*"))
    assert len(set_aside) == 1


def _rewrite_member(source: Path, target: Path, name: str, change: bytes | None) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.namelist():
            data = old.read(item)
            if item == name:
                if change is None:
                    continue
                data = data[:100] + bytes([data[100] ^ 1]) + data[101:] if change else data
            new.writestr(item, data)


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("one byte", "endommagée"),
        ("member gone", "incomplète"),
        ("not a zip", "illisible"),
        ("encrypted flag", "illisible"),  # one bit of a member's header: zipfile raises
    ],
)
def test_a_damaged_backup_is_refused_and_nothing_is_written(
    tmp_path: Path, how: str, expected: str
) -> None:
    home = tmp_path / "caisse"
    _till(home)
    backup = make_backup(home, tmp_path / "b").path
    bad = tmp_path / "abimee.zip"
    if how == "one byte":
        _rewrite_member(backup, bad, "database/node.sqlite3", b"x")
    elif how == "member gone":
        _rewrite_member(backup, bad, "home/comptoir.toml", None)
    elif how == "encrypted flag":
        data = bytearray(backup.read_bytes())
        header = data.index(b"PK\x01\x02")  # the first member's central directory entry
        data[header + 8] |= 1  # general purpose flag, bit 0: encrypted
        bad.write_bytes(bytes(data))
    else:
        bad.write_bytes(backup.read_bytes()[: len(backup.read_bytes()) // 2])
    with pytest.raises(BackupError):
        check_backup(bad)
    target = tmp_path / "neuve"
    done = run(("restore", str(bad), "--home", str(target)))
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert not target.exists() or not any(target.iterdir())


def test_a_damaged_database_is_not_backed_up_as_if_it_were_whole(tmp_path: Path) -> None:
    home = tmp_path / "caisse"
    _till(home)
    database = home / "node.sqlite3"
    data = bytearray(database.read_bytes())
    data[8192:12288] = os.urandom(4096)  # 4 KiB of garbage on a page of the tables
    database.write_bytes(bytes(data))
    done = run(("backup", "--home", str(home), "--out", str(tmp_path / "b")))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert not list((tmp_path / "b").glob("*.zip"))


@pytest.mark.postgres_only
def test_a_hub_on_postgresql_is_dumped_and_restored(tmp_path: Path) -> None:
    admin_url = os.environ["COMPTOIR_TEST_PG_URL"]
    names = [f"hub_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    url, other = (admin_url.rsplit("/", 1)[0] + f"/{name}" for name in names)
    home = tmp_path / "hub"
    _ok("hub", "init", "--home", str(home), "--database-url", url)
    _ok("article", "add", "--home", str(home), "--code", "A1", "--name", "Café", "--price", "2.50")
    out = json.loads(_ok("backup", "--home", str(home), "--out", str(tmp_path / "b"), "--json"))
    assert "database/hub.dump" in out["manifest"]["files"]
    # The same hub brought back on a new server: its configuration points at a new database.
    restored = tmp_path / "hub2"
    config = (home / "comptoir.toml").read_text().replace(url, other)
    backup = Path(out["path"])
    with zipfile.ZipFile(backup) as old, zipfile.ZipFile(tmp_path / "moved.zip", "w") as new:
        manifest = json.loads(old.read("manifest.json"))
        for item in old.namelist():
            data = config.encode() if item == "home/comptoir.toml" else old.read(item)
            if item == "home/comptoir.toml":
                import hashlib

                manifest["files"][item] = {
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            if item != "manifest.json":
                new.writestr(item, data)
        new.writestr("manifest.json", json.dumps(manifest))
    done = run(("restore", str(tmp_path / "moved.zip"), "--home", str(restored)))
    assert done.returncode == 0, done.stderr
    listed = json.loads(_ok("article", "list", "--home", str(restored), "--json"))
    assert [a["code"] for a in listed] == ["A1"]
