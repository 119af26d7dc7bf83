"""How the entry point refuses: one sentence on stderr, « Erreur : … », exit code 2."""

from __future__ import annotations

import sys

from comptoir.console import _
from comptoir.lib.text import terminal_safe


def fail(message: str, code: int = 2) -> int:
    """Print ``message`` as the entry point's error and give the exit code to return."""
    sys.stderr.write(terminal_safe(_("Erreur : %(message)s") % {"message": message}) + "\n")
    return code


class Refused(Exception):
    """The command cannot run; its message is the one sentence to print."""
