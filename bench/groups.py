"""A second hub group behind a real load balancer, for the capacity benchmark: as two
machines would run one hub (DESIGN § 9), a second ``comptoir serve`` on a home of its own
(a copy of the hub's ``comptoir.toml`` and fiscal key: one hub, one post identity, one
PostgreSQL), and Debian's nginx in front of both groups with the upstream and proxy
settings of ``deploy/nginx-balancer.conf`` (least connections for the sync API, nothing
buffered, long reads), on plain HTTP over loopback (TLS costs are the proxy's, measured
by the deployment tests, not the hub's).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx

from bench.harness import BenchError, Server, World
from comptoir.devtools.processes import HOST, free_port, stop_process
from comptoir.fiscal.keys import KEY_FILE

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONFIG = """
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    upstream comptoir_sync {{
        least_conn;
        server {first} max_fails=1 fail_timeout=5s;
        server {second} max_fails=1 fail_timeout=5s;
        keepalive 64;
    }}
    server {{
        listen {host}:{port};
        client_max_body_size 16m;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_connect_timeout 2s;
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 3;
        location /api/sync/ {{
            proxy_pass http://comptoir_sync;
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}
    }}
}}
"""


class TwoGroups:
    """The world's hub as group 1, a second group, and nginx in front of both."""

    def __init__(self, world: World, *, workers: int) -> None:
        self.world = world
        self.home = world.base / "hub-group-2"
        self.home.mkdir()
        for name in ("comptoir.toml", KEY_FILE):
            shutil.copy2(world.hub_home / name, self.home / name)
        self.second = Server(self.home, "hub-group-2", world.logs, "--workers", str(workers))
        self.directory = world.base / "balancer"
        self.port = free_port()
        self.nginx: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def pids(self) -> list[int]:
        """The processes whose CPU is the hub's: both groups (and the balancer's, apart)."""
        assert self.world.hub.proc is not None
        assert self.second.proc is not None
        return [self.world.hub.proc.pid, self.second.proc.pid]

    def start(self) -> TwoGroups:
        if not Path(NGINX).exists():
            raise BenchError("nginx est absent : lancez « make system-deps ».")
        self.second.start()
        self.directory.mkdir()
        assert self.world.hub.proc is not None
        conf = self.directory / "nginx.conf"
        conf.write_text(
            CONFIG.format(
                directory=self.directory,
                host=HOST,
                port=self.port,
                first=self.world.hub.url.removeprefix("http://"),
                second=self.second.url.removeprefix("http://"),
            )
        )
        log = (self.world.logs / "nginx.log").open("ab")
        self.nginx = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(self.directory), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                raise BenchError(f"nginx s'est arrêté : {(self.directory / 'nginx-error.log')}")
            try:
                httpx.get(self.url + "/api/sync/v1/pull", timeout=2)  # 401 is an answer
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise BenchError("nginx ne répond pas")

    def nginx_pid(self) -> int:
        assert self.nginx is not None
        return self.nginx.pid

    def stop(self) -> None:
        if self.nginx is not None:
            stop_process(self.nginx, timeout=5)
        self.second.stop()
