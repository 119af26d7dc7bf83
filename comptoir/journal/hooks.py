"""Callbacks that apps above the journal give it: the journal never imports them (layers
point one way). Registered in their ``AppConfig.ready``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from comptoir.stores.models import Till


@dataclass(frozen=True)
class BrokenLink:
    """A record that arrived on the hub and does not link in its post's chain."""

    post: Till  # the post whose chain is broken
    chain: str  # the chain's name (``doc``, ``close``, ...)
    record: str  # the record's number as its post printed it (or its id)
    sequence: int  # its place in the chain
    reason: str  # why, in words (``fiscal.chains.reason_text``)


# Called on the hub once for each integrity alert that a push raises (not again while the
# alert is open), in the push's transaction, which holds the change-log lock: the technical
# event log registers here (``EventsConfig.ready``).
BrokenLinkHook = Callable[[BrokenLink], None]
_broken_link_hooks: list[BrokenLinkHook] = []


def broken_link_hook_register(hook: BrokenLinkHook) -> None:
    if hook not in _broken_link_hooks:
        _broken_link_hooks.append(hook)


def broken_link_hooks() -> tuple[BrokenLinkHook, ...]:
    return tuple(_broken_link_hooks)
