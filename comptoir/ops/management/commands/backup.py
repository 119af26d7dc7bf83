"""``comptoir backup [--out DIR]``: one checked file holding the home and its database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.backups import BackupError, make_backup
from comptoir.lib.errors import ValidationError
from comptoir.lib.management.base import ComptoirCommand


class Command(ComptoirCommand):
    help = _(
        "Sauvegarde ce comptoir (configuration, clés et base de données) dans un fichier "
        "vérifié ; la caisse peut continuer à vendre pendant la copie."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            default=None,
            help=_(
                "dossier où écrire la sauvegarde (sinon backup_dir de comptoir.toml, HOME/backups)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        home, config = settings.COMPTOIR_HOME, settings.COMPTOIR_CONFIG
        assert home is not None  # the entry point runs commands in a home
        assert config is not None
        out = Path(options["out"]).expanduser() if options["out"] else config.backup_path(home)
        try:
            backup = make_backup(home, out)
        except BackupError as exc:
            raise ValidationError(str(exc)) from None
        except OSError as exc:
            raise ValidationError(
                _("sauvegarde impossible dans %(out)s : %(error)s")
                % {"out": out, "error": exc.strerror or exc}
            ) from None
        files: dict[str, object] = backup.manifest["files"]  # type: ignore[assignment]
        size = backup.path.stat().st_size
        if options["json"]:
            self.emit_json({"path": str(backup.path), "size": size, "manifest": backup.manifest})
            return
        self.stdout.write(
            _("Sauvegarde écrite et vérifiée : %(path)s (%(size)s octets, %(n)d fichiers).")
            % {"path": backup.path, "size": f"{size:,}".replace(",", "\u202f"), "n": len(files)}
        )
