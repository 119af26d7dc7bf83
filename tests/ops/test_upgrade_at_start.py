"""A post started on a new version: ``comptoir serve`` backs the home up, then migrates its
database; if the backup fails, nothing is migrated and the post does not start."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest

from comptoir.backups import check_backup
from comptoir.devtools import processes

pytestmark = pytest.mark.slow


def columns(database: Path) -> set[str]:
    with sqlite3.connect(database) as db:
        return {row[1] for row in db.execute("PRAGMA table_info(sync_outboxentry)")}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A till whose database is one migration behind its code (as a previous version left
    it): ``sync.0006`` adds ``OutboxEntry.bases``."""
    path = tmp_path / "caisse"
    init = processes.run(["node", "init", "--home", str(path), "--admin-password", "x" * 8])
    assert init.returncode == 0, init.stderr
    back = processes.run(["migrate", "sync", "0005", "--home", str(path)], timeout=120)
    assert back.returncode == 0, back.stderr
    assert "bases" not in columns(path / "node.sqlite3")
    return path


def test_serve_backs_the_till_up_then_migrates_its_database(home: Path, tmp_path: Path) -> None:
    server = processes.Server(home, name="caisse", log_dir=tmp_path, start_timeout=120)
    server.start()
    server.stop()
    log = server.log_path.read_text()
    assert "Base mise à jour pour comptoir" in log, log
    assert "bases" in columns(home / "node.sqlite3")
    (backup,) = (home / "backups").glob("*.zip")
    check_backup(backup)
    with zipfile.ZipFile(backup) as archive:
        (member,) = [n for n in archive.namelist() if n.startswith("database/")]
        copy = tmp_path / "copy.sqlite3"
        copy.write_bytes(archive.read(member))
    assert "bases" not in columns(copy)  # the database as it was before the migration
    # Started again: nothing to migrate, no new backup.
    server.start()
    server.stop()
    assert len(list((home / "backups").glob("*.zip"))) == 1


def test_a_failed_backup_leaves_the_database_as_it_was(home: Path) -> None:
    (home / "blocker").write_text("a file where the backup folder should be")
    config = home / "comptoir.toml"
    text = "\n".join(
        line for line in config.read_text().splitlines() if not line.startswith("backup_dir")
    )
    config.write_text(text + '\nbackup_dir = "blocker/sauvegardes"\n')
    served = processes.run(["serve", "--home", str(home), "--bind", "127.0.0.1:1"], timeout=120)
    assert served.returncode == 2, served.stdout + served.stderr
    assert "Mise à jour de la base refusée" in served.stderr
    assert "Traceback" not in served.stderr
    assert "bases" not in columns(home / "node.sqlite3")
