"""How comptoir's commands are named for the people who type them.

A management command's module cannot hold a hyphen, so ``payment-method`` runs the command
Django knows as ``payment_method``. The entry point (``comptoir.cli``) maps what is typed to
Django's name; the commands' usage and help map Django's name back, so that what they show
can be typed. No Django here: the entry point reads it before Django starts.
"""

from __future__ import annotations

# Typed name: Django's name, for every command whose module cannot take the typed name.
ALIASES = {
    "credit-note": "credit_note",
    "label-rule": "label_rule",
    "payment-method": "payment_method",
}
_TYPED = {name: alias for alias, name in ALIASES.items()}


def typed_name(name: str) -> str:
    """The name typed for the management command ``name`` (``payment-method`` for
    ``payment_method``; most commands are typed as Django names them)."""
    return _TYPED.get(name, name)
