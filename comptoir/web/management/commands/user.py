"""``comptoir user add|role|password|list``: the people who log in to this post's web pages.

Accounts are local to each post (a till's cashiers are not the hub's accounts).
"""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.core.management.base import ComptoirCommand
from comptoir.core.management.helpers import add_action, add_actions, write_table
from comptoir.web.roles import ROLES, role_of, role_set


class Command(ComptoirCommand):
    help = _("Crée les comptes (caissier ou gérant) et change rôles et mots de passe.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        add = add_action(actions, "add", _("Crée un compte."))
        add.add_argument("username", metavar="IDENTIFIANT")
        add.add_argument("--role", choices=ROLES, required=True, help=_("cashier ou manager"))
        add.add_argument("--password", help=_("mot de passe (sinon demandé)"))
        role = add_action(actions, "role", _("Change le rôle d'un compte."))
        role.add_argument("username", metavar="IDENTIFIANT")
        role.add_argument("role", choices=ROLES)
        password = add_action(actions, "password", _("Change le mot de passe d'un compte."))
        password.add_argument("username", metavar="IDENTIFIANT")
        password.add_argument("--password", help=_("nouveau mot de passe (sinon demandé)"))
        add_action(actions, "list", _("Liste les comptes et leur rôle."))

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

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        model = get_user_model()
        if action == "list":
            rows = [
                {"username": u.get_username(), "role": role_of(u) or "", "active": u.is_active}
                for u in model.objects.order_by("username")
            ]
            if options["json"]:
                self.emit_json(rows)
            else:
                write_table(
                    self.stdout,
                    [_("Identifiant"), _("Rôle"), _("Actif")],
                    [[r["username"], r["role"], "oui" if r["active"] else "non"] for r in rows],
                )
            return
        username = options["username"]
        with transaction.atomic():
            if action == "add":
                if model.objects.filter(username=username).exists():
                    raise CommandError(
                        _("Le compte « %(u)s » existe déjà.") % {"u": username}, returncode=2
                    )
                user = model(username=username)
                user.set_password(self._password(options["password"], user))
                user.save()
                role_set(user, options["role"])
                self.stdout.write(
                    _("Compte %(u)s créé (%(r)s).") % {"u": username, "r": options["role"]}
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
