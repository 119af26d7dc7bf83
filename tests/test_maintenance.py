"""A till's database checks and daily backups (``comptoir.health``, ``comptoir.maintenance``),
on real files, in process: no Django database, no server.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from comptoir import health, maintenance
from comptoir.backups import own_backups, restore_backup
from comptoir.home import ConfigError, HomeConfig, new_node_id, read_config, write_config

DAY = timedelta(days=1)


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
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE sale (id INTEGER PRIMARY KEY, label TEXT)")
        db.executemany("INSERT INTO sale (label) VALUES (?)", [("x" * 500,)] * 200)
        db.commit()
    return config


def _damage(database: Path) -> None:
    """4 KiB of garbage over the table's first page: the file still opens."""
    with closing(sqlite3.connect(database)) as db:
        (page,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sale'").fetchone()
    with database.open("r+b") as fh:
        fh.seek((page - 1) * 4096)
        fh.write(bytes(range(256)) * 16)


def _age(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


# ---- damage -----------------------------------------------------------------------------


def test_a_damaged_page_is_found_remembered_and_forgotten_once_restored(tmp_path: Path) -> None:
    home = tmp_path / "till"
    config = _till(home)
    database = config.database_path(home)
    backup = maintenance.scheduled_backup(home, config)
    assert health.check_database(database) is None
    _damage(database)
    with closing(sqlite3.connect(database)) as db:  # what went unnoticed before
        assert db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (1,)
    damage = health.check_database(database)
    assert damage is not None
    assert damage.check == "quick_check"
    assert health.read_damage(database) == damage  # every process of the home sees it
    full = health.check_database(database, full=True)
    assert full is not None
    assert full.check == "integrity_check"
    restore_backup(backup, home, force=True)  # the mark goes aside with the database
    assert health.read_damage(database) is None
    assert health.check_database(database, full=True) is None


@pytest.mark.parametrize(
    "break_it",
    [
        lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 3]),
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(os.urandom(8192)),
        lambda p: p.unlink(),
    ],
    ids=["truncated", "zero bytes", "garbage", "missing"],
)
def test_a_check_of_a_broken_file_is_a_verdict_not_an_exception(tmp_path: Path, break_it) -> None:
    config = _till(tmp_path)
    database = config.database_path(tmp_path)
    break_it(database)
    verdict = health.check_file(database, full=True)
    if database.exists() and database.stat().st_size == 0:
        assert verdict == "ok"  # an empty file is an empty database: the entry point refuses it
    else:
        assert verdict != "ok"
        assert "\n" not in verdict


# ---- backups ----------------------------------------------------------------------------


def test_the_worker_makes_a_backup_a_day_and_keeps_the_last_n(tmp_path: Path) -> None:
    home = tmp_path / "till"
    config = _till(home, backup_dir="../usb", backup_keep=3)
    folder = tmp_path / "usb"
    folder.mkdir()
    other = _till(tmp_path / "other", backup_dir=str(folder))  # another till, same share
    maintenance.scheduled_backup(tmp_path / "other", other)
    (folder / "comptoir-node-notes.zip").write_text("pas une sauvegarde")
    start = datetime.now(UTC) - 10 * DAY
    for day in range(6):
        now = start + day * DAY
        for hour in (0, 6):  # a second look the same day makes nothing
            maintenance.maintenance_cycle(home, config, now=now + timedelta(hours=hour))
        made = own_backups(folder, config)[0]
        _age(made, now)
    kept = own_backups(folder, config)
    assert len(kept) == 3
    assert [p.name[-19:-4] for p in kept] == [
        f"{start + day * DAY:%Y%m%d-%H%M%S}" for day in (5, 4, 3)
    ]
    assert len(own_backups(folder, other)) == 1  # the other till's is left alone
    assert (folder / "comptoir-node-notes.zip").exists()
    assert maintenance.read_state(home)["integrity_check_at"]


def test_status_warns_of_a_backup_older_than_two_days(tmp_path: Path) -> None:
    config = _till(tmp_path)
    path = maintenance.scheduled_backup(tmp_path, config)
    fresh = maintenance.backup_status(tmp_path, config)
    assert fresh.last_path == path
    assert fresh.warning == ""
    assert fresh.last_size == path.stat().st_size
    _age(path, datetime.now(UTC) - 3 * DAY)
    old = maintenance.backup_status(tmp_path, config)
    assert "3 jours" in old.warning
    assert old.as_json()["warning"] == old.warning


def test_a_failed_backup_is_told_with_why_and_tried_again_an_hour_later(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("un fichier, pas un dossier")
    config = _till(tmp_path / "till", backup_dir=str(tmp_path / "key"))
    home = tmp_path / "till"
    now = datetime.now(UTC)
    maintenance.maintenance_cycle(home, config, now=now)
    status = maintenance.backup_status(home, config)
    assert "a échoué" in status.warning
    assert status.error in status.warning
    assert status.failed_at == now
    maintenance.maintenance_cycle(home, config, now=now + timedelta(minutes=20))
    assert maintenance.backup_status(home, config).failed_at == now  # not every cycle
    maintenance.maintenance_cycle(home, config, now=now + timedelta(hours=1))
    assert maintenance.backup_status(home, config).failed_at == now + timedelta(hours=1)


def test_a_damaged_database_is_not_backed_up_over_the_good_backups(tmp_path: Path) -> None:
    config = _till(tmp_path, backup_keep=1)
    good = maintenance.scheduled_backup(tmp_path, config, now=datetime.now(UTC) - 2 * DAY)
    _age(good, datetime.now(UTC) - 2 * DAY)
    _damage(config.database_path(tmp_path))
    maintenance.maintenance_cycle(tmp_path, config)
    assert health.read_damage(config.database_path(tmp_path)) is not None  # the daily check
    assert own_backups(config.backup_path(tmp_path), config) == [good]
    assert "a échoué" in maintenance.backup_status(tmp_path, config).warning


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("backup_keep = 0", "backup_keep"),
        ('backup_keep = "7"', "backup_keep"),
        ("backup_keep = true", "backup_keep"),
        ("backup_dir = 3", "backup_dir"),
    ],
)
def test_the_backup_keys_are_checked_like_every_key(tmp_path: Path, line: str, key: str) -> None:
    _till(tmp_path)
    path = tmp_path / "comptoir.toml"
    kept = [x for x in path.read_text().splitlines() if not x.startswith(key)]
    path.write_text("\n".join([*kept, line, ""]))
    with pytest.raises(ConfigError) as refused:
        read_config(tmp_path)
    assert refused.value.key == key


def test_the_backup_folder_defaults_to_the_home_and_takes_a_usb_key(tmp_path: Path) -> None:
    config = _till(tmp_path)
    assert read_config(tmp_path) == config
    assert config.backup_path(tmp_path) == tmp_path / "backups"
    usb = HomeConfig(**{**config.__dict__, "backup_dir": "/media/CLE"})
    assert usb.backup_path(tmp_path) == Path("/media/CLE")
