"""A hub process holds as many live streams as the system allows, not as many as the
soft open-files limit it was started with (systemd starts services at 1,024).

The hub is started with a soft limit of 128 (its hard limit left as it is), then 300
tills open their streams together and hold them: every one is answered. Before ``serve``
raised its soft limit, the process stopped accepting at about a hundred connections and
the others waited for ever.
"""

from __future__ import annotations

import asyncio
import resource
import subprocess
import time
from urllib.parse import urlsplit

import pytest

from comptoir.devtools import processes
from comptoir.syncengine.protocol import PREFIX, PROTOCOL_VERSION, SCHEMA_VERSION
from tests.scenario.conftest import SERVER_START_TIMEOUT, Shop, child_env

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

SOFT = 128
STREAMS = 300

ENROLL = f"""
from comptoir.syncengine import auth
from comptoir.syncengine.hub import log_head
tokens = []
for i in range({STREAMS}):
    code = auth.enrollment_create(name=f"flux-{{i}}")
    token, _till = auth.enrollment_redeem(code=code, node_id=f"flux-node-{{i}}")
    tokens.append(token)
out = {{"tokens": tokens, "head": log_head()}}
"""


def _low_soft_limit() -> None:  # in the child, before it runs comptoir
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT, hard))


async def _held(url: str, tokens: list[str], head: int, seconds: float) -> int:
    """Open one stream per token together; how many were answered within ``seconds``."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    answered = 0
    writers: list[asyncio.StreamWriter] = []

    async def one(token: str) -> None:
        nonlocal answered
        reader, writer = await asyncio.open_connection(host, port)
        writers.append(writer)
        writer.write(
            (
                f"GET {PREFIX}stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {token}\r\nX-Comptoir-Protocol: {PROTOCOL_VERSION}\r\n"
                f"X-Comptoir-Schema: {SCHEMA_VERSION}\r\nAccept: text/event-stream\r\n"
                f"Last-Event-ID: {head}\r\n\r\n"
            ).encode()
        )
        if b" 200 " in await reader.readline():
            answered += 1

    tasks = [asyncio.create_task(one(t)) for t in tokens]
    await asyncio.wait(tasks, timeout=seconds)
    for task in tasks:
        task.cancel()
    for writer in writers:
        writer.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    return answered


def test_a_hub_started_with_a_low_soft_limit_holds_hundreds_of_streams(shop: Shop) -> None:
    made = shop.shell(shop.hub_home, ENROLL)
    shop.hub.stop()  # served again below, with the low limit
    port = processes.free_port()
    url = f"http://{processes.HOST}:{port}"
    log = (shop.logs / "hub-openfiles.log").open("wb")
    proc = subprocess.Popen(
        processes.comptoir_argv(
            "serve", "--home", str(shop.hub_home), "--bind", f"{processes.HOST}:{port}"
        ),
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_low_soft_limit,
    )
    try:
        assert processes.wait_until_up(
            url + "/admin/login/", proc, SERVER_START_TIMEOUT, any_status=False, interval=0.1
        )
        started = time.monotonic()
        answered = asyncio.run(_held(url, made["tokens"], made["head"], 20.0))
        print(f"  {answered} flux ouverts en {time.monotonic() - started:.2f} s")
        assert answered == STREAMS
        with open(f"/proc/{proc.pid}/limits") as f:
            limits = next(line for line in f if line.startswith("Max open files"))
        assert int(limits.split()[3]) > STREAMS, limits  # the soft limit, raised
    finally:
        processes.kill_process(proc)
        log.close()
