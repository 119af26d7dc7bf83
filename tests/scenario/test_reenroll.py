"""A till that lost its access comes back as the same post, with its unsent sales.

Two ways to lose it: revoked on the hub (``hub revoke``), or its token lost or damaged in
its ``comptoir.toml``. Either way ``hub enroll --name ... --reenroll`` gives a code bound
to that post, ``node reenroll --code`` on the till takes a new token, and the next sync
pushes the sales that waited: same node id, same till and series, same database.
"""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import httpx
import pytest
import tomli_w

from comptoir.syncengine.protocol import PREFIX, PROTOCOL_VERSION, SCHEMA_VERSION
from tests.scenario.conftest import Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

# What a re-enrollment must leave alone on the till: its clock, cursor, outbox, invoices.
TILL_STATE = """
from comptoir.sales.models import Invoice
from comptoir.sync.models import OutboxEntry, SyncState
state = SyncState.objects.get(pk=1)
out = {
    "cursor": state.pull_cursor,
    "outbox": sorted(str(c) for c in OutboxEntry.objects.values_list("change_id", flat=True)),
    "invoices": sorted(Invoice.objects.values_list("number", flat=True)),
}
"""


def config(home: Path) -> dict[str, object]:
    return tomllib.loads((home / "comptoir.toml").read_text())


def pull_status(shop: Shop, token: str) -> int:
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Comptoir-Protocol": str(PROTOCOL_VERSION),
        "X-Comptoir-Schema": str(SCHEMA_VERSION),
    }
    return httpx.get(f"{shop.hub.url}{PREFIX}pull", headers=headers, timeout=10).status_code


def reenroll_code(shop: Shop, name: str) -> str:
    out = shop.run(shop.hub_home, "hub", "enroll", "--name", name, "--reenroll").stdout
    assert "comptoir node reenroll --code" in out, out
    return out.strip().splitlines()[-1]


def test_a_revoked_till_and_a_till_that_lost_its_token_come_back_with_their_sales(
    shop: Shop,
) -> None:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    revoked, lost = shop.add_till("Caisse 2"), shop.add_till("Caisse 3")  # series C1, C2
    old_token = shop.token(revoked)

    # Revoked on the hub, or its token damaged in comptoir.toml: the till keeps selling,
    # its sync is refused with the exact commands to run.
    shop.run(hub, "hub", "revoke", "Caisse 2")
    damaged = config(lost)
    damaged["token"] = "abîmé"  # not even ASCII: it cannot go into an HTTP header
    (lost / "comptoir.toml").write_text(tomli_w.dumps(damaged))
    shop.run(revoked, "sell", "A:1")
    shop.run(revoked, "sell", "A:2")
    shop.run(lost, "sell", "A:3")
    for home, name in ((revoked, "Caisse 2"), (lost, "Caisse 3")):
        failed = shop.run(home, "sync", check=False)
        assert failed.returncode != 0
        assert "Traceback" not in failed.stderr, failed.stderr
        assert "Poste non reconnu par le serveur" in failed.stderr
        assert f'comptoir hub enroll --name "{name}" --reenroll' in failed.stderr, failed.stderr
        assert f"comptoir node reenroll --home {home} --code CODE" in failed.stderr
    # « node init » on its home points to the same path instead of making a new post.
    again = shop.run(revoked, "node", "init", "--server", shop.hub.url, "--code", "X", check=False)
    assert (again.returncode, again.stdout) == (2, "")
    assert "comptoir node reenroll --home" in again.stderr, again.stderr

    before = shop.shell(revoked, TILL_STATE)
    toml_before = (revoked / "comptoir.toml").read_bytes()
    # A code the hub did not give for this post is refused and changes nothing here.
    wrong = shop.run(revoked, "node", "reenroll", "--code", "AAAA-BBBB-CCCC-DDDD", check=False)
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("Erreur : Ré-enrôlement refusé : "), wrong.stderr
    assert (revoked / "comptoir.toml").read_bytes() == toml_before

    done = shop.run(revoked, "node", "reenroll", "--code", reenroll_code(shop, "Caisse 2"))
    # The two sales, the cash session the first one opened and their technical events.
    assert f"{len(before['outbox'])} changements en attente" in done.stdout, done.stdout
    assert len(before["invoices"]) == 2
    after = config(revoked)
    assert after["token"] != old_token
    assert {k: v for k, v in after.items() if k != "token"} == {
        k: v for k, v in tomllib.loads(toml_before.decode()).items() if k != "token"
    }
    assert stat.S_IMODE((revoked / "comptoir.toml").stat().st_mode) == 0o600
    assert shop.shell(revoked, TILL_STATE) == before  # same data: no re-bootstrap
    shop.run(lost, "node", "reenroll", "--code", reenroll_code(shop, "Caisse 3"))

    # The sales that waited go through, in their own series; the old token is dead.
    shop.sync(lost)
    shop.sync(revoked)
    on_hub = shop.invoice_numbers(hub)
    year = next(iter(on_hub)).split("-")[1]
    assert on_hub == {f"C1-{year}-000001": 1, f"C1-{year}-000002": 1, f"C2-{year}-000001": 1}
    assert pull_status(shop, old_token) == 401
    assert pull_status(shop, shop.token(revoked)) == 200
    shop.verify(revoked)
