"""Backups of a home, and putting one back (``comptoir backup``, ``comptoir restore``).

A backup is one ZIP file: the home's configuration and secrets (``home/``), the database
(``database/``: a consistent copy of a till's SQLite file made with SQLite's online backup
API while the till serves, or a hub's PostgreSQL in ``pg_dump`` custom format) and a
``manifest.json`` that names each member with its size and SHA-256. A backup is checked after
it is written (the copied database's own integrity check, then every member against the
manifest); a restore checks it again before it touches anything.

This module runs without Django: ``restore`` must work on a machine whose home is gone.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
import zlib
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from comptoir import __version__
from comptoir.console import _
from comptoir.home import CONFIG_NAME, HomeConfig, read_config
from comptoir.lib.private import restrict_to_owner

FORMAT = 1
MANIFEST = "manifest.json"
# What a home holds that a backup leaves out: the database (copied apart), its journal files
# and damage mark (``comptoir.health``), the logs, the backups themselves, lock files and the
# record of the scheduled backups and checks (it describes this home, not the one restored),
# and the mark of a recovery still to do (``comptoir.syncengine.recovery``).
SKIPPED_DIRS = {"logs", "backups", "static", "__pycache__"}
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal", "-damaged")
SKIPPED_SUFFIXES = (*(f".sqlite3{s}" for s in DATABASE_SUFFIXES), ".lock", ".tmp")
RECOVERY_MARK = "recovery.json"
# A hub restored from a backup opens a new post at its next start (``syncengine.restored``).
HUB_RESTORED_MARK = "hub-restored.json"
SKIPPED_FILES = {"maintenance.json", RECOVERY_MARK}


class BackupError(Exception):
    """The backup or the restore cannot go on; the message is the sentence to print."""


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict[str, object]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _home_files(home: Path) -> list[Path]:
    files = []
    for path in sorted(home.rglob("*")):
        relative = path.relative_to(home)
        if path.is_dir() or relative.parts[0] in SKIPPED_DIRS or path.name.startswith(".__"):
            continue
        if path.name in SKIPPED_FILES:
            continue
        if path.name.endswith(SKIPPED_SUFFIXES):
            continue
        files.append(path)
    return files


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a database in use (SQLite's online backup API), then checked."""
    if not source.exists():
        raise BackupError(_("base de données introuvable : %(path)s.") % {"path": source})
    try:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(
            _("la base %(path)s ne peut pas être copiée : %(error)s")
            % {"path": source, "error": exc}
        ) from None
    if verdict != "ok":
        raise BackupError(
            _("la base %(path)s est endommagée (%(verdict)s) : la copie ne servirait à rien.")
            % {"path": source, "verdict": verdict}
        )


def postgres_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: on the PATH, else the newest Debian server's."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise BackupError(
            _("%(tool)s est introuvable : installez le client PostgreSQL (postgresql-client).")
            % {"tool": name}
        )
    return str(candidates[-1])


def _pg_dump(url: str, target: Path) -> None:
    result = subprocess.run(
        [postgres_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", url],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(
            _("pg_dump a échoué : %(error)s")
            % {"error": result.stderr.strip() or result.returncode}
        )


def backup_name(config: HomeConfig, now: datetime) -> str:
    return f"comptoir-{config.role}-{config.till_prefix}-{now:%Y%m%d-%H%M%S}.zip"


def own_backups(folder: Path, config: HomeConfig) -> list[Path]:
    """The backups of this post (same node id in the manifest) in ``folder``, newest first
    (by modification time). A folder shared by several tills (a network share) keeps each
    one's apart; a file that is not a readable backup of this post is not listed.
    Raises ``OSError`` if the folder cannot be read (``FileNotFoundError`` if it is not
    there: a USB key that is not plugged in)."""
    found = []
    for path in folder.iterdir():
        if not (path.name.startswith(f"comptoir-{config.role}-") and path.suffix == ".zip"):
            continue
        try:
            with zipfile.ZipFile(path) as archive:
                manifest = json.loads(archive.read(MANIFEST))
            stat = path.stat()
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            continue
        if isinstance(manifest, dict) and manifest.get("node_id") == config.node_id:
            found.append((stat.st_mtime, path))
    return [path for _mtime, path in sorted(found, reverse=True)]


def make_backup(home: Path, out_dir: Path, *, now: datetime | None = None) -> Backup:
    """Write a backup of ``home`` into ``out_dir`` and check it; returns where and what."""
    config = read_config(home)
    if config is None:
        raise BackupError(_("aucun comptoir n'est initialisé dans %(home)s.") % {"home": home})
    now = now or datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / backup_name(config, now)
    files: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        if config.database_url:
            database = Path(scratch) / "hub.dump"
            _pg_dump(config.database_url, database)
            kind = "postgresql"
        else:
            database = Path(scratch) / config.database_path(home).name
            _sqlite_copy(config.database_path(home), database)
            kind = "sqlite"
        members = [(f"database/{database.name}", database)]
        members += [(f"home/{p.relative_to(home).as_posix()}", p) for p in _home_files(home)]
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, path in members:
                data = path.read_bytes()
                files[name] = {"size": len(data), "sha256": _sha256(data)}
                archive.writestr(name, data)
            manifest = {
                "format": FORMAT,
                "comptoir": __version__,
                "made_at": now.isoformat().replace("+00:00", "Z"),
                "role": config.role,
                "node_id": config.node_id,
                "store": config.store_name,
                "till": config.till_name,
                "database": kind,
                "files": files,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
        restrict_to_owner(partial)
        check_backup(partial)
        partial.replace(target)
    return Backup(path=target, manifest=manifest)


def check_backup(path: Path) -> dict[str, object]:
    """The manifest of a whole backup; :class:`BackupError` naming the first problem else."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                manifest = json.loads(archive.read(MANIFEST))
            except KeyError:
                raise BackupError(
                    _("%(path)s n'est pas une sauvegarde comptoir.") % {"path": path}
                ) from None
            files = manifest.get("files", {}) if isinstance(manifest, dict) else {}
            if manifest.get("format") != FORMAT or not files:
                raise BackupError(
                    _("%(path)s n'est pas une sauvegarde comptoir lisible par cette version.")
                    % {"path": path}
                )
            names = set(archive.namelist()) - {MANIFEST}
            if names != set(files):
                raise BackupError(
                    _("la sauvegarde %(path)s est incomplète ou modifiée (fichiers : %(names)s).")
                    % {"path": path, "names": ", ".join(sorted(names ^ set(files)))}
                )
            for name, expected in files.items():
                if _sha256(archive.read(name)) != expected.get("sha256"):
                    raise BackupError(
                        _("la sauvegarde %(path)s est endommagée : %(name)s a changé.")
                        % {"path": path, "name": name}
                    )
    except FileNotFoundError:
        raise BackupError(_("fichier introuvable : %(path)s.") % {"path": path}) from None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        OSError,
        EOFError,
        zlib.error,
        NotImplementedError,
        RuntimeError,  # zipfile's answer to a member flagged as encrypted (one changed bit)
    ) as exc:
        raise BackupError(
            _("la sauvegarde %(path)s est illisible : %(error)s") % {"path": path, "error": exc}
        ) from None
    return manifest


def restore_backup(path: Path, home: Path, *, force: bool = False) -> dict[str, object]:
    """Put the backup at ``path`` into ``home``. A home that holds a comptoir is kept unless
    ``force``; then its database and configuration are first set aside (``*.before-restore``),
    never deleted."""
    if (home / CONFIG_NAME).exists() and not force:
        raise BackupError(
            _(
                "le dossier %(home)s contient déjà un comptoir (%(config)s) : rien n'a été "
                "remplacé. Pour le remplacer par la sauvegarde, relancez avec --force "
                "(l'existant est mis de côté)."
            )
            % {"home": home, "config": CONFIG_NAME}
        )
    manifest = check_backup(path)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    with zipfile.ZipFile(path) as archive:
        if f"home/{CONFIG_NAME}" not in manifest["files"]:  # type: ignore[operator]
            raise BackupError(_("la sauvegarde %(path)s est invalide.") % {"path": path})
        home.mkdir(parents=True, exist_ok=True)
        for name in archive.namelist():
            if not name.startswith("home/"):
                continue
            target = home / name.removeprefix("home/")
            if home.resolve() not in target.resolve().parents:
                raise BackupError(_("la sauvegarde %(path)s est invalide.") % {"path": path})
            if target.exists():
                target.replace(target.with_name(f"{target.name}.before-restore-{stamp}"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
            if target.name == CONFIG_NAME:
                restrict_to_owner(target)
        config = read_config(home)
        assert config is not None  # its comptoir.toml was just written
        database = next(n for n in archive.namelist() if n.startswith("database/"))
        if manifest["database"] == "sqlite":
            target = config.database_path(home)
            for suffix in DATABASE_SUFFIXES:  # a damage mark goes aside with its database
                old = Path(f"{target}{suffix}")
                if old.exists():
                    old.replace(old.with_name(f"{old.name}.before-restore-{stamp}"))
            if config.role == "node" and config.hub_url:
                # What it sent to the hub after this backup is there, not here: taken back
                # before the till numbers anything (drill 1).
                mark_recovery(home, since=str(manifest.get("made_at") or ""))
            target.write_bytes(archive.read(database))
        else:
            _pg_restore(config.database_url, archive.read(database))
        if config.role == "hub":
            # Its own post's records made after this backup are on the tills: it goes on
            # under a new post, so that no chain position nor number is used twice.
            _mark(home / HUB_RESTORED_MARK, {"since": str(manifest.get("made_at") or "")})
    return manifest


def _mark(path: Path, data: dict[str, str]) -> None:
    partial = path.with_name(path.name + ".tmp")
    data = {**data, "marked_at": datetime.now(UTC).isoformat()}
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)


def mark_recovery(home: Path, *, since: str) -> None:
    """Mark ``home`` as brought back from an older state: until it has taken back from the
    hub what it had sent since ``since`` (an instant, or "" for everything), its post makes
    no document (``comptoir.syncengine.recovery``). Written atomically."""
    path = home / RECOVERY_MARK
    partial = path.with_name(path.name + ".tmp")
    data = {"since": since, "marked_at": datetime.now(UTC).isoformat()}
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)


def read_recovery_mark(home: Path) -> dict[str, str] | None:
    """The mark of :func:`mark_recovery`, or None. A mark that cannot be read is still a
    mark (everything is taken back)."""
    try:
        data = json.loads((home / RECOVERY_MARK).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"since": ""}
    return {"since": str(data.get("since") or "")} if isinstance(data, dict) else {"since": ""}


def _pg_restore(url: str, dump: bytes) -> None:
    command = [
        postgres_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        f"--dbname={url}",
    ]
    result = subprocess.run(command, input=dump, capture_output=True)
    if result.returncode != 0:
        error = result.stderr.decode("utf-8", "replace").strip()
        raise BackupError(_("pg_restore a échoué : %(error)s") % {"error": error})
