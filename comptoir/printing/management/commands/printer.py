"""``comptoir printer set|show|test|off``: the receipt printer of this post's till."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_action, add_actions
from comptoir.printing.config import ENCODINGS, SERIAL, TCP, USB, WINDOWS, PrinterConfig
from comptoir.printing.errors import PrinterSettingError
from comptoir.printing.selectors import printer_get
from comptoir.printing.services import printer_off, printer_set, printer_test
from comptoir.stores.selectors import till_current

TARGETS = (("tcp", TCP), ("usb", USB), ("serial", SERIAL), ("windows_queue", WINDOWS))


def _width(text: str) -> int:
    if not text.strip().isdigit():
        raise PrinterSettingError(
            _("Largeur de papier invalide : %(value)s mm (80 ou 58).") % {"value": text}
        )
    return int(text)


class Command(ComptoirCommand):
    help = _(
        "Imprimante de tickets (ESC/POS) et tiroir-caisse de la caisse de ce poste : réseau, "
        "USB, port série ou file d'impression Windows."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        sub = add_action(actions, "set", _("Choisit l'imprimante et ses réglages."))
        where = sub.add_mutually_exclusive_group(required=True)
        where.add_argument(
            "--tcp", metavar="HOTE:PORT", help=_("imprimante réseau (port 9100 d'habitude)")
        )
        where.add_argument(
            "--usb",
            metavar="FABRICANT:PRODUIT",
            help=_("imprimante USB (identifiants hexadécimaux, comme lsusb)"),
        )
        where.add_argument(
            "--serial", metavar="PERIPHERIQUE", help=_("port série (/dev/ttyUSB0, COM3...)")
        )
        where.add_argument("--windows-queue", metavar="NOM", help=_("file d'impression Windows"))
        sub.add_argument("--width", metavar="MM", help=_("largeur du papier : 80 ou 58 mm"))
        sub.add_argument(
            "--encoding",
            metavar="PAGE",
            help=_("page de code : %(choices)s") % {"choices": ", ".join(ENCODINGS)},
        )
        sub.add_argument(
            "--print-on-sale",
            action=argparse.BooleanOptionalAction,
            default=None,
            help=_("imprimer le ticket à la validation de chaque vente"),
        )
        sub.add_argument(
            "--drawer",
            action=argparse.BooleanOptionalAction,
            default=None,
            help=_("ouvrir le tiroir après un paiement en espèces"),
        )
        add_action(actions, "show", _("Affiche l'imprimante et ses réglages."))
        add_action(actions, "test", _("Imprime un ticket de test et ouvre le tiroir."))
        add_action(
            actions, "off", _("Plus d'imprimante : les tickets s'impriment par le navigateur.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        till = till_current()
        action = options["action"]
        if action == "set":
            current = printer_get(till=till)
            kind, target = next((k, options[o]) for o, k in TARGETS if options[o] is not None)
            changes: dict[str, Any] = {"kind": kind, "target": target}
            if options["width"] is not None:
                changes["width"] = _width(options["width"])
            if options["encoding"] is not None:
                changes["encoding"] = options["encoding"].upper()
            if options["print_on_sale"] is not None:
                changes["print_on_sale"] = options["print_on_sale"]
            if options["drawer"] is not None:
                changes["open_drawer"] = options["drawer"]
            printer_set(till=till, config=dataclasses.replace(current, **changes))
        elif action == "off":
            printer_off(till=till)
        elif action == "test":
            printer_test(till=till, user="", source="cli")
        config = printer_get(till=till)
        if options.get("json"):
            self.emit_json({"till": till.prefix, **dataclasses.asdict(config)})
            return
        if action == "test":
            self.stdout.write(
                _("Ticket de test envoyé à l'imprimante (%(printer)s) ; tiroir ouvert.")
                % {"printer": config.describe()}
            )
            return
        self.stdout.write(self._describe(till.prefix, config))

    @staticmethod
    def _describe(prefix: str, config: PrinterConfig) -> str:
        if not config.enabled:
            return _(
                "Caisse %(till)s : aucune imprimante, les tickets s'impriment par le navigateur."
            ) % {"till": prefix}
        yes, no = _("oui"), _("non")
        return _(
            "Caisse %(till)s : imprimante %(printer)s, papier %(width)s mm, page de code "
            "%(encoding)s ; ticket à la validation : %(on_sale)s ; tiroir sur paiement en "
            "espèces : %(drawer)s."
        ) % {
            "till": prefix,
            "printer": config.describe(),
            "width": config.width,
            "encoding": config.encoding,
            "on_sale": yes if config.print_on_sale else no,
            "drawer": yes if config.open_drawer else no,
        }
