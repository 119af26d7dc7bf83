"""Use cases of cash sessions: open, cash in and out, close with a blind count.

Each use case is one durable transaction that first locks the till's document chain
(``stores.services.chain_head_lock``), the lock an invoice or credit note takes to be
numbered: a session's document bounds are read while no document of the till can be
committed, so each document falls in exactly one session, and two openings of one till
queue instead of racing (the database refuses a second open session anyway, see
``cash.models``).

:func:`fact_values` is the one place that builds each fact's business values: the
fiscal chain hashes and signs what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.cash.denominations import count_parse, count_total
from comptoir.cash.journal_setup import (
    cash_movement_values,
    session_close_values,
    session_open_values,
)
from comptoir.cash.models import CashMovement, CashMovementKind, CashSession, CashSessionClosing
from comptoir.cash.reports import SessionReport
from comptoir.cash.selectors import session_figures, session_open_get, till_bounds
from comptoir.events.models import EventKind
from comptoir.events.services import event_record, post_verified
from comptoir.journal.services import journal_link, snapshots
from comptoir.lib.errors import ValidationError
from comptoir.lib.money import format_money, parse_amount
from comptoir.lib.validators import clean_text
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_current, till_store_id
from comptoir.stores.services import chain_head_lock
from comptoir.sync import capture

Amount = str | Decimal | int
Counts = Mapping[Any, str | int]


@dataclass(frozen=True)
class MovementResult:
    movement: CashMovement
    # What the drawer should hold after the movement; below zero when more was taken out
    # than it held (allowed: the cashier is told, and the close will show it).
    expected_after: int

    @property
    def exceeds_drawer(self) -> bool:
        return self.expected_after < 0


def fact_values(fact: CashSession | CashMovement | CashSessionClosing) -> dict[str, Any]:
    """The business values of a cash fact, as plain data: what it proves, the one source
    of what the fiscal chain will hash (values stored with the fact only)."""
    common = {"till": str(fact.till_id), "cashier": fact.cashier}
    if isinstance(fact, CashSession):
        return {
            **common,
            "kind": "cash_session_open",
            "number": fact.number,
            "opened_at": fact.opened_at.astimezone(UTC).isoformat(),
            "currency": fact.currency,
            "float_amount": fact.float_amount,
            "float_counts": fact.float_counts,
            "invoices_after": [fact.invoice_year, fact.invoice_sequence],
            "credit_notes_after": [fact.credit_note_year, fact.credit_note_sequence],
        }
    if isinstance(fact, CashMovement):
        return {
            **common,
            "kind": "cash_movement",
            "session": str(fact.session_id),
            "number": fact.number,
            "direction": fact.kind,
            "amount": fact.amount,
            "reason": fact.reason,
            "occurred_at": fact.occurred_at.astimezone(UTC).isoformat(),
        }
    return {
        **common,
        "kind": "cash_session_close",
        "session": str(fact.session_id),
        "closed_at": fact.closed_at.astimezone(UTC).isoformat(),
        "counted_amount": fact.counted_amount,
        "counted_counts": fact.counted_counts,
        "expected_amount": fact.expected_amount,
        "difference": fact.difference,
        "invoices_upto": [fact.invoice_year, fact.invoice_sequence],
        "credit_notes_upto": [fact.credit_note_year, fact.credit_note_sequence],
        "report": fact.report,
    }


def _instant(at: datetime | None) -> datetime:
    # Stored and hashed in UTC, like invoices (``sales.services.invoices``).
    return (at or timezone.now()).astimezone(UTC)


def _counted(
    amount: Amount | None, counts: Counts | None, currency: str, *, what: str
) -> tuple[int, dict[str, int]]:
    """A drawer count: a typed total, or pieces by denomination (then their total), or
    both when they agree. ``what`` names it in errors (« Le fond de caisse »...)."""
    if amount is None and counts is None:
        raise ValidationError(_("%(what)s est obligatoire.") % {"what": what})
    checked = count_parse(counts, currency) if counts is not None else {}
    total = count_total(checked, currency) if counts is not None else None
    if amount is not None:
        typed = parse_amount(amount, currency)
        if typed < 0:
            raise ValidationError(
                _("%(what)s ne peut pas être négatif : « %(value)s ».")
                % {"what": what, "value": amount}
            )
        if total is not None and typed != total:
            raise ValidationError(
                _("%(what)s (%(typed)s) ne correspond pas au comptage (%(total)s).")
                % {
                    "what": what,
                    "typed": format_money(typed, currency),
                    "total": format_money(total, currency),
                }
            )
        total = typed
    assert total is not None
    return total, checked


def _open_session(till: Till) -> CashSession:
    session = session_open_get(till=till)
    if session is None:
        raise ValidationError(
            _("Aucune session de caisse n'est ouverte sur la caisse %(till)s : ouvrez-en une.")
            % {"till": till.prefix}
        )
    return session


def _open(
    *, till: Till, amount: Amount | None, counts: Counts | None, cashier: str, at: datetime | None
) -> CashSession:
    """Open a session (a building block: it joins the caller's transaction, which holds
    the till's chain lock). See :func:`session_open`."""
    cashier = clean_text(cashier, label=_("Le nom du caissier"))
    currency = till.store.currency
    float_amount, checked = _counted(amount, counts, currency, what=_("Le fond de caisse"))
    current = session_open_get(till=till)
    if current is not None:
        raise ValidationError(
            _(
                "Une session de caisse est déjà ouverte sur la caisse %(till)s (n° %(n)d) : "
                "fermez-la avant d'en ouvrir une autre."
            )
            % {"till": till.prefix, "n": current.number}
        )
    last = (
        CashSession.objects.filter(till=till).select_related("closing").order_by("-number").first()
    )
    session = CashSession(
        till=till,
        store_id=till.store_id,
        number=last.number + 1 if last else 1,
        opened_at=_instant(at),
        cashier=cashier,
        currency=currency,
        float_amount=float_amount,
        float_counts=checked,
        previous_closing=last.closing if last else None,
        **till_bounds(till=till),
        **snapshots(till),
    )
    _chained(session, till, "session_open", session_open_values(session))
    event_record(
        kind=EventKind.SESSION_OPEN,
        details={"session": session.number, "float": float_amount},
        till=till,
        user=cashier,
    )
    return session


def _chained(fact: Any, till: Till, kind: str, values: dict[str, Any]) -> Any:
    """Link a new cash fact into its chain of the fiscal journal, then store it."""
    for name, value in journal_link(till=till, kind=kind, values=values).items():
        setattr(fact, name, value)
    fact.save(force_insert=True)
    return fact


def _till(till: Till | None) -> Till:
    till = till or till_current()
    return Till.objects.select_related("store").get(pk=till.pk)


@capture.store_use_case(till_store_id)
def session_open(
    *,
    amount: Amount | None = None,
    counts: Counts | None = None,
    cashier: str = "",
    till: Till | None = None,
    at: datetime | None = None,
) -> CashSession:
    """Open the till's cash session with its float: a typed total (``amount``) or a count
    by denomination (``counts``: ``{value in minor units: pieces}``). Refused while a
    session of the till is open."""
    till = _till(till)
    chain_head_lock(till=till)
    return _open(till=till, amount=amount, counts=counts, cashier=cashier, at=at)


def session_open_for_sale(till: Till, cashier: str) -> str | None:
    """Before a quick sale (``comptoir sell``), in its transaction: open a session with a
    zero float if none is open, and say so. Registered with sales in ``CashConfig.ready``."""
    chain_head_lock(till=till)
    if session_open_get(till=till) is not None:
        return None
    session = _open(
        till=Till.objects.select_related("store").get(pk=till.pk),
        amount=0,
        counts=None,
        cashier=cashier,
        at=None,
    )
    return _(
        "Aucune session de caisse n'était ouverte : session n° %(n)d ouverte avec un fond de "
        "caisse nul."
    ) % {"n": session.number}


def _move(
    kind: str,
    amount: Amount,
    reason: str,
    cashier: str,
    till: Till | None,
    at: datetime | None,
) -> MovementResult:
    till = _till(till)
    currency = till.store.currency
    value = parse_amount(amount, currency)
    if value <= 0:
        raise ValidationError(
            _("Le montant doit être positif : « %(value)s ».") % {"value": amount}
        )
    reason = clean_text(reason.strip(), label=_("Le motif"))
    if not reason:
        raise ValidationError(_("Le motif est obligatoire (ex. : monnaie de la banque)."))
    if len(reason) > 200:
        raise ValidationError(_("Le motif ne peut pas dépasser 200 caractères."))
    cashier = clean_text(cashier, label=_("Le nom du caissier"))
    chain_head_lock(till=till)
    session = _open_session(till)
    last = CashMovement.objects.filter(till=till).aggregate(n=Max("number"))["n"] or 0
    movement = CashMovement(
        session=session,
        till=till,
        store_id=till.store_id,
        number=last + 1,
        kind=kind,
        amount=value,
        reason=reason,
        occurred_at=_instant(at),
        cashier=cashier,
        **snapshots(till),
    )
    _chained(movement, till, "cash_movement", cash_movement_values(movement))
    expected = SessionReport(session_figures(session=session)).expected_cash
    return MovementResult(movement, expected)


@capture.store_use_case(till_store_id)
def cash_in(
    *,
    amount: Amount,
    reason: str,
    cashier: str = "",
    till: Till | None = None,
    at: datetime | None = None,
) -> MovementResult:
    """Cash put into the drawer of the open session (change fetched from the bank...)."""
    return _move(CashMovementKind.IN, amount, reason, cashier, till, at)


@capture.store_use_case(till_store_id)
def cash_out(
    *,
    amount: Amount,
    reason: str,
    cashier: str = "",
    till: Till | None = None,
    at: datetime | None = None,
) -> MovementResult:
    """Cash taken out of the drawer (a supplier paid, a withdrawal). More than the drawer
    should hold is allowed, and said: :attr:`MovementResult.exceeds_drawer`."""
    return _move(CashMovementKind.OUT, amount, reason, cashier, till, at)


@capture.store_use_case(
    lambda *, session=None, till=None, **_arguments: till_store_id(
        till=session.till if session is not None else till
    )
)
def session_close(
    *,
    counted: Amount | None = None,
    counts: Counts | None = None,
    cashier: str = "",
    session: CashSession | None = None,
    till: Till | None = None,
    at: datetime | None = None,
) -> CashSessionClosing:
    """Close the open session with the blind count of the drawer (``counted``, or
    ``counts`` by denomination): the cashier gives it before seeing what was expected;
    the closing records expected, counted and the difference, and keeps the Z.

    ``session``: the one the cashier means to close (a screen's second click then finds
    it closed instead of closing the next one).
    """
    till = _till(session.till if session is not None else till)
    counted_amount, checked = _counted(
        counted, counts, till.store.currency, what=_("Le montant compté")
    )
    cashier = clean_text(cashier, label=_("Le nom du caissier"))
    chain_head_lock(till=till)
    current = session_open_get(till=till)
    if session is not None and (current is None or current.pk != session.pk):
        raise ValidationError(
            _("La session de caisse n° %(n)d est déjà fermée.") % {"n": session.number}
        )
    if current is None:
        raise ValidationError(
            _("Aucune session de caisse n'est ouverte sur la caisse %(till)s : rien à fermer.")
            % {"till": till.prefix}
        )
    bounds = till_bounds(till=till)
    closing = CashSessionClosing(
        session=current,
        till=till,
        store_id=till.store_id,
        closed_at=_instant(at),
        cashier=cashier,
        counted_amount=counted_amount,
        counted_counts=checked,
        **bounds,
        **snapshots(till),
    )
    report = SessionReport(session_figures(session=current, end=closing), counted=counted_amount)
    closing.expected_amount = report.expected_cash
    closing.difference = counted_amount - report.expected_cash
    closing.report = report.as_data()
    # The fiscal journal is recomputed after each closing, this post's chains only (its
    # result: status, sync page, and a ``journal_verified`` event).
    transaction.on_commit(partial(post_verified, till.pk, cause="session_close"))
    _chained(closing, till, "session_close", session_close_values(closing))
    event_record(
        kind=EventKind.SESSION_CLOSE,
        details={
            "session": current.number,
            "counted": counted_amount,
            "difference": closing.difference,
        },
        till=till,
        user=cashier,
    )
    return closing
