"""Callbacks that apps above customers give it: customers never imports them (layers point
one way). Registered in their ``AppConfig.ready``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CommandAction:
    """An action of ``comptoir customer`` that an app above customers provides (sales:
    ``settle``, ``statement``): its name and help, how it declares its arguments (given
    the action's parser) and how it runs (given the command and its options)."""

    name: str
    help: Any  # a lazy translation: the command's language is known when it runs
    arguments: Callable[[Any], None]
    handle: Callable[[Any, dict[str, Any]], None]


_command_actions: dict[str, CommandAction] = {}


def customer_command_action_register(action: CommandAction) -> None:
    _command_actions[action.name] = action


def customer_command_actions() -> dict[str, CommandAction]:
    return dict(_command_actions)
