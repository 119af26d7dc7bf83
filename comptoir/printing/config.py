"""The printer of a till, as plain values: where it is, its code page, its paper. Pure.

A printer is reached over the network (``HOST:PORT``, usually 9100), by USB
(``VENDOR:PRODUCT``, hexadecimal ids as ``lsusb`` shows them), on a serial port (a device
such as ``/dev/ttyUSB0`` or ``COM3``) or through a Windows printer queue (its name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from comptoir.printing.errors import PrinterSettingError

NONE = "none"
TCP = "tcp"
USB = "usb"
SERIAL = "serial"
WINDOWS = "windows"
KINDS = (NONE, TCP, USB, SERIAL, WINDOWS)

# The code pages a French or West African receipt needs (« é », « € »), as python-escpos
# names them; the printer is told which one with ESC t.
ENCODINGS = ("CP858", "CP1252")
DEFAULT_ENCODING = "CP858"
# Characters per line of the printer's standard font (12 × 24 dots) on each paper.
COLUMNS = {80: 48, 58: 32}
WIDTHS = tuple(COLUMNS)
TARGET_MAX = 200

_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$|^\[?[0-9A-Fa-f:.]+\]?$")
_HEX = re.compile(r"^(?:0x)?[0-9A-Fa-f]{1,4}$")


@dataclass(frozen=True)
class PrinterConfig:
    """A till's printer; ``kind`` ``none``: the till prints through the browser only."""

    kind: str = NONE
    target: str = ""
    encoding: str = DEFAULT_ENCODING
    width: int = 80
    print_on_sale: bool = True
    open_drawer: bool = True

    @property
    def enabled(self) -> bool:
        return self.kind != NONE

    @property
    def columns(self) -> int:
        return COLUMNS.get(self.width, COLUMNS[80])

    def describe(self) -> str:
        """Where the printer is, for people (« réseau 192.168.1.50:9100 »)."""
        names = {
            NONE: _("aucune imprimante (impression par le navigateur)"),
            TCP: _("réseau %(target)s"),
            USB: _("USB %(target)s"),
            SERIAL: _("port série %(target)s"),
            WINDOWS: _("file d'impression Windows « %(target)s »"),
        }
        return names[self.kind] % {"target": self.target} if self.kind != NONE else names[NONE]


def tcp_parse(text: str) -> tuple[str, int]:
    """``HOST:PORT`` → (host, port); the port defaults to nothing: it must be given."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not _HOST.match(host):
        raise PrinterSettingError(
            _(
                "Adresse d'imprimante invalide : « %(value)s » (attendu HOTE:PORT, par "
                "exemple 192.168.1.50:9100)."
            )
            % {"value": text}
        )
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise PrinterSettingError(
            _("Port d'imprimante invalide : « %(value)s » (un nombre de 1 à 65535).")
            % {"value": port}
        )
    return host, int(port)


def usb_parse(text: str) -> tuple[int, int]:
    """``VENDOR:PRODUCT`` (hexadecimal, as ``lsusb`` shows them) → two integers."""
    vendor, sep, product = text.strip().partition(":")
    if not sep or not _HEX.match(vendor) or not _HEX.match(product):
        raise PrinterSettingError(
            _(
                "Identifiant USB invalide : « %(value)s » (attendu FABRICANT:PRODUIT en "
                "hexadécimal, par exemple 04b8:0202)."
            )
            % {"value": text}
        )
    return int(vendor, 16), int(product, 16)


def target_clean(kind: str, target: str) -> str:
    """``target`` checked for ``kind`` and written the one way it is stored."""
    target = target.strip()
    if kind not in KINDS:
        raise PrinterSettingError(_("Type d'imprimante inconnu : « %(value)s ».") % {"value": kind})
    if kind == NONE:
        return ""
    if not target:
        raise PrinterSettingError(_("Indiquez où se trouve l'imprimante."))
    if len(target) > TARGET_MAX or any(ord(c) < 32 for c in target):
        raise PrinterSettingError(
            _("Emplacement d'imprimante invalide : « %(value)s ».") % {"value": target[:60]}
        )
    if kind == TCP:
        host, port = tcp_parse(target)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if kind == USB:
        vendor, product = usb_parse(target)
        return f"{vendor:04x}:{product:04x}"
    return target


def config_check(config: PrinterConfig) -> PrinterConfig:
    """``config`` with its target cleaned; refuses an unknown code page or paper width."""
    if config.encoding not in ENCODINGS:
        raise PrinterSettingError(
            _("Page de code inconnue : « %(value)s » (CP858 ou CP1252).")
            % {"value": config.encoding}
        )
    if config.width not in WIDTHS:
        raise PrinterSettingError(
            _("Largeur de papier invalide : %(value)s mm (80 ou 58).") % {"value": config.width}
        )
    return PrinterConfig(
        kind=config.kind,
        target=target_clean(config.kind, config.target),
        encoding=config.encoding,
        width=config.width,
        print_on_sale=config.print_on_sale,
        open_drawer=config.open_drawer,
    )
