"""``comptoir user add|role|store|password|list``: the people who log in to this post's
web pages.

Accounts are local to each post (a till's cashiers are not the hub's accounts). On the
hub an account belongs to one store (``--store NOM``) or to every store
(``--all-stores``, a chain manager); without either, ``add`` gives it the hub's only
store and refuses when there are several. On a till every account works for the till's
store, so neither option is taken there.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.accounts.selectors import account_store_resolve
from comptoir.accounts.services import account_store_set
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_action, add_actions, write_table
from comptoir.web.roles import ROLES, role_of, role_set
from comptoir.web.scope import stores_visible


def _add_store_options(parser: CommandParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--store", metavar="NOM", help=_("le magasin du compte (serveur)"))
    which.add_argument(
        "--all-stores",
        action="store_true",
        help=_("le compte voit tous les magasins (gérant de la chaîne, serveur)"),
    )


class Command(ComptoirCommand):
    help = _("Crée les comptes (caissier ou gérant) et change rôles et mots de passe.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        add = add_action(actions, "add", _("Crée un compte."))
        add.add_argument("username", metavar="IDENTIFIANT")
        add.add_argument("--role", choices=ROLES, required=True, help=_("cashier ou manager"))
        add.add_argument("--password", help=_("mot de passe (sinon demandé)"))
        _add_store_options(add)
        store = add_action(actions, "store", _("Change le magasin d'un compte (serveur)."))
        store.add_argument("username", metavar="IDENTIFIANT")
        _add_store_options(store)
        role = add_action(actions, "role", _("Change le rôle d'un compte."))
        role.add_argument("username", metavar="IDENTIFIANT")
        role.add_argument("role", choices=ROLES)
        password = add_action(actions, "password", _("Change le mot de passe d'un compte."))
        password.add_argument("username", metavar="IDENTIFIANT")
        password.add_argument("--password", help=_("nouveau mot de passe (sinon demandé)"))
        add_action(actions, "list", _("Liste les comptes, leur rôle et leur magasin."))

    def _password(self, given: str | None, user: Any) -> str:
        value = given if given is not None else getpass.getpass(_("Mot de passe : "))
        try:
            validate_password(value, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=2) from exc
        return value

    def _get(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Aucun compte « %(u)s ».") % {"u": username}, returncode=2)
        return user

    def _store(self, options: dict[str, Any], *, required: bool) -> Any:
        """The store given (None: every store), on the hub; on a till, the till's."""
        given = options["store"] is not None or options["all_stores"]
        if settings.COMPTOIR_ROLE == "node":
            if given or required:
                raise CommandError(
                    _(
                        "Sur une caisse, chaque compte voit le magasin de la caisse : "
                        "--store et --all-stores ne servent que sur le serveur."
                    ),
                    returncode=2,
                )
            return None
        if required and not given:
            raise CommandError(_("Indiquez --store NOM ou --all-stores."), returncode=2)
        return account_store_resolve(store=options["store"], all_stores=options["all_stores"])

    @staticmethod
    def _scope_text(user: Any) -> str:
        scope = stores_visible(user)
        if scope.every_store:
            return _("tous les magasins")
        names = scope.stores().values_list("name", flat=True) if scope.store_ids else []
        return ", ".join(names) or _("aucun magasin")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        model = get_user_model()
        if action == "list":
            rows = [
                {
                    "username": u.get_username(),
                    "role": role_of(u) or "",
                    "active": u.is_active,
                    "stores": self._scope_text(u),
                }
                for u in model.objects.order_by("username")
            ]
            if options["json"]:
                self.emit_json(rows)
            else:
                write_table(
                    self.stdout,
                    [_("Identifiant"), _("Rôle"), _("Actif"), _("Magasins")],
                    [
                        [r["username"], r["role"], "oui" if r["active"] else "non", r["stores"]]
                        for r in rows
                    ],
                )
            return
        username = options["username"]
        with transaction.atomic():
            if action == "add":
                if model.objects.filter(username=username).exists():
                    raise CommandError(
                        _("Le compte « %(u)s » existe déjà.") % {"u": username}, returncode=2
                    )
                store = self._store(options, required=False)
                user = model(username=username)
                user.set_password(self._password(options["password"], user))
                user.save()
                role_set(user, options["role"])
                if settings.COMPTOIR_ROLE != "node":
                    account_store_set(user=user, store=store)
                self.stdout.write(
                    _("Compte %(u)s créé (%(r)s).") % {"u": username, "r": options["role"]}
                )
                self.stdout.write(
                    _("Compte %(u)s : %(s)s.") % {"u": username, "s": self._scope_text(user)}
                )
            elif action == "store":
                user = self._get(username)
                account_store_set(user=user, store=self._store(options, required=True))
                self.stdout.write(
                    _("Compte %(u)s : %(s)s.") % {"u": username, "s": self._scope_text(user)}
                )
            elif action == "role":
                user = self._get(username)
                role_set(user, options["role"])
                self.stdout.write(
                    _("Compte %(u)s : rôle %(r)s.") % {"u": username, "r": options["role"]}
                )
            elif action == "password":
                user = self._get(username)
                user.set_password(self._password(options["password"], user))
                user.save()
                self.stdout.write(_("Mot de passe de %(u)s changé.") % {"u": username})
