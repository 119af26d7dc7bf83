"""The home, before and around Django: read its configuration, start Django on it, and the
commands that make one without Django (``hub init``, ``node init``, ``restore``)."""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from comptoir.cli.errors import Refused, fail
from comptoir.console import (
    LANGUAGES,
    ConsoleParser,
    _,
    config_error_text,
    language_option,
    speak,
)
from comptoir.home import (
    HOME_ENV,
    ConfigError,
    HomeConfig,
    config_path,
    new_node_id,
    read_config,
    resolve_home,
    write_config,
)


def home_config(home: Path) -> HomeConfig | None:
    """The home's configuration; raises :class:`Refused` with the sentence to print."""
    try:
        return read_config(home)
    except ConfigError as exc:
        raise Refused(config_error_text(exc)) from None
    except OSError as exc:
        raise Refused(
            _("configuration illisible (%(path)s) : %(error)s")
            % {"path": config_path(home), "error": exc.strerror or exc}
        ) from None


def django_setup(home: Path) -> None:
    os.environ[HOME_ENV] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django

    django.setup()


def home_discard(home: Path, config: HomeConfig) -> None:
    """Undo a failed init, so that it can simply be run again."""
    from django.db import connections

    connections.close_all()
    (home / "comptoir.toml").unlink(missing_ok=True)
    if not config.database_url:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{config.database_path(home)}{suffix}").unlink(missing_ok=True)


def quoted(text: str) -> str:
    """``text`` as one argument to copy into a command line."""
    return '"' + text.replace('"', '\\"') + '"'


def home_init(role: str, argv: Sequence[str]) -> int:
    """``comptoir hub|node init``: write a new home's ``comptoir.toml``, set it up (and
    enroll a till with ``--server``); on any failure the home is left as it was."""
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
        return fail(_("--server demande aussi --code (donné par « comptoir hub enroll »)."))
    home = resolve_home(args.home)
    try:
        existing = home_config(home)
    except Refused as refused:
        return fail(str(refused))
    if existing is not None and role == "node" and existing.role == "node" and existing.hub_url:
        # Typically a till that was revoked or lost its token: it keeps its home.
        return fail(
            _(
                "le dossier %(home)s contient déjà une caisse rattachée à un serveur ; pour la "
                "rattacher de nouveau, lancez « comptoir node reenroll --home %(arg)s --code "
                "CODE » avec un code de « comptoir hub enroll --name %(name)s --reenroll »."
            )
            % {"home": home, "arg": quoted(str(home)), "name": quoted(existing.till_name)}
        )
    if existing is not None:
        return fail(_("le dossier %(home)s contient déjà un comptoir initialisé.") % {"home": home})
    from comptoir.lib.money import CURRENCY_EXPONENTS

    currency = args.currency.upper()
    if currency not in CURRENCY_EXPONENTS:
        return fail(_("devise inconnue : %(currency)s.") % {"currency": args.currency})
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
    django_setup(home)
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
        home_discard(home, config)
        return fail(exc.message)
    except Exception as exc:
        home_discard(home, config)
        return fail(_("initialisation impossible : %(error)s") % {"error": exc})
    role_name = _("serveur central (hub)") if role == "hub" else _("caisse (node)")
    print(_("Comptoir initialisé : %(role)s dans %(home)s") % {"role": role_name, "home": home})
    print(
        _("Magasin : %(store)s ; caisse : %(till)s (%(prefix)s)")
        % {"store": config.store_name, "till": config.till_name, "prefix": config.till_prefix}
    )
    print(_("Gérant : %(user)s / %(password)s") % {"user": args.admin_user, "password": password})
    return 0


def home_restore(argv: Sequence[str]) -> int:
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
        return fail(str(exc))
    except OSError as exc:
        return fail(
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
