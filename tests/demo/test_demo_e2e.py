"""``comptoir demo`` for real: child processes, a served till, the admin over HTTP."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from comptoir.demo import relay_line
from comptoir.devtools.processes import child_env
from comptoir.home import HomeConfig, new_node_id, read_config, write_config
from comptoir.ops.sampledata import build_catalogue
from tests.cli.test_entry_point import comptoir

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_run(count: int = 3) -> int:
    """A port P such that P..P+count-1 are free (the demo's hub and its two tills)."""
    for _attempt in range(50):
        base = free_port()
        if base + count < 65535 and all(_is_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no run of free ports")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def run_demo(base: Path, *options: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``comptoir demo --home BASE --no-serve`` on free ports, with ``options``."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "comptoir",
            "demo",
            "--home",
            str(base),
            "--no-serve",
            "--port",
            str(free_port_run()),
            *options,
        ],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _prepared_demo(
    tmp_path_factory: pytest.TempPathFactory, *options: str
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A demonstration prepared with one day of sales, and what it printed."""
    base = tmp_path_factory.mktemp("demo")
    result = run_demo(base, "--days", "1", *options)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "admin / demo1234" in result.stdout
    return base, result


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The demonstration as prepared without ``--language``."""
    return _prepared_demo(tmp_path_factory)


@pytest.fixture(scope="module")
def demo_home(demo_run: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    return demo_run[0]


@pytest.fixture(scope="module")
def english_demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    return _prepared_demo(tmp_path_factory, "--language", "en")


def _languages(base: Path) -> dict[str, str]:
    """The language each home of the demonstration keeps in its ``comptoir.toml``."""
    languages = {}
    for name in ("hub", "till1", "till2"):
        config = read_config(base / name)
        assert config is not None, name
        languages[name] = config.language
    return languages


@pytest.fixture
def till_server(demo_home: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "comptoir",
            "serve",
            "--home",
            str(demo_home / "till1"),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the server stopped"
            try:
                urllib.request.urlopen(f"{url}/admin/login/", timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_demo_rerun_reuses_the_homes(demo_home: Path) -> None:
    result = run_demo(demo_home, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("réutilisé") == 3  # the hub and its two tills


DEMO_LINES = {
    "fr": [
        "Serveur central (hub) : création dans {base}/hub…",
        "Caisse 2 (node) : enrôlement auprès du hub…",
        "Démonstration prête dans {base} (identifiant : admin / demo1234).",
        "Pour la servir : comptoir demo --home {base}",
    ],
    "en": [
        "Central server (hub): creating in {base}/hub…",
        "Till 2 (node): enrolling with the hub…",
        "Demonstration ready in {base} (login: admin / demo1234).",
        "To serve it: comptoir demo --home {base}",
    ],
}


@pytest.mark.parametrize(
    ("fixture", "language"), [("demo_run", "fr"), ("english_demo", "en")], ids=["default", "en"]
)
def test_the_demo_speaks_its_language_and_so_do_its_homes(
    request: pytest.FixtureRequest, fixture: str, language: str
) -> None:
    base, result = request.getfixturevalue(fixture)
    lines = result.stdout.splitlines()
    for line in DEMO_LINES[language]:
        assert line.format(base=base) in lines
    assert _languages(base) == {"hub": language, "till1": language, "till2": language}
    assert f'language = "{language}"' in (base / "till1" / "comptoir.toml").read_text(
        encoding="utf-8"
    )


def test_the_commands_of_an_english_demo_speak_english(
    english_demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    base, _result = english_demo
    sell = comptoir(base / "till1", "sell", "INCONNU:1")
    assert sell.returncode == 2
    assert sell.stderr == "Error: Unknown article: “INCONNU”.\n"


def test_a_demo_run_again_speaks_the_language_of_its_homes(
    english_demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    base, _result = english_demo
    result = run_demo(base, "--language", "fr", timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("reused") == 3
    assert "réutilisé" not in result.stdout


@pytest.mark.parametrize(
    ("language", "code", "message"),
    [
        # A hub home in French: its language, whatever --language asks.
        ("fr", 1, "Erreur : {hub} est incomplet (démonstration interrompue"),
        # A hub home naming a language comptoir does not speak is a damaged configuration,
        # said in the option's language.
        ("de", 2, "Error: in {hub}/comptoir.toml, the key “language” is “de”"),
    ],
)
def test_an_interrupted_demo_is_reported_in_its_hub_language_else_the_option(
    tmp_path: Path, language: str, code: int, message: str
) -> None:
    write_config(
        tmp_path / "hub",
        HomeConfig(
            role="hub",
            node_id=new_node_id(),
            store_name="Épicerie",
            till_name="Vente en ligne",
            till_prefix="WEB",
            language=language,
        ),
    )
    result = run_demo(tmp_path, "--language", "en", timeout=60)
    assert result.returncode == code
    assert result.stderr.startswith(message.format(hub=tmp_path / "hub")), result.stderr


def test_the_demo_help_is_in_the_language_asked_for(tmp_path: Path) -> None:
    english = comptoir(tmp_path, "demo", "--language", "en", "--help")
    assert english.returncode == 0
    assert "prepare without serving" in english.stdout
    assert "--language {fr,en}" in english.stdout
    assert "préparer sans servir" in comptoir(tmp_path, "demo", "--help").stdout


def test_the_served_till_shows_the_sample_data_in_its_admin(till_server: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    login_page = opener.open(f"{till_server}/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert token is not None
    assert any(cookie.name == "csrftoken" for cookie in jar)
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": "admin",
            "password": "demo1234",
            "next": "/admin/",
        }
    ).encode()
    request = urllib.request.Request(
        f"{till_server}/admin/login/?next=/admin/",
        data=form,
        headers={"Referer": f"{till_server}/admin/login/"},
    )
    home = opener.open(request)
    assert home.geturl().endswith("/admin/")
    assert any(cookie.name == "sessionid" for cookie in jar)

    articles = opener.open(f"{till_server}/admin/catalogue/article/").read().decode()
    catalogue = build_catalogue(articles=300, customers=0, seed=42).articles
    assert min(a.code for a in catalogue) in articles  # the first page, ordered by code
    found = opener.open(f"{till_server}/admin/catalogue/article/?q={catalogue[0].barcode}")
    assert f">{catalogue[0].code}<" in found.read().decode()
    invoices = opener.open(f"{till_server}/admin/sales/invoice/").read().decode()
    assert re.search(r"C1-\d{4}-000001", invoices)

    css = opener.open(f"{till_server}/static/admin/css/base.css")
    assert css.status == 200
    assert b"body" in css.read()


def test_the_served_demo_converges_hub_and_both_tills(tmp_path: Path) -> None:
    """The hub and two tills, served: each till's sales reach the hub and the other till,
    and ``verify`` says both tills are identical to the hub, within seconds. Each server's
    log line is shown with its post; Ctrl-C (to every process, as a terminal sends it)
    stops everything cleanly, with exit code 0."""
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "comptoir",
            "demo",
            "--home",
            str(tmp_path),
            "--days",
            "1",
            "--port",
            str(free_port_run()),
        ],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        assert demo.stdout is not None
        shown = []
        for line in demo.stdout:
            shown.append(line)
            if "Ctrl-C" in line:
                break
        else:
            pytest.fail("the demo did not start")
        started = time.monotonic()
        pending = {"till1", "till2"}
        while pending and time.monotonic() - started < 30:
            for till in sorted(pending):
                check = subprocess.run(
                    [sys.executable, "-m", "comptoir", "verify", "--home", str(tmp_path / till)],
                    env=child_env(),
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                )
                if check.returncode == 0:
                    pending.discard(till)
            time.sleep(0.5)
        assert not pending, f"not identical to the hub after 30 s: {pending}"
        print(f"demo converged in {time.monotonic() - started:.1f} s")
        # Ctrl-C in the terminal: SIGINT to the demo and its servers at once.
        os.killpg(demo.pid, signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
        assert demo.returncode == 0, rest
        lines = "".join([*shown, rest]).splitlines()
        assert lines[-1] == "Démo arrêtée.", rest
        assert "Erreur" not in rest
        assert "Traceback" not in rest
        assert not [line for line in lines if " comptoir." in line and line[0] != "["], lines
        for post in ("Caisse 1", "Caisse 2"):
            assert any(line.startswith(f"[{post}] ") for line in lines), lines
    finally:
        if demo.poll() is None:
            demo.terminate()
            demo.wait(timeout=30)
    # Stopping the demo stops its servers too.
    time.sleep(1)
    leftovers = subprocess.run(
        ["pgrep", "-f", f"serve --home {tmp_path}"], capture_output=True, text=True, check=False
    )
    assert leftovers.stdout.strip() == ""


def test_a_servers_line_is_shown_with_its_post_and_idle_cycles_only_if_verbose() -> None:
    sale = "2026-03-02 10:00:02,003 INFO comptoir.sync: Envoyés : 1 facture (envoi, 0,04 s)"
    idle = (
        "2026-03-02 10:00:12,003 INFO comptoir.sync.idle: Rien à échanger : tout est à jour. "
        "(complète, 0,02 s)"
    )
    assert relay_line("Caisse 1", sale + "\n", verbose=False) == f"[Caisse 1] {sale}"
    assert relay_line("Caisse 1", idle + "\n", verbose=False) is None
    assert relay_line("Caisse 2", idle + "\n", verbose=True) == f"[Caisse 2] {idle}"
