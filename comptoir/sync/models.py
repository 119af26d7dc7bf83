"""The sync engine's own tables. None of them is synced.

Node side: :class:`SyncState` (clock, pull cursor, last results) and :class:`OutboxEntry`
(rows whose state must reach the hub). Hub side: :class:`ChangeLog` (what nodes pull, in
commit order), :class:`NodeCredential` and :class:`EnrollmentCode`. Both sides:
:class:`ConflictLog` (every value that lost a last-writer-wins merge to a concurrent edit).

Stores and tills derive from this package's base classes (``synced``): the tables that
point to them name them by label (``"core.Till"``), a relation in the database, not an import.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.lib.ids import new_id


class SyncState(models.Model):
    """One row (pk=1): this post's hybrid logical clock and sync progress."""

    hlc = models.CharField(max_length=80, blank=True)
    pull_cursor = models.BigIntegerField(default=0)
    last_push_at = models.DateTimeField(null=True, blank=True)
    last_pull_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    offline_since = models.DateTimeField(null=True, blank=True)
    clock_offset_ms = models.BigIntegerField(
        default=0, help_text=_("Heure du hub moins heure locale, au dernier contact.")
    )
    # A snapshot of the hub's state being taken (``syncengine.snapshot``): the log sequence
    # it was read at (the pull cursor once it is whole), and where its next page starts.
    # None: no snapshot under way.
    snapshot_head = models.BigIntegerField(null=True, blank=True)
    snapshot_after = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = _("état de la synchronisation")
        verbose_name_plural = _("états de la synchronisation")

    def __str__(self) -> str:
        return f"hlc={self.hlc} cursor={self.pull_cursor}"


class OutboxEntry(models.Model):
    """A row whose current state must be pushed. Written in the business transaction.

    The state is read when pushing, not when capturing: facts never change, and reference
    rows carry their per-field clocks, so the latest state is always the right one to
    send. An entry is deleted once the hub acknowledged it; a rejected entry stays, with
    its reason, until an operator deals with it.

    ``bases`` (reference rows) names the fields the write edited, each with the clock of
    the value it replaced (what this post had seen): the hub tells a plain successor from
    a concurrent edit by it. ``None``: not known (a row created, or an entry older than
    this column), and the hub logs every overwritten value, as it did before.
    """

    seq = models.BigAutoField(primary_key=True)
    change_id = models.UUIDField(default=new_id, unique=True)
    model = models.CharField(max_length=60)
    row_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)
    rejected_reason = models.TextField(blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    bases = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("changement à envoyer")
        verbose_name_plural = _("changements à envoyer")
        indexes = [
            models.Index(fields=["seq"], name="outbox_pending_idx", condition=Q(rejected_at=None))
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.model} {self.row_id}"


class ChangeLog(models.Model):
    """Hub: a row changed, in commit order (see ``capture``). Nodes page through it.

    ``store`` scopes store facts to that store's nodes; reference data has none and goes
    to every node. A store and the rows with none are an ordering domain (``capture``):
    its head is read from the (store, seq) index.
    """

    seq = models.BigAutoField(primary_key=True)
    model = models.CharField(max_length=60)
    row_id = models.UUIDField()
    store = models.ForeignKey(
        "core.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # led by the (store, seq) index
    )
    origin_node = models.CharField(max_length=36)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("journal des changements")
        verbose_name_plural = _("journal des changements")
        indexes = [
            models.Index(fields=["store", "seq"], name="changelog_domain_idx"),
            # A row's entries (compaction keeps its first and, per origin, its latest).
            models.Index(fields=["row_id", "seq"], name="changelog_row_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.model} {self.row_id}"


class LogCut(models.Model):
    """Hub: the change log of an ordering domain was deleted up to ``through`` (its entries
    older than the horizon, ``syncengine.compaction``). ``domain``: a store's id, or ``""``
    for the rows every store sees. A node whose cursor is below the cut of a domain it
    sees may have missed entries: it takes a snapshot instead of pulling.

    A cut is written (and committed) before any entry below it is deleted, so that a pull
    that read the log after some were gone reads the cut too.
    """

    domain = models.CharField(max_length=36, primary_key=True)
    through = models.BigIntegerField(default=0)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("coupe du journal des changements")
        verbose_name_plural = _("coupes du journal des changements")

    def __str__(self) -> str:
        return f"{self.domain or '*'} <= {self.through}"


class LogCompaction(models.Model):
    """Hub: one row (pk=1), the last compaction of the change log: how far superseded
    entries were looked for (an entry below it is only superseded by a later one, which
    makes its row's entries looked at again), and when it ran."""

    superseded_through = models.BigIntegerField(default=0)
    ran_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("compactage du journal des changements")
        verbose_name_plural = _("compactages du journal des changements")

    def __str__(self) -> str:
        return f"superseded<={self.superseded_through} at {self.ran_at}"


class PullFailure(models.Model):
    """Node: a change from the hub that could not be applied here (shown in ``status``).

    Pulling goes on past it, so one bad row cannot stop a till from receiving the rest;
    ``verify`` shows the difference until it is resolved.
    """

    id = models.BigAutoField(primary_key=True)
    model = models.CharField(max_length=60)
    row_id = models.UUIDField()
    reason = models.TextField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("échec de réception")
        verbose_name_plural = _("échecs de réception")

    def __str__(self) -> str:
        return f"{self.model} {self.row_id}: {self.reason}"


class ReceivedChange(models.Model):
    """Hub: a pushed change id already handled, and how (for idempotent replays).

    Ids are remembered per node: another node reusing one (by mistake or on purpose)
    must not make the hub answer "duplicate" for a change it never applied.
    """

    id = models.BigAutoField(primary_key=True)
    change_id = models.UUIDField()
    node_id = models.CharField(max_length=36)
    result = models.CharField(max_length=10)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("changement reçu")
        verbose_name_plural = _("changements reçus")
        constraints = [
            models.UniqueConstraint(fields=["node_id", "change_id"], name="received_per_node")
        ]

    def __str__(self) -> str:
        return f"{self.change_id} {self.result}"


class ConflictLog(models.Model):
    """A value that lost a merge to a concurrent edit: kept here so that nothing is lost
    silently. A plain successor (an edit made by a post that had seen the value it
    replaced) is not a conflict and is not logged. Each clock names the post that wrote
    its value (``Timestamp.node``)."""

    id = models.BigAutoField(primary_key=True)
    model = models.CharField(max_length=60)
    row_id = models.UUIDField()
    field = models.CharField(max_length=60)
    kept_value = models.JSONField(null=True)
    kept_clock = models.CharField(max_length=80)
    lost_value = models.JSONField(null=True)
    lost_clock = models.CharField(max_length=80)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("conflit")
        verbose_name_plural = _("conflits")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.model}.{self.field} {self.row_id}"


class NodeCredential(models.Model):
    """Hub: a till enrolled with a one-time code. Only the token's hash is stored."""

    node_id = models.CharField(max_length=36, primary_key=True)
    name = models.CharField(_("nom"), max_length=120)
    till = models.ForeignKey("core.Till", on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_push_at = models.DateTimeField(null=True, blank=True)
    last_pull_at = models.DateTimeField(null=True, blank=True)
    pull_cursor = models.BigIntegerField(default=0)
    version = models.CharField(max_length=20, blank=True)
    clock_offset_ms = models.BigIntegerField(default=0)
    # What the node said at its last pull: its outbox (changes not yet sent), and when.
    pending_count = models.IntegerField(null=True, blank=True)
    pending_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("poste enrôlé")
        verbose_name_plural = _("postes enrôlés")

    def __str__(self) -> str:
        return self.name


class EnrollmentCode(models.Model):
    """Hub: a one-time code that lets a till enroll (valid 24 h, used once).

    Without ``node``, the code makes a new till. With it, the code re-enrolls that post
    (revoked, or whose token was lost): redeemed by the same node id only, it replaces
    the post's credential and keeps its till, series and data.
    """

    code_hash = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=120)
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField(max_length=12)
    node = models.ForeignKey(
        NodeCredential, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("code d'enrôlement")
        verbose_name_plural = _("codes d'enrôlement")

    def __str__(self) -> str:
        return self.name


class IntegrityAlert(models.Model):
    """Hub: a fact that a till validated and the hub refused (an integrity alert).

    A validated invoice, credit note or stock movement is a legal record: refused here,
    it leaves a hole in its till's series on the hub, and the next documents are applied
    after the hole. The hub never hides it: each refused fact is recorded here and shown
    to managers on the sync page until the fact is applied (``resolved_at``). The till
    shows it too, as an alert, from its outbox (``sync_status().integrity_alerts``).
    """

    id = models.BigAutoField(primary_key=True)
    node_id = models.CharField(max_length=36)
    model = models.CharField(max_length=60)
    row_id = models.UUIDField()
    document = models.CharField(_("document"), max_length=40, blank=True)
    reason = models.TextField(_("raison"))
    first_at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alerte d'intégrité")
        verbose_name_plural = _("alertes d'intégrité")
        constraints = [
            models.UniqueConstraint(
                fields=["node_id", "model", "row_id"], name="integrity_alert_per_fact"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.row_id}: {self.reason}"
