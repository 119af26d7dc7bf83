"""The receipt printer of a till: a local setting of the post, not synced.

The printer is a device on the counter: which one a till uses, and how it is plugged,
is nobody's business but that post's (the hub has no printer, another till has its
own). So the setting is a plain local row per till, like a training sale, never sent.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.printing import config
from comptoir.stores.models import Till


class PrinterKind(models.TextChoices):
    NONE = config.NONE, _("aucune (impression par le navigateur)")
    TCP = config.TCP, _("réseau (HOTE:PORT)")
    USB = config.USB, _("USB (FABRICANT:PRODUIT)")
    SERIAL = config.SERIAL, _("port série")
    WINDOWS = config.WINDOWS, _("file d'impression Windows")


class PrinterSettings(models.Model):
    """How a till reaches its receipt printer and what it prints unasked. One per till."""

    till = models.OneToOneField(Till, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(
        _("imprimante"), max_length=10, choices=PrinterKind.choices, default=config.NONE
    )
    target = models.CharField(_("emplacement"), max_length=config.TARGET_MAX, blank=True)
    encoding = models.CharField(
        _("page de code"),
        max_length=10,
        choices=[(e, e) for e in config.ENCODINGS],
        default=config.DEFAULT_ENCODING,
    )
    width = models.PositiveSmallIntegerField(
        _("largeur du papier (mm)"), choices=[(w, f"{w} mm") for w in config.WIDTHS], default=80
    )
    print_on_sale = models.BooleanField(_("imprimer le ticket à la validation"), default=True)
    open_drawer = models.BooleanField(
        _("ouvrir le tiroir sur un paiement en espèces"), default=True
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("imprimante de la caisse")
        verbose_name_plural = _("imprimantes des caisses")

    def __str__(self) -> str:
        return f"{self.till_id}: {self.kind} {self.target}"

    def as_config(self) -> config.PrinterConfig:
        return config.PrinterConfig(
            kind=self.kind,
            target=self.target,
            encoding=self.encoding,
            width=self.width,
            print_on_sale=self.print_on_sale,
            open_drawer=self.open_drawer,
        )
