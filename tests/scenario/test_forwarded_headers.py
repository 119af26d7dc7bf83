"""Who the client is, and whether it came over HTTPS, with real processes.

A hub (``comptoir serve``, SQLite: no PostgreSQL needed here) answers:
- with no proxy configured: X-Forwarded-For and X-Forwarded-Proto are nobody's to set, so a
  rotating forged address neither escapes the login lockout nor the enrollment refusal
  limit, and a forged "https" gets neither HSTS nor Secure cookies;
- behind a real nginx terminating TLS, configured as the trusted proxy: the lockout keys on
  the client address nginx forwards (one client locked, another not), cookies are Secure
  and HSTS is sent, while the same headers from a direct client are still ignored;
- served over TLS by itself (``--tls-cert``): Secure cookies, HSTS, CSP.

Loopback has many addresses: the clients connect from 127.0.0.2 and 127.0.0.4, nginx
talks to the hub from 127.0.0.3 (its only trusted address), direct clients from 127.0.0.1.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from comptoir.syncengine.protocol import PROTOCOL_VERSION, SCHEMA_VERSION
from tests.scenario.conftest import (
    CLI_TIMEOUT,
    PASSWORD,
    SERVER_START_TIMEOUT,
    child_env,
    comptoir_argv,
    free_port,
    stop_process,
)
from tests.scenario.test_tls import _self_signed

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENT, OTHER_CLIENT, PROXY = "127.0.0.2", "127.0.0.4", "127.0.0.3"
LOCKOUT_AT = 5  # settings.AXES_FAILURE_LIMIT
ENROLL_REFUSALS = 10  # comptoir.syncengine.views.ENROLL_FAILURES
USERS = ("alice", "bruno", "carla", "denis", "emma")


def _run(home: Path, *args: str) -> None:
    done = subprocess.run(
        comptoir_argv(*args, "--home", str(home)),
        env=child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hub home on SQLite with one manager account per test (lockouts are in its DB)."""
    home = tmp_path_factory.mktemp("forwarded") / "hub"
    _run(home, "hub", "init", "--store", "Épicerie", "--admin-password", PASSWORD)
    # One process for all the accounts (``comptoir user add`` is one process each).
    program = (
        "from django.contrib.auth import get_user_model\n"
        "from comptoir.web.roles import MANAGER, role_set\n"
        f"for name in {USERS!r}:\n"
        f"    user = get_user_model().objects.create_user(name, password={PASSWORD!r})\n"
        "    role_set(user, MANAGER)\n"
    )
    done = subprocess.run(
        comptoir_argv("shell", "--no-startup", "-c", program),
        env=child_env(COMPTOIR_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return home


@contextmanager
def served(home: Path, *extra: str, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """``comptoir serve`` on a free port until the block ends; yields its base URL."""
    port = free_port()
    args = ["serve", "--bind", f"127.0.0.1:{port}", "--no-sync", *extra]
    if tls:
        args += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    log = (home / f"serve-{port}.log").open("wb")
    proc = subprocess.Popen(
        comptoir_argv(*args, "--home", str(home)),
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc.poll, home / f"serve-{port}.log")
        yield url
    finally:
        stop_process(proc)
        log.close()


def _wait_until_up(url: str, exited: Callable[[], int | None], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        assert exited() is None, log.read_text(errors="replace")
        try:
            httpx.get(f"{url}/admin/login/", verify=False, timeout=2)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url} ne répond pas"
            time.sleep(0.1)


def client(*, source: str = "127.0.0.1", cafile: Path | None = None) -> httpx.Client:
    """A browser-like client connecting from ``source`` (a loopback address)."""
    verify: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=str(cafile)) if cafile else False
    )
    return httpx.Client(
        transport=httpx.HTTPTransport(local_address=source, verify=verify),
        verify=verify,
        timeout=30,
    )


def login(http: httpx.Client, url: str, user: str, password: str, **headers: str) -> httpx.Response:
    """The login form, posted as a browser does (CSRF cookie and token, Referer)."""
    http.get(f"{url}/connexion/", headers=headers)
    return http.post(
        f"{url}/connexion/",
        data={
            "csrfmiddlewaretoken": http.cookies["csrftoken"],
            "username": user,
            "password": password,
        },
        headers={"Referer": f"{url}/connexion/", **headers},
    )


def forged(i: int) -> dict[str, str]:
    """A different client address every time."""
    return {"X-Forwarded-For": f"198.51.100.{i % 250 + 1}"}


# The claim that the request came over HTTPS.
FORGED_HTTPS = {"X-Forwarded-Proto": "https"}


def enroll(http: httpx.Client, url: str, **headers: str) -> httpx.Response:
    """An enrollment with a code that does not exist (refused, and counted)."""
    return http.post(
        f"{url}/api/sync/v1/enroll",
        json={"code": "AAAA-BBBB-CCCC-DDDD", "node_id": str(uuid.uuid4()), "version": "1"},
        headers={
            "X-Comptoir-Protocol": str(PROTOCOL_VERSION),
            "X-Comptoir-Schema": str(SCHEMA_VERSION),
            **headers,
        },
    )


def assert_locked_out_despite_forged_addresses(http: httpx.Client, url: str, user: str) -> None:
    """30 wrong passwords, each from a "new" forged address: locked at the 5th, and the
    right password is refused afterwards."""
    statuses = [login(http, url, user, "faux", **forged(i)).status_code for i in range(30)]
    assert statuses[: LOCKOUT_AT - 1] == [200] * (LOCKOUT_AT - 1), statuses
    assert set(statuses[LOCKOUT_AT - 1 :]) == {429}, statuses
    right = login(http, url, user, PASSWORD, **forged(99))
    assert right.status_code == 429
    assert "sessionid" not in right.cookies


def assert_enrollment_limited_despite_forged_addresses(http: httpx.Client, url: str) -> None:
    statuses = [enroll(http, url, **forged(i)).status_code for i in range(ENROLL_REFUSALS + 3)]
    assert statuses[:ENROLL_REFUSALS] == [403] * ENROLL_REFUSALS, statuses
    assert set(statuses[ENROLL_REFUSALS:]) == {429}, statuses


def assert_plain(response: httpx.Response) -> None:
    """What plain HTTP gets: no HSTS, no Secure cookie (or a till's login would break)."""
    assert "strict-transport-security" not in response.headers
    for cookie in response.headers.get_list("set-cookie"):
        assert "secure" not in cookie.lower(), cookie


def assert_secure(response: httpx.Response, *names: str) -> None:
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    for name in names:
        assert "; secure" in cookies[name], cookies


# -- no proxy configured -------------------------------------------------------------------


def test_without_a_trusted_proxy_forwarding_headers_are_nobodys(hub: Path) -> None:
    with served(hub) as url, client() as http:
        assert_locked_out_despite_forged_addresses(http, url, "alice")
        assert_enrollment_limited_despite_forged_addresses(http, url)
        # A forged "https" gets no HSTS and no Secure cookie; plain HTTP login works.
        with client() as other:
            logged_in = login(other, url, "bruno", PASSWORD, **forged(7), **FORGED_HTTPS)
            assert logged_in.status_code == 302
            assert_plain(logged_in)
            assert "content-security-policy" in logged_in.headers
            assert other.get(f"{url}/gestion/articles/").status_code == 200


# -- behind nginx (TLS), configured as the trusted proxy -----------------------------------


@contextmanager
def nginx(directory: Path, upstream: str, cert: Path, key: Path) -> Iterator[str]:
    """nginx terminating TLS in front of ``upstream``, talking to it from PROXY."""
    if not Path(NGINX).exists():
        pytest.skip("nginx est absent : lancez « make system-deps » (apt-get install nginx).")
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass {upstream};
            proxy_bind {PROXY};
            proxy_buffering off;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""
    )
    proc = subprocess.Popen(
        [NGINX, "-p", str(directory), "-c", str(conf), "-e", str(directory / "nginx-error.log")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"https://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc.poll, directory / "nginx-error.log")
        yield url
    finally:
        stop_process(proc)


def test_behind_a_trusted_tls_proxy_the_forwarded_client_and_https_count(
    hub: Path, tmp_path: Path
) -> None:
    cert, key, _ = _self_signed(tmp_path)
    with (
        served(hub, "--trusted-proxy", PROXY) as direct,
        nginx(tmp_path, direct, cert, key) as url,
    ):
        # Through the proxy: HTTPS as the proxy says, so Secure cookies and HSTS.
        with client(source=OTHER_CLIENT, cafile=cert) as http:
            page = http.get(f"{url}/connexion/")
            assert_secure(page, "csrftoken")
            logged_in = login(http, url, "carla", PASSWORD)
            assert logged_in.status_code == 302
            assert_secure(logged_in, "sessionid", "csrftoken")
            assert http.get(f"{url}/gestion/articles/").status_code == 200
        # The client forges addresses: nginx appends the real one, which is what counts.
        with client(source=CLIENT, cafile=cert) as http:
            assert_locked_out_despite_forged_addresses(http, url, "denis")
            assert_enrollment_limited_despite_forged_addresses(http, url)
        # The lockout is that client's, not the proxy's: another client logs in.
        with client(source=OTHER_CLIENT, cafile=cert) as http:
            assert login(http, url, "denis", PASSWORD).status_code == 302
        # Straight to the server, not through the proxy: the headers are not believed.
        with client() as http:
            assert_plain(http.get(f"{direct}/connexion/", headers=FORGED_HTTPS))
            assert_locked_out_despite_forged_addresses(http, direct, "emma")


# -- served over TLS by comptoir itself ----------------------------------------------------


def test_served_over_tls_cookies_are_secure_with_hsts_and_csp(hub: Path, tmp_path: Path) -> None:
    cert, key, _ = _self_signed(tmp_path)
    with served(hub, tls=(cert, key)) as url, client(cafile=cert) as http:
        page = http.get(f"{url}/connexion/")
        assert_secure(page, "csrftoken")
        logged_in = login(http, url, "admin", PASSWORD)
        assert logged_in.status_code == 302
        assert_secure(logged_in, "sessionid", "csrftoken")
        assert http.get(f"{url}/gestion/articles/").status_code == 200
        assert "content-security-policy" in http.get(f"{url}/api/sync/v1/openapi.json").headers


def test_a_trusted_proxy_that_is_not_an_address_is_refused_in_french(hub: Path) -> None:
    done = subprocess.run(
        comptoir_argv("serve", "--home", str(hub), "--trusted-proxy", "proxy.example.org"),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert done.returncode == 2
    assert "Relais de confiance invalide : « proxy.example.org »" in done.stderr
    assert "Traceback" not in done.stderr
