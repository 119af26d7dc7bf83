"""``comptoir journal archive-verify FILE.zip [--json]``: an archive checked anywhere
(**archiving**): on any machine with comptoir installed, with no home and no database.

The entry point (``comptoir.cli``) runs it before it looks for a home, and prints what
:func:`archive_verify` returns: exit code 0 when the archive is whole, 1 when it is not
(the first problem, in French), 2 for bad input (no such file, not a zip, bad options).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from django.utils.translation import gettext as _

from comptoir.fiscal.archive import verify_archive
from comptoir.fiscal.errors import ArchiveUnreadable


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _Usage(message)


def archive_verify(argv: Sequence[str]) -> tuple[int, str | None, str | None]:
    """Run the command; returns (exit code, text for stdout, error sentence for stderr)."""
    parser = _Parser(
        prog="comptoir journal archive-verify",
        description=_(
            "Vérifie une archive du journal fiscal sans base de données : signature du "
            "manifeste, empreinte de chaque fichier, chaînes et signatures des enregistrements."
        ),
    )
    parser.add_argument("file", metavar="FICHIER.zip", help=_("archive à vérifier"))
    parser.add_argument("--json", action="store_true", help=_("résultat en JSON"))
    try:
        args = parser.parse_args(list(argv))
    except _Usage as usage:
        return 2, None, _("%(usage)s (voir --help).") % {"usage": str(usage).rstrip(".")}
    try:
        report = verify_archive(Path(args.file))
    except ArchiveUnreadable as exc:
        return 2, None, exc.message
    manifest = report.manifest
    files = manifest.get("files", [])
    records = sum(f["records"] for f in files if f["name"].endswith(".json"))
    if args.json:
        document = {**report.as_json(), "files": len(files), "records": records}
        return (0 if report.ok else 1), json.dumps(document, ensure_ascii=False, indent=2), None
    if not report.ok:
        return 1, None, _("Archive non intègre. %(problem)s") % {"problem": report.problem}
    signer = manifest["signer"]
    prefixes = {p["post_id"]: p["prefix"] for p in manifest["posts"]}
    text = _(
        "Archive intègre : %(files)d fichiers, %(records)d enregistrements, du %(start)s au "
        "%(end)s, signée par le poste %(post)s (clé %(key)s)."
    ) % {
        "files": len(files),
        "records": records,
        "start": manifest["period"]["start"],
        "end": manifest["period"]["end"],
        "post": prefixes.get(signer["post_id"], signer["post_id"]),
        "key": signer["key_id"],
    }
    return 0, text, None
