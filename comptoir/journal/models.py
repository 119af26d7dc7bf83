"""The chained-record mixin, and each side's record of its last journal check."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChainedFact(models.Model):
    """The fields of a record of the fiscal journal (set by ``journal_link``, never after).

    Every field is nullable: the records made before the fiscal journal keep their rows
    as they were (documents of chain version 1 have no sequence nor signature, cash facts
    made before were not chained at all, ``chain_version`` NULL), and adding nullable
    columns leaves the tables (and their immutability triggers) in place on SQLite.
    """

    chain_sequence = models.PositiveBigIntegerField(_("n° dans la chaîne"), null=True, blank=True)
    chain_version = models.PositiveSmallIntegerField(
        _("version de la chaîne"), null=True, blank=True
    )
    previous_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    chain_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    signature = models.CharField(_("signature"), max_length=100, null=True, blank=True)  # noqa: DJ001
    # Snapshots the hash covers: never the current value of mutable reference data.
    store_name = models.CharField(_("nom du magasin"), max_length=120, null=True, blank=True)  # noqa: DJ001
    post_prefix = models.CharField(_("préfixe du poste"), max_length=12, null=True, blank=True)  # noqa: DJ001

    class Meta:
        abstract = True

    @property
    def signature_extract(self) -> str:
        """What a receipt prints of the signature: its first 8 characters."""
        return (self.signature or "")[:8]


class ChainCheck(models.Model):
    """The last known state of one chain of one post on this side (never synced).

    Written by ``journal verify`` (every chain it walks) and, on the hub, by the check of
    each push's records; shown by ``comptoir status`` and the sync pages.
    """

    till = models.ForeignKey("core.Till", on_delete=models.CASCADE, related_name="+")
    chain = models.CharField(max_length=8)
    status = models.CharField(max_length=8)  # whole | pending | broken
    count = models.PositiveBigIntegerField(default=0)
    # The first broken record (else the first pending one): its label, id and sequence.
    model = models.CharField(max_length=60, blank=True)
    row_id = models.UUIDField(null=True, blank=True)
    number = models.CharField(max_length=40, blank=True)
    sequence = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=16, blank=True)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contrôle de chaîne")
        verbose_name_plural = _("contrôles de chaîne")
        constraints = [
            models.UniqueConstraint(fields=["till", "chain"], name="chaincheck_unique_chain")
        ]

    def __str__(self) -> str:
        return f"{self.till_id} {self.chain}: {self.status}"
