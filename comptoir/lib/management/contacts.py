"""The shared shape of ``comptoir supplier`` and ``comptoir customer``: add, set, list.

Both keep a code, a name and the same contact fields; a subclass names its services and
its (translatable) texts, and says how ``set`` finds the row (``code`` or ``ref``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandParser
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import (
    add_action,
    add_actions,
    add_archive_flags,
    add_contact_arguments,
    add_limit,
    contact_data,
    contact_options,
    write_contacts,
)


class ContactCommand(ComptoirCommand):
    json_output = True
    # Set by subclasses: the use cases and the texts they show.
    list_rows: Callable[..., Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    code_required: bool  # must ``add`` be given a code, or is one generated?
    key: str  # the keyword ``update`` finds the row by: "code" or "ref"
    texts: dict[str, Promise]  # add, set, list, code, key, search, archived, created, changed

    def add_arguments(self, parser: CommandParser) -> None:
        t = self.texts
        actions = add_actions(parser)
        add = add_action(actions, "add", str(t["add"]))
        if self.code_required:
            add.add_argument("--code", required=True, help=str(t["code"]))
        add.add_argument("--name", required=True, help=_("nom"))
        if not self.code_required:
            add.add_argument("--code", help=str(t["code"]))
        add_contact_arguments(add)
        change = add_action(actions, "set", str(t["set"]))
        change.add_argument(self.key, metavar=self.key.upper(), help=str(t["key"]))
        change.add_argument("--name", help=_("nom"))
        add_contact_arguments(change)
        add_archive_flags(change)
        listing = add_action(actions, "list", str(t["list"]))
        listing.add_argument("--search", help=str(t["search"]))
        listing.add_argument("--archived", action="store_true", help=str(t["archived"]))
        add_limit(listing)
        self.add_more(actions)

    def add_more(self, actions: Any) -> None:
        """A subclass's own actions or options (``actions.choices`` holds the parsers)."""

    def more_fields(self, options: dict[str, Any]) -> dict[str, Any]:
        """A subclass's own fields for ``add`` and ``set``, from its own options."""
        return {}

    def handle_more(self, options: dict[str, Any]) -> None:
        """A subclass's own actions."""
        raise NotImplementedError(options["action"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action not in ("add", "set", "list"):
            self.handle_more(options)
            return
        if action == "list":
            rows = [
                contact_data(row)
                for row in type(self).list_rows(
                    search=options["search"],
                    include_archived=options["archived"],
                    limit=options["limit"],
                )
            ]
            if options.get("json"):
                self.emit_json(rows)
            else:
                write_contacts(self.stdout, rows)
            return
        if action == "add":
            party = type(self).create(
                code=options["code"],
                name=options["name"],
                **contact_options(options),
                **self.more_fields(options),
            )
            message = self.texts["created"]
        else:
            party = type(self).update(
                **{self.key: options[self.key]},
                name=options["name"],
                archived=options["archived"],
                **contact_options(options),
                **self.more_fields(options),
            )
            message = self.texts["changed"]
        data = contact_data(party)
        if options.get("json"):
            self.emit_json(data)
        else:
            self.stdout.write(str(message) % {"code": party.code})
            write_contacts(self.stdout, [data])
