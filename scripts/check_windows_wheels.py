"""Prove that the locked set installs on a Windows till: every package a Windows PC would
install (the lock's environment markers evaluated for Windows, CPython 3.11 and 3.12) must
exist as a wheel for win_amd64. pip downloads each one with --only-binary=:all:, so a package
with no Windows wheel fails here, not on a shop's PC.

    python scripts/check_windows_wheels.py [requirements.lock]

Exit 0 when every package has a wheel, 1 otherwise (naming them). Needs the package index.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

PYTHONS = ("3.11", "3.12")


def windows_environment(python: str) -> dict[str, str]:
    env = default_environment()
    env.update(
        os_name="nt",
        sys_platform="win32",
        platform_system="Windows",
        platform_machine="AMD64",
        platform_python_implementation="CPython",
        implementation_name="cpython",
        python_version=python,
        python_full_version=f"{python}.0",
    )
    return env


def windows_pins(lock: Path, python: str) -> list[str]:
    pins = []
    for line in lock.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(windows_environment(python)):
            pins.append(f"{requirement.name}{requirement.specifier}")
    return pins


def download(pins: list[str], directory: str, python: str) -> bool:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--only-binary=:all:", "--platform", "win_amd64", "--implementation", "cp"]
    command += ["--python-version", python, "--dest", directory, *pins]
    return subprocess.run(command, capture_output=True, text=True).returncode == 0


def main() -> int:
    lock = Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock")
    failed = False
    for python in PYTHONS:
        pins = windows_pins(lock, python)
        with tempfile.TemporaryDirectory() as directory:
            # One pip run for the whole set; package by package only to name the culprits.
            missing = (
                []
                if download(pins, directory, python)
                else [pin for pin in pins if not download([pin], directory, python)]
            )
            wheels = len(list(Path(directory).glob("*.whl")))
        if missing:
            failed = True
            print(f"Python {python} win_amd64: no wheel for {', '.join(missing)}")
        else:
            print(f"Python {python} win_amd64: {wheels} wheels for {len(pins)} locked packages")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
