"""Reads of the fiscal journal's last known state, per post and chain (the manager's page).

Nothing here verifies anything: the state is what the last check wrote
(:class:`~comptoir.journal.models.ChainCheck`: ``journal verify``, the check after each
cash closing and at start, and on the hub the check of each push).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.apps import apps

from comptoir.journal.models import ChainCheck
from comptoir.journal.verify import chain_name, check_reason_text, tills_verified
from comptoir.stores.models import Till

# The worst state first: a post's state is its worst chain's.
SEVERITY = {"broken": 0, "pending": 1, "whole": 2}


@dataclass
class PostJournal:
    """One post's chains as last checked; ``status`` is ``unknown`` before any check."""

    till: Till
    checks: list[ChainCheck] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.checks:
            return "unknown"
        return min((c.status for c in self.checks), key=lambda s: SEVERITY.get(s, 0))

    @property
    def checked_at(self) -> datetime | None:
        return max((c.checked_at for c in self.checks), default=None)

    @property
    def count(self) -> int:
        return sum(c.count for c in self.checks)


def record_label(model: str) -> str:
    """What a record of ``model`` (an app label, ``sales.invoice``) is, in words."""
    try:
        return str(apps.get_model(model)._meta.verbose_name)
    except (LookupError, ValueError):
        return model


def journal_posts(
    *, store_ids: Collection[UUID] | None = None, prefix: str | None = None
) -> list[PostJournal]:
    """The posts this side verifies (every post on the hub, this post on a till), in the
    given stores (all when None), by prefix, each with its chains' last known state;
    ``prefix`` picks one post."""
    wanted = None if store_ids is None else {str(s) for s in store_ids}
    posts = [
        PostJournal(till)
        for till in tills_verified(prefix)
        if wanted is None or str(till.store_id) in wanted
    ]
    by_till = {p.till.pk: p for p in posts}
    checks = ChainCheck.objects.filter(till_id__in=list(by_till)).order_by("chain")
    for check in checks:
        check.chain_name = chain_name(check.chain)  # type: ignore[attr-defined]
        check.reason_text = check_reason_text(check)  # type: ignore[attr-defined]
        check.what = record_label(check.model) if check.model else ""  # type: ignore[attr-defined]
        by_till[check.till_id].checks.append(check)
    return posts
