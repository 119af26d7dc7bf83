"""comptoir's releases (``RELEASES.toml`` at the root of the repository), and a previous
release installed from its commit into a virtual environment of its own, for the tests
that run an older post against the current code.

The environment is made once per commit under a cache folder (``COMPTOIR_RELEASE_CACHE``,
else ``~/.cache/comptoir-releases``): the commit's tree from ``git archive``, then ``uv
venv`` and ``uv pip install`` of the package with its ``requirements.lock`` as constraints
(from the package index, or uv's own cache).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from comptoir import __version__

ROOT = Path(__file__).resolve().parents[2]
RELEASES = "RELEASES.toml"


@dataclass(frozen=True)
class Release:
    version: str
    status: str  # "released" | "unreleased"
    commit: str
    date: str
    protocol: int
    schema: int

    @property
    def key(self) -> tuple[int, ...]:
        return version_key(self.version)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def releases(root: Path = ROOT) -> list[Release]:
    """Every release listed, newest first."""
    data = tomllib.loads((root / RELEASES).read_text(encoding="utf-8"))
    found = [
        Release(
            version=str(item["version"]),
            status=str(item["status"]),
            commit=str(item["commit"]),
            date=str(item["date"]),
            protocol=int(item["protocol"]),
            schema=int(item["schema"]),
        )
        for item in data["release"]
    ]
    return sorted(found, key=lambda r: r.key, reverse=True)


def previous_release(root: Path = ROOT, current: str = __version__) -> Release:
    """The newest release made before the version of this code."""
    older = [r for r in releases(root) if r.status == "released" and r.key < version_key(current)]
    if not older:
        raise LookupError(f"no release before {current} in {RELEASES}")
    return older[0]


def cache_dir() -> Path:
    configured = os.environ.get("COMPTOIR_RELEASE_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "comptoir-releases"


def _uv() -> str:
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    if not found:
        raise RuntimeError("uv is needed to install a previous release (pip install uv)")
    return found


def installed(release: Release, root: Path = ROOT) -> Path:
    """The Python interpreter of a virtual environment where ``release`` is installed (made
    on first use, then reused)."""
    target = cache_dir() / release.commit
    python = target / "venv" / "bin" / "python"
    if python.exists():
        return python
    building = target.with_name(f"{release.commit}.partial-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    source = building / "src"
    source.mkdir(parents=True)
    tree = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", release.commit],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tree)) as archive:
        archive.extractall(source, filter="data")
    uv = _uv()
    venv = building / "venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            "-c",
            str(source / "requirements.lock"),
            str(source),
        ],
        check=True,
    )
    try:
        building.replace(target)
    except OSError:  # made meanwhile by another run: keep theirs
        shutil.rmtree(building, ignore_errors=True)
    return python
