"""``comptoir hub check``: each problem an operator must hear about before a shop does,
with what to do; exit code 1 while any is left. On SQLite and on PostgreSQL (the checks of
the database server itself only run there)."""

from __future__ import annotations

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from comptoir.home import HomeConfig
from comptoir.syncengine import hubcheck
from comptoir.syncengine.hubcheck import Finding, hub_check

pytestmark = pytest.mark.django_db

PUBLIC = ["hub.example.org", "127.0.0.1"]


def _config(*proxies: str) -> HomeConfig:
    return HomeConfig(
        role="hub",
        node_id="00000000-0000-0000-0000-000000000001",
        store_name="Épicerie",
        till_name="Vente en ligne",
        till_prefix="WEB",
        trusted_proxies=list(proxies),
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A hub home with a backup made an hour ago."""
    (tmp_path / "backups").mkdir()
    backup = tmp_path / "backups" / "comptoir-hub-WEB-20260101-031500.zip"
    backup.write_bytes(b"PK")
    os.utime(backup, (time.time() - 3600, time.time() - 3600))
    return tmp_path


def _run(home: Path, *proxies: str, url: str = "") -> dict[str, list[Finding]]:
    findings = hub_check(config=_config(*proxies), home=home, backups=home / "backups", url=url)
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check, []).append(finding)
    return by_check


def _problems(found: dict[str, list[Finding]]) -> set[str]:
    return {f.check for group in found.values() for f in group if not f.ok}


@override_settings(ALLOWED_HOSTS=PUBLIC)
def test_a_well_set_hub_has_no_problem_but_the_database_on_sqlite(home: Path) -> None:
    found = _run(home, "127.0.0.1")
    expected = {"database", "pg_dump"} if connection.vendor == "sqlite" else set()
    assert _problems(found) <= expected, found
    if connection.vendor == "postgresql":
        assert _problems(found) == set(), found
        assert found["database"][0].text.startswith("PostgreSQL ")
        assert found["clock"][0].ok
        assert found["pg_dump"][0].ok
    else:
        assert "PostgreSQL" in found["database"][0].fix
    assert found["migrations"][0].ok
    assert found["backups"][0].ok


@pytest.mark.parametrize(
    ("hosts", "fragment"),
    [(["*"], "« * »"), (["127.0.0.1", "localhost", "[::1]"], "Seules les adresses locales")],
)
def test_allowed_hosts_that_would_refuse_or_accept_any_name_are_a_problem(
    home: Path, hosts: list[str], fragment: str
) -> None:
    with override_settings(ALLOWED_HOSTS=hosts):
        (finding,) = _run(home, "127.0.0.1")["allowed_hosts"]
    assert not finding.ok
    assert fragment in finding.text
    assert "COMPTOIR_ALLOWED_HOSTS=" in finding.fix


@override_settings(ALLOWED_HOSTS=PUBLIC, DEBUG=True)
def test_debug_on_is_a_problem(home: Path) -> None:
    (finding,) = _run(home, "127.0.0.1")["debug"]
    assert not finding.ok
    assert "COMPTOIR_DEBUG" in finding.fix


@override_settings(ALLOWED_HOSTS=PUBLIC)
@pytest.mark.parametrize("proxies", [(), ("0.0.0.0/0",), ("10.0.0.1", "::/0")])
def test_no_trusted_proxy_or_one_that_is_everybody_is_a_problem(
    home: Path, proxies: tuple[str, ...]
) -> None:
    (finding,) = _run(home, *proxies)["trusted_proxies"]
    assert not finding.ok
    assert "trusted_proxies" in finding.fix


@override_settings(ALLOWED_HOSTS=PUBLIC)
def test_settings_without_secure_cookies_or_hsts_are_a_problem(home: Path) -> None:
    middleware = [
        m
        for m in settings.MIDDLEWARE
        if m not in (hubcheck.SECURE_TRANSPORT, hubcheck.SECURITY_MIDDLEWARE)
    ]
    with override_settings(MIDDLEWARE=middleware):
        found = _run(home, "127.0.0.1")
    assert not found["secure_cookies"][0].ok
    assert not found["hsts"][0].ok
    with override_settings(SECURE_HSTS_SECONDS=3600):
        assert not _run(home, "127.0.0.1")["hsts"][0].ok


@override_settings(ALLOWED_HOSTS=PUBLIC)
def test_a_public_address_that_is_not_https_or_not_allowed_is_a_problem(home: Path) -> None:
    found = _run(home, "127.0.0.1", url="http://hub.example.org")
    assert not found["https_live"][0].ok
    found = _run(home, "127.0.0.1", url="https://other.example.org")
    assert "other.example.org" in found["allowed_hosts"][0].text


@override_settings(ALLOWED_HOSTS=PUBLIC)
def test_missing_or_old_backups_are_a_problem(home: Path) -> None:
    for backup in (home / "backups").glob("*.zip"):
        os.utime(backup, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    (old,) = _run(home, "127.0.0.1")["backups"]
    assert not old.ok
    assert "72 heures" in old.text
    assert "comptoir-backup.timer" in old.fix
    found = hub_check(config=_config("127.0.0.1"), home=home, backups=home / "elsewhere")
    (none,) = [f for f in found if f.check == "backups"]
    assert not none.ok
    assert "Aucune sauvegarde" in none.text


@override_settings(ALLOWED_HOSTS=PUBLIC)
def test_a_disk_nearly_full_is_a_problem(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(home, "127.0.0.1")["disk"][0].ok
    monkeypatch.setattr(hubcheck.storage, "MIN_FREE_BYTES", 1024**6)  # an exbibyte
    (finding,) = _run(home, "127.0.0.1")["disk"]
    assert not finding.ok
    assert "Libérez de la place" in finding.fix


@override_settings(ALLOWED_HOSTS=PUBLIC)
def test_migrations_not_applied_or_unknown_to_this_code_are_a_problem(home: Path) -> None:
    recorder = MigrationRecorder(connection)
    latest = recorder.Migration.objects.filter(app="sales").order_by("-id").first()
    assert latest is not None
    latest.delete()
    (missing,) = _run(home, "127.0.0.1")["migrations"]
    assert not missing.ok
    assert "comptoir migrate" in missing.fix
    recorder.record_applied("sales", latest.name)
    recorder.record_applied("core", "9999_from_a_newer_comptoir")
    (unknown,) = _run(home, "127.0.0.1")["migrations"]
    assert not unknown.ok
    assert "core.9999_from_a_newer_comptoir" in unknown.text


@override_settings(ALLOWED_HOSTS=PUBLIC)
def test_djangos_deploy_checks_are_included_and_those_comptoir_answers_are_said_why(
    home: Path,
) -> None:
    found = _run(home, "127.0.0.1")["django_deploy"]
    covered = {f.text.split()[1]: f for f in found}
    assert set(covered) >= {"security.W008", "security.W012", "security.W016"}
    assert all(f.ok for f in found)
    with override_settings(SECRET_KEY="trop-court"):
        found = _run(home, "127.0.0.1")["django_deploy"]
    (weak,) = [f for f in found if "security.W009" in f.text]
    assert not weak.ok


@override_settings(ALLOWED_HOSTS=PUBLIC)
def test_the_command_prints_each_problem_with_what_to_do_and_exits_1(home: Path) -> None:
    out = StringIO()
    with (
        override_settings(COMPTOIR_HOME=home, COMPTOIR_CONFIG=_config(), DEBUG=True),
        pytest.raises(CommandError) as failed,
    ):
        call_command("hub", "check", stdout=out)
    assert failed.value.returncode == 1
    text = out.getvalue()
    assert "❌ Le mode débogage est activé" in text
    assert "     → Retirez COMPTOIR_DEBUG" in text
    assert "✅ Dernière sauvegarde : comptoir-hub-WEB-" in text
    assert "problèmes à corriger" in str(failed.value)


def test_a_change_log_no_longer_compacted_is_said_with_what_to_do() -> None:
    from datetime import UTC, datetime, timedelta

    from comptoir.sync.models import ChangeLog
    from comptoir.syncengine.compaction import log_compact

    now = datetime.now(tz=UTC)
    assert hubcheck.check_compaction(now=now).ok  # a new hub: nothing to compact yet
    for days in (40, 1):
        ChangeLog.objects.create(
            model="catalogue.article",
            row_id=f"00000000-0000-0000-0000-0000000000{days:02d}",
            origin_node="n",
            created_at=now - timedelta(days=days),
        )
    late = hubcheck.check_compaction(now=now)
    assert not late.ok
    assert "40 jours" in late.text
    assert "jamais" in late.text
    assert "comptoir hub compact" in (late.fix or "")
    log_compact(horizon=timedelta(days=30))
    done = hubcheck.check_compaction(now=now)
    assert done.ok, done.text
    assert "il y a 0 heures" in done.text
