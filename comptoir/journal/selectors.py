"""Reads of the fiscal journal's last known state, per post and chain (the manager's page).

Nothing here verifies anything: the state is what the last check wrote
(:class:`~comptoir.journal.models.ChainCheck`: ``journal verify``, the check after each
cash closing and at start, and on the hub the check of each push).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.apps import apps
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When

from comptoir.journal.models import ChainCheck
from comptoir.journal.verify import (
    chain_name,
    check_reason_text,
    tills_verified,
    tills_verified_query,
)
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
    return journal_posts_of(
        till for till in tills_verified(prefix) if wanted is None or str(till.store_id) in wanted
    )


def journal_post_list(
    *, store_ids: Collection[UUID] | None = None, search: str = ""
) -> QuerySet[Till]:
    """The posts of :func:`journal_posts` as a query to page (a chain's hub has
    thousands): those whose series, name or store's name contains ``search``, the broken
    first, then pending, never checked, and whole, by series within each. Give a page
    of it to :func:`journal_posts_of`."""
    tills = tills_verified_query()
    if store_ids is not None:
        tills = tills.filter(store_id__in=list(store_ids))
    if search:
        tills = tills.filter(
            Q(prefix__icontains=search)
            | Q(name__icontains=search)
            | Q(store__name__icontains=search)
        )
    checks = ChainCheck.objects.filter(till_id=OuterRef("pk"))
    rank = Case(
        When(Exists(checks.filter(status="broken")), then=Value(0)),
        When(Exists(checks.filter(status="pending")), then=Value(1)),
        When(~Exists(checks), then=Value(2)),
        default=Value(3),
    )
    return tills.annotate(rank=rank).order_by("rank", "prefix")


def journal_posts_of(tills: Iterable[Till]) -> list[PostJournal]:
    """``tills`` each with its chains' last known state (one query for their checks)."""
    posts = [PostJournal(till) for till in tills]
    by_till = {p.till.pk: p for p in posts}
    checks = ChainCheck.objects.filter(till_id__in=list(by_till)).order_by("chain")
    for check in checks:
        check.chain_name = chain_name(check.chain)  # type: ignore[attr-defined]
        check.reason_text = check_reason_text(check)  # type: ignore[attr-defined]
        check.what = record_label(check.model) if check.model else ""  # type: ignore[attr-defined]
        by_till[check.till_id].checks.append(check)
    return posts
