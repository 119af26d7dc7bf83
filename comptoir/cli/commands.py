"""The commands of ``comptoir`` as typed: the help's list, the table of every command (the
entry point's own, then comptoir's management commands under their typed names), and the
nearest commands suggested for a mistyped one."""

from __future__ import annotations

from collections.abc import Sequence

from comptoir.console import _
from comptoir.lib.management.names import typed_name

# The commands the entry point runs itself, without Django (see ``comptoir.cli.main``).
ENTRY_COMMANDS = (("hub", "init"), ("node", "init"), ("demo",), ("restore",))


def usage() -> str:
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


def unknown_command(name: str) -> str | None:
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
