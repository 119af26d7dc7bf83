"""``comptoir restore`` marks a till attached to a hub for recovery (drill 1): until it took
its own documents back from the hub, it numbers nothing. Real files, no Django database."""

from __future__ import annotations

import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from comptoir.backups import RECOVERY_MARK, make_backup, read_recovery_mark, restore_backup
from comptoir.home import HomeConfig, new_node_id, write_config


def _till(home: Path, **settings: object) -> HomeConfig:
    config = HomeConfig(
        role="node",
        node_id=new_node_id(),
        store_name="Épicerie",
        till_name="Caisse 1",
        till_prefix="C1",
        **settings,  # type: ignore[arg-type]
    )
    write_config(home, config)
    with closing(sqlite3.connect(config.database_path(home))) as db:
        db.execute("CREATE TABLE sale (id INTEGER PRIMARY KEY)")
        db.commit()
    return config


@pytest.mark.parametrize(("hub_url", "marked"), [("http://127.0.0.1:8000", True), ("", False)])
def test_a_restored_till_attached_to_a_hub_is_marked_for_recovery(
    tmp_path: Path, hub_url: str, marked: bool
) -> None:
    home = tmp_path / "till"
    _till(home, hub_url=hub_url)
    backup = make_backup(home, tmp_path / "out")
    restore_backup(backup.path, home, force=True)
    mark = read_recovery_mark(home)
    assert (mark is not None) is marked
    if mark is not None:  # what it sent after this instant is taken back
        assert mark["since"] == backup.manifest["made_at"]


def test_the_mark_is_not_saved_in_a_backup_and_an_unreadable_mark_still_counts(
    tmp_path: Path,
) -> None:
    home = tmp_path / "till"
    _till(home, hub_url="http://127.0.0.1:8000")
    (home / RECOVERY_MARK).write_text("{abîmé", encoding="utf-8")
    assert read_recovery_mark(home) == {"since": ""}  # everything is taken back
    backup = make_backup(home, tmp_path / "out")
    with zipfile.ZipFile(backup.path) as archive:
        assert f"home/{RECOVERY_MARK}" not in archive.namelist()
