"""The ``comptoir`` console entry point.

``--home`` (or ``COMPTOIR_HOME``) is read before Django starts, because the home decides
the settings (role, database). ``hub init`` and ``node init`` create a home and then
migrate it; every other sub-command is a Django management command.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from comptoir.console import (
    LANGUAGES,
    ConsoleParser,
    _,
    config_error_text,
    language_of,
    language_option,
    reader_may_leave,
    speak,
    streams_without_console,
)
from comptoir.home import (
    HOME_ENV,
    POOL_ENV,
    SERVING_ENV,
    ConfigError,
    HomeConfig,
    config_path,
    new_node_id,
    read_config,
    resolve_home,
    write_config,
)
from comptoir.lib.management.names import ALIASES, typed_name
from comptoir.lib.text import terminal_safe

# The commands the entry point runs itself, without Django (see ``main``).
ENTRY_COMMANDS = (("hub", "init"), ("node", "init"), ("demo",), ("restore",))

# Seconds the entry point waits for PostgreSQL before saying that it does not answer.
PROBE_TIMEOUT = 10


def _usage() -> str:
    return _(
        """comptoir — caisse et gestion de magasin, synchronisées entre caisses et serveur.

Installation :
  comptoir hub init  --home DIR [--database-url URL] [--store NOM] [--currency EUR]
  comptoir node init --home DIR [--store NOM] [--till-name NOM] [--prefix C1]
  comptoir node init --home DIR --server URL --code CODE     (caisse rattachée au hub)
  comptoir hub enroll --home DIR --name "Caisse 2"            (code d'enrôlement)
  comptoir hub enroll --home DIR --name "Caisse 2" --reenroll (code pour une caisse existante)
  comptoir node reenroll --home DIR --code CODE               (caisse révoquée ou jeton perdu)
  comptoir sync      --home DIR [--mode push|pull|sync]
  comptoir status    --home DIR [--json]
  comptoir hub check --home DIR [--url https://...]               (prêt pour la production ?)
  comptoir serve     --home DIR [--bind HOTE:PORT]
  comptoir start     --home DIR [--bind HOTE:PORT] [--no-browser]   (sert et ouvre la caisse)
  comptoir autostart install|remove|status --home DIR [--print]   (à l'ouverture de session)
  comptoir demo      [--home DIR] [--port 8000] [--days 21] [--no-serve]   (hub + 2 caisses)
  comptoir backup    --home DIR [--out DOSSIER]                  (fichier vérifié, à chaud)
  comptoir restore   FICHIER.zip --home DIR [--force]            (remet une sauvegarde en place)

Données (toutes acceptent --home DIR, et --json pour ce qu'elles affichent) :
  comptoir article add|set|list      comptoir customer add|set|list
  comptoir supplier add|set|list     comptoir import articles|customers|suppliers FICHIER.csv
  comptoir sell CODE:QTE ... [--pay cash|card|mobile|cheque[:MONTANT]]
  comptoir credit-note NUMERO [CODE:QTE ...]
  comptoir session open --float MONTANT | cash-in|cash-out MONTANT --reason MOTIF
  comptoir session x | close --counted MONTANT | list
  comptoir closing list [--kind day|month|year] | show ID|day:AAAA-MM-JJ
  comptoir training on|off [--user NOM] | status   (mode formation : ventes sans valeur)
  comptoir printer set --tcp HOTE:PORT|--usb FABRICANT:PRODUIT|--serial PORT|--windows-queue NOM
  comptoir printer show|test|off            (imprimante de tickets et tiroir-caisse)
  comptoir stock receive|loss|count|show|rebuild
  comptoir invoice list|show NUMERO
  comptoir stats [--from J --to J] [--by day|article|till|cashier|payment]
  comptoir stats rebuild
  comptoir store show|set [--legal-name ... --address ... --siret ... --vat-number ...]

Aide d'une commande : comptoir COMMANDE --help
"""
    )


def command_table() -> list[tuple[str, ...]]:
    """Every command of ``comptoir``, as typed: the entry point's own, then each management
    command of comptoir's apps (a new one is in the table by existing). Needs Django's
    settings (any home, or none)."""
    from django.core.management import get_commands

    managed = sorted(n for n, app in get_commands().items() if app.startswith("comptoir."))
    return [*ENTRY_COMMANDS, *((typed_name(name),) for name in managed)]


def typing_distance(typed: str, name: str) -> int:
    """Edits from ``typed`` to ``name``, a swap of two neighbouring letters counting as one
    (optimal string alignment, the Damerau-Levenshtein distance without reediting a swap):
    ``stauts`` is one edit from ``status``, as ``stats`` is."""
    before: list[int] = []
    previous = list(range(len(name) + 1))
    for i, letter in enumerate(typed, 1):
        row = [i] + [0] * len(name)
        for j, other in enumerate(name, 1):
            row[j] = min(
                previous[j] + 1,
                row[j - 1] + 1,
                previous[j - 1] + (letter != other),
            )
            if i > 1 and j > 1 and letter == name[j - 2] and typed[i - 2] == other:
                row[j] = min(row[j], before[j - 2] + 1)
        before, previous = previous, row
    return previous[-1]


def closest_commands(typed: str, names: Sequence[str], most: int = 3) -> list[str]:
    """The names nearest to ``typed`` (at most a third of its letters away, and at least one
    edit allowed), nearest first; among names as near, those of the same length first (the
    letters were all typed, in the wrong order), then alphabetically."""
    limit = max(1, len(typed) // 3)
    near = [(typing_distance(typed, name), abs(len(name) - len(typed)), name) for name in names]
    near = sorted(entry for entry in near if entry[0] <= limit)
    if not near:
        return []
    return [name for distance, _gap, name in near if distance == near[0][0]][:most]


def _unknown_command(name: str) -> str | None:
    """The sentence for a command that does not exist (None if it does), suggesting the
    nearest of comptoir's commands. Needs Django's settings."""
    from django.core.management import get_commands

    if name in get_commands():
        return None
    names = sorted({row[0] for row in command_table()})
    message = _("commande inconnue : « %(command)s ».") % {"command": name}
    close = [f"« {typed} »" for typed in closest_commands(name, names)]
    if close:
        choices = (
            close[0]
            if len(close) == 1
            else _("%(some)s ou %(last)s")
            % {
                "some": ", ".join(close[:-1]),
                "last": close[-1],
            }
        )
        message += " " + _("Vouliez-vous dire %(commands)s ?") % {"commands": choices}
    return message + " " + _("Liste des commandes : comptoir --help")


def _quoted(text: str) -> str:
    """``text`` as one argument to copy into a command line."""
    return '"' + text.replace('"', '\\"') + '"'


def _fail(message: str, code: int = 2) -> int:
    sys.stderr.write(terminal_safe(_("Erreur : %(message)s") % {"message": message}) + "\n")
    return code


def _not_utf8(args: Sequence[str]) -> str | None:
    """The first argument that held bytes that are not UTF-8, as the user can read it.

    Python hands such bytes over as lone surrogates (``surrogateescape``), which nothing
    can store or print: refused here, before any command sees them.
    """
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raw = arg.encode("utf-8", "surrogateescape")
            return raw.decode("utf-8", "backslashreplace")
    return None


class _Refused(Exception):
    """The command cannot run; its message is the one sentence to print."""


def _read_config(home: Path) -> HomeConfig | None:
    """The home's configuration; raises :class:`_Refused` with the sentence to print."""
    try:
        return read_config(home)
    except ConfigError as exc:
        raise _Refused(config_error_text(exc)) from None
    except OSError as exc:
        raise _Refused(
            _("configuration illisible (%(path)s) : %(error)s")
            % {"path": config_path(home), "error": exc.strerror or exc}
        ) from None


def _probe_database(connection: Any) -> None:
    """Open and close one connection like ``connection``'s, outside any pool (which would
    retry for half a minute), and waiting at most ``PROBE_TIMEOUT`` for PostgreSQL."""
    probe = connection.copy()
    options = probe.settings_dict["OPTIONS"]
    options.pop("pool", None)
    if probe.vendor == "postgresql":
        options.setdefault("connect_timeout", PROBE_TIMEOUT)
    try:
        probe.ensure_connection()
    finally:
        probe.close()


def _run_command(args: list[str]) -> int:
    """A Django management command, after a first connection to the database: a missing,
    empty, damaged, foreign, unreachable or refusing database is then a sentence, whichever
    command (or ``--help``) was asked for, and so is one that fails while the command runs."""
    from django.core.management import execute_from_command_line
    from django.db import Error, connections

    from comptoir.lib.db import database_error_message, sqlite_file_message

    connection = connections["default"]
    if connection.vendor == "sqlite":
        # Opening a missing file would create an empty database in its place.
        message = sqlite_file_message(Path(connection.settings_dict["NAME"]))
        if message is not None:
            return _fail(message)
    try:
        _probe_database(connection)
        execute_from_command_line(["comptoir", *args])
    except (Error, sqlite3.Error) as exc:
        message = database_error_message(exc)
        if message is None:
            raise
        return _fail(message)
    return 0


def _setup_django(home: Path) -> None:
    os.environ[HOME_ENV] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django

    django.setup()


def _discard_home(home: Path, config: HomeConfig) -> None:
    """Undo a failed init, so that it can simply be run again."""
    from django.db import connections

    connections.close_all()
    (home / "comptoir.toml").unlink(missing_ok=True)
    if not config.database_url:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{config.database_path(home)}{suffix}").unlink(missing_ok=True)


def _init(role: str, argv: Sequence[str]) -> int:
    speak(language_option(argv))
    parser = ConsoleParser(prog=f"comptoir {role} init")
    parser.add_argument("--home", help=_("dossier de données à créer"))
    parser.add_argument("--store", default=_("Magasin principal"), help=_("nom du magasin"))
    parser.add_argument("--currency", default="EUR", help=_("devise (EUR, XOF, XAF...)"))
    parser.add_argument("--time-zone", default="Europe/Paris")
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        default="fr",
        help=_("langue de la console et des pages (fr par défaut)"),
    )
    parser.add_argument("--till-name", default=None, help=_("nom de la caisse de ce poste"))
    parser.add_argument("--prefix", default=None, help=_("préfixe des numéros de facture"))
    parser.add_argument("--admin-user", default="admin", help=_("identifiant du gérant"))
    parser.add_argument("--admin-password", default=None, help=_("mot de passe (sinon généré)"))
    if role == "hub":
        parser.add_argument("--database-url", default="", help=_("postgresql://... (sinon SQLite)"))
    else:
        parser.add_argument("--server", default="", help=_("adresse du serveur central (hub)"))
        parser.add_argument("--code", default="", help=_("code d'enrôlement (comptoir hub enroll)"))
        parser.add_argument(
            "--insecure-http",
            action="store_true",
            help=_("accepter http:// vers un serveur qui n'est pas local"),
        )
        parser.add_argument(
            "--trust-server-certificate",
            action="store_true",
            help=_("épingler le certificat (auto-signé) du serveur https://"),
        )
        parser.add_argument(
            "--ca-file",
            default="",
            help=_("autorité de certification du serveur (fichier PEM)"),
        )
    args = parser.parse_args(argv)
    server = getattr(args, "server", "")
    if server and not args.code:
        return _fail(_("--server demande aussi --code (donné par « comptoir hub enroll »)."))
    home = resolve_home(args.home)
    try:
        existing = _read_config(home)
    except _Refused as refused:
        return _fail(str(refused))
    if existing is not None and role == "node" and existing.role == "node" and existing.hub_url:
        # Typically a till that was revoked or lost its token: it keeps its home.
        return _fail(
            _(
                "le dossier %(home)s contient déjà une caisse rattachée à un serveur ; pour la "
                "rattacher de nouveau, lancez « comptoir node reenroll --home %(arg)s --code "
                "CODE » avec un code de « comptoir hub enroll --name %(name)s --reenroll »."
            )
            % {"home": home, "arg": _quoted(str(home)), "name": _quoted(existing.till_name)}
        )
    if existing is not None:
        return _fail(
            _("le dossier %(home)s contient déjà un comptoir initialisé.") % {"home": home}
        )
    from comptoir.lib.money import CURRENCY_EXPONENTS

    currency = args.currency.upper()
    if currency not in CURRENCY_EXPONENTS:
        return _fail(_("devise inconnue : %(currency)s.") % {"currency": args.currency})
    config = HomeConfig(
        role="hub" if role == "hub" else "node",
        node_id=new_node_id(),
        store_name=args.store,
        till_name=args.till_name or (_("Vente en ligne") if role == "hub" else _("Caisse 1")),
        till_prefix=(args.prefix or ("WEB" if role == "hub" else "C1")).upper(),
        currency=currency,
        time_zone=args.time_zone,
        language=args.language,
        database_url=getattr(args, "database_url", "") or "",
        hub_url=server,
        insecure_http=bool(getattr(args, "insecure_http", False)),
    )
    write_config(home, config)
    _setup_django(home)
    password = args.admin_password or secrets.token_urlsafe(9)
    from comptoir.lib.errors import ComptoirError
    from comptoir.ops.setup import home_setup

    try:
        home_setup(
            config=config,
            admin_user=args.admin_user,
            admin_password=password,
            create_till=not server,
        )
        if server:
            from comptoir.syncengine.enroll import CA_NAME, node_enroll, pin_certificate

            if args.trust_server_certificate:
                config = pin_certificate(home=home, config=config)
            elif args.ca_file:
                (home / CA_NAME).write_bytes(Path(args.ca_file).read_bytes())
                config = dataclasses.replace(config, hub_ca_file=CA_NAME)
            write_config(home, config)
            config = node_enroll(home=home, config=config, code=args.code)
    except ComptoirError as exc:
        _discard_home(home, config)
        return _fail(exc.message)
    except Exception as exc:
        _discard_home(home, config)
        return _fail(_("initialisation impossible : %(error)s") % {"error": exc})
    role_name = _("serveur central (hub)") if role == "hub" else _("caisse (node)")
    print(_("Comptoir initialisé : %(role)s dans %(home)s") % {"role": role_name, "home": home})
    print(
        _("Magasin : %(store)s ; caisse : %(till)s (%(prefix)s)")
        % {"store": config.store_name, "till": config.till_name, "prefix": config.till_prefix}
    )
    print(_("Gérant : %(user)s / %(password)s") % {"user": args.admin_user, "password": password})
    return 0


def _restore(argv: Sequence[str]) -> int:
    """``comptoir restore FILE --home DIR [--force]``: without Django, the home may be gone."""
    from comptoir.backups import BackupError, restore_backup

    parser = ConsoleParser(prog="comptoir restore")
    parser.add_argument("file", help=_("fichier de sauvegarde (comptoir backup)"))
    parser.add_argument("--home", help=_("dossier de données où remettre la sauvegarde"))
    parser.add_argument(
        "--force",
        action="store_true",
        help=_("remplacer un comptoir existant (mis de côté en *.before-restore-*)"),
    )
    args = parser.parse_args(argv)
    home = resolve_home(args.home)
    try:
        manifest = restore_backup(Path(args.file), home, force=args.force)
    except BackupError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(
            _("restauration impossible dans %(home)s : %(error)s")
            % {"home": home, "error": exc.strerror or exc}
        )
    print(
        _("Sauvegarde du %(made_at)s remise en place dans %(home)s (%(till)s, %(store)s).")
        % {
            "made_at": manifest["made_at"],
            "home": home,
            "till": manifest["till"],
            "store": manifest["store"],
        }
    )
    return 0


def _without_home(args: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--home":
            skip = True
        elif not arg.startswith("--home="):
            out.append(arg)
    return out


def _archive_verify(args: list[str], language: str) -> int:
    """``journal archive-verify``: checks an archive on any machine, with no home and no
    database; Django's settings without a home are enough for its texts."""
    os.environ.pop(HOME_ENV, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django
    from django.utils import translation

    django.setup()
    translation.activate(language)
    from comptoir.fiscal.command import archive_verify

    code, out, error = archive_verify(args)
    if out is not None:
        print(terminal_safe(out))
    return code if error is None else _fail(error, code)


@reader_may_leave
def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--home")
    known, _rest = pre.parse_known_args(args)
    home = resolve_home(known.home)
    streams_without_console(home)
    # The home's language, French without one; ``init`` has its own ``--language``.
    speak(language_of(home))
    undecodable = _not_utf8(args)
    if undecodable is not None:
        return _fail(
            _(
                "l'argument « %(arg)s » n'est pas du texte UTF-8 valide : vérifiez l'encodage "
                "du terminal ou du fichier qui l'a fourni."
            )
            % {"arg": undecodable}
        )
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if args[0] == "--version":
        from comptoir import __version__

        print(__version__)
        return 0
    if len(args) >= 2 and args[0] in ("hub", "node") and args[1] == "init":
        return _init(args[0], args[2:])
    if args[0] == "demo":
        from comptoir.demo import run_demo

        return run_demo(args[1:])
    if args[0] == "restore":
        return _restore(args[1:])
    if _without_home(args)[:2] == ["journal", "archive-verify"]:
        return _archive_verify(_without_home(args)[2:], language_of(home))

    args[0] = ALIASES.get(args[0], args[0])
    if args[0] in ("serve", "start"):
        # What only a server does (``comptoir.asgi``), in its every process; and a served
        # hub on PostgreSQL borrows connections from a pool (see settings), where commands
        # run once and keep Django's connection per use.
        os.environ[SERVING_ENV] = "1"
        os.environ.setdefault(POOL_ENV, "20")

    try:
        config = _read_config(home)
    except _Refused as refused:
        return _fail(str(refused))
    wants_help = "-h" in args or "--help" in args
    # The home is chosen here; commands that do not know --home (Django's own: shell,
    # migrate...) must not see it.
    args = _without_home(args)
    if not args:
        print(_usage())
        return 0
    if config is None:
        # Help, and the list of commands, need no home: the settings without one are enough.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
        import django
        from django.core.management import execute_from_command_line

        django.setup()
        unknown = _unknown_command(args[0])
        if unknown is not None:
            return _fail(unknown)
        if wants_help:
            execute_from_command_line(["comptoir", *args])
            return 0
        return _fail(
            _(
                "aucun comptoir n'est initialisé dans %(home)s. Lancez « comptoir hub init "
                "--home DIR » ou « comptoir node init --home DIR »."
            )
            % {"home": home}
        )
    _setup_django(home)
    unknown = _unknown_command(args[0])
    if unknown is not None:
        return _fail(unknown)
    return _run_command(args)
