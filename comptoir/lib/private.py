"""Files only their owner may read: the home's configuration (sync token, Django secret key) and
the post's signing key.

On POSIX the mode is 0600. On Windows a mode does nothing, so the file's access control list is
replaced by one entry granting the current user full control (`icacls`, part of every Windows
since Vista), inheritance from the folder removed.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

from django.utils.translation import gettext as _

from comptoir.lib.errors import ComptoirError


def windows_owner() -> str:
    """The account icacls grants, as DOMAIN\\user when Windows tells the domain."""
    user = os.environ.get("USERNAME") or getpass.getuser()
    domain = os.environ.get("USERDOMAIN")
    return f"{domain}\\{user}" if domain else user


def icacls_command(path: Path, owner: str) -> list[str]:
    """Replace the file's list with one entry: full control for its owner, nothing inherited."""
    return ["icacls", str(path), "/inheritance:r", "/grant:r", f"{owner}:(F)"]


def restrict_to_owner(path: Path) -> None:
    """Make `path` readable and writable by its owner only, on every system a post runs on."""
    if sys.platform == "win32":
        result = subprocess.run(icacls_command(path, windows_owner()), capture_output=True)
        if result.returncode != 0:
            raise ComptoirError(
                _("Impossible de réserver le fichier %(path)s à son propriétaire (icacls).")
                % {"path": path}
            )
    else:
        path.chmod(0o600)
