"""Is this post's SQLite database sound? Checked, remembered, and nothing written into a
damaged one.

- ``PRAGMA quick_check`` when a served till starts (``comptoir serve``) and before the first
  local write of every other process (a CLI command); the full ``PRAGMA integrity_check``
  once a day (``comptoir.maintenance``) and in ``comptoir status --check``. Each runs on a
  read-only connection of its own: in WAL mode it never blocks the till's writes.
- A verdict other than ``ok`` is kept beside the database (``node.sqlite3-damaged``, JSON),
  so that every process of the home knows: ``status``, the till screen and the sync page say
  so, and :func:`ensure_writable` refuses every local write of synced data (sales, credit
  notes, closings, stock, articles...) with the sentence that says how to restore. The mark
  goes when a check finds the file sound again, and aside with the database when a backup is
  restored (``comptoir restore``).

A hub on PostgreSQL has none of this: PostgreSQL checks its own pages.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from comptoir.backups import own_backups
from comptoir.console import _
from comptoir.lib.errors import ComptoirError

MARK_SUFFIX = "-damaged"
QUICK, FULL = "quick_check", "integrity_check"
# At most this many problems are listed by a check, and this many characters kept of them.
MAX_ERRORS, MAX_VERDICT = 10, 300


class DatabaseDamaged(ComptoirError):
    """This post's database failed its check: nothing more is written into it."""


@dataclass(frozen=True)
class Damage:
    at: datetime
    check: str
    verdict: str

    def as_json(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "check": self.check, "verdict": self.verdict}


def check_file(path: Path, *, full: bool = False) -> str:
    """``ok``, or what SQLite found wrong with the database at ``path`` (one line)."""
    pragma = FULL if full else QUICK
    try:
        uri = path.resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=20)) as db:
            rows = db.execute(f"PRAGMA {pragma}({MAX_ERRORS})").fetchall()
    except (sqlite3.Error, OSError, ValueError) as exc:
        return str(exc)[:MAX_VERDICT] or type(exc).__name__
    found = [str(row[0]).removeprefix("*** in database main ***").strip() for row in rows]
    return "ok" if found == ["ok"] else "; ".join(found).replace("\n", " ")[:MAX_VERDICT]


def mark_path(database: Path) -> Path:
    return database.with_name(database.name + MARK_SUFFIX)


def read_damage(database: Path) -> Damage | None:
    """What the last check of ``database`` found wrong, or None if it found it sound."""
    try:
        data = json.loads(mark_path(database).read_text(encoding="utf-8"))
        return Damage(datetime.fromisoformat(data["at"]), str(data["check"]), str(data["verdict"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # A mark that cannot be read is still a mark: the database was found damaged.
        return Damage(datetime.now(UTC), QUICK, _("vérification illisible"))


def check_database(database: Path, *, full: bool = False) -> Damage | None:
    """Check ``database`` and remember the verdict (the mark is set, or removed)."""
    verdict = check_file(database, full=full)
    mark = mark_path(database)
    if verdict == "ok":
        mark.unlink(missing_ok=True)
        return None
    damage = Damage(datetime.now(UTC), FULL if full else QUICK, verdict)
    partial = mark.with_name(mark.name + ".tmp")
    partial.write_text(json.dumps(damage.as_json(), ensure_ascii=False), encoding="utf-8")
    partial.replace(mark)
    return damage


# ---- with Django: this process's database ---------------------------------------------


def database_file() -> Path | None:
    """The SQLite file of this process's database; None on PostgreSQL or in memory."""
    from django.db import connection

    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or "memory" in name or name.startswith("file:"):
        return None
    return Path(name)


_checked: set[Path] = set()
_checking = threading.Lock()


def check_at_start() -> Damage | None:
    """The quick check of a starting server (``comptoir serve``); None if sound."""
    database = database_file()
    if database is None:
        return None
    with _checking:
        damage = check_database(database)
        _checked.add(database)
    return damage


def ensure_writable() -> None:
    """Refuse a local write into a damaged database (:class:`DatabaseDamaged`, with the
    sentence to show). The first call of a process checks the file (``quick_check``); every
    call looks for the mark that a check of any process of the home left."""
    database = database_file()
    if database is None:
        return
    if database not in _checked:
        with _checking:
            if database not in _checked:
                check_database(database)
                _checked.add(database)
    damage = read_damage(database)
    if damage is not None:
        raise DatabaseDamaged(damage_sentence(damage))


def damage_sentence(damage: Damage) -> str:
    """What a damaged database means for the user, and the command that brings it back."""
    from django.conf import settings
    from django.utils.translation import gettext

    home, config = settings.COMPTOIR_HOME, settings.COMPTOIR_CONFIG
    latest = gettext("FICHIER")
    if home is not None and config is not None:
        try:
            found = own_backups(config.backup_path(home), config)
        except OSError:
            found = []
        if found:
            latest = str(found[0])
    return gettext(
        "la base de données de ce poste est endommagée (%(verdict)s) : plus aucune vente ni "
        "aucun document n'y est enregistré. Restaurez la dernière sauvegarde avec « comptoir "
        "restore %(backup)s --home %(home)s --force », puis relancez la caisse."
    ) % {"verdict": damage.verdict.rstrip("."), "backup": latest, "home": home or "DOSSIER"}


def current_damage() -> Damage | None:
    """The damage found in this process's database by the last check, if any."""
    database = database_file()
    return None if database is None else read_damage(database)
