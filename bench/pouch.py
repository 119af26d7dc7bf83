"""PouchDB peer (../shared/peer-bench), run in the same invocation for a ratio.

The npm packages pinned by the peer's package.json are installed once into a cache
folder (``$COMPTOIR_BENCH_CACHE`` or ``~/.cache/comptoir-bench/pouch``), never into the
repository; the scripts run from the peer folder with ``NODE_PATH`` pointing there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.harness import ROOT
from comptoir.devtools.processes import free_port, stop_process

PEER = Path(os.environ.get("COMPTOIR_PEER_BENCH", ROOT.parent / "shared" / "peer-bench"))


class Unavailable(RuntimeError):
    """The PouchDB comparison cannot run here; the message says why."""


def _cache() -> Path:
    default = Path.home() / ".cache" / "comptoir-bench" / "pouch"
    return Path(os.environ.get("COMPTOIR_BENCH_CACHE", default))


def _install() -> Path:
    if not (PEER / "pouch_bench.js").is_file():
        raise Unavailable(f"peer scripts not found in {PEER}")
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise Unavailable("node/npm not installed")
    cache = _cache()
    modules = cache / "node_modules"
    wanted = (PEER / "package.json").read_text()
    stamp = cache / "package.json"
    if modules.is_dir() and stamp.is_file() and stamp.read_text() == wanted:
        return modules
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(wanted)
    print(f"  [pouchdb] npm install into {cache} ...", flush=True)
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund"],
        cwd=cache,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        stamp.unlink(missing_ok=True)
        raise Unavailable(f"npm install failed: {done.stderr.strip()[-300:]}")
    return modules


def run(n: int) -> dict[str, Any]:
    """One-shot PouchDB push of ``n`` invoice documents, batch_size 1000: its ``full``
    figures (secs, bytes_in, bytes_out, requests)."""
    modules = _install()
    env = dict(os.environ, NODE_PATH=str(modules))
    work = Path(tempfile.mkdtemp(prefix="comptoir-bench-pouch-"))
    port = free_port()
    server = subprocess.Popen(
        ["node", str(PEER / "pouch_server.js"), str(port), str(work / "server-data")],
        cwd=PEER,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/_bench/bytes", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise Unavailable("the PouchDB server did not start") from None
                time.sleep(0.2)
        out = work / "pouch.json"
        done = subprocess.run(
            [
                "node",
                str(PEER / "pouch_bench.js"),
                "--server",
                url,
                "--sizes",
                str(n),
                "--reps",
                "1",
                "--batch-size",
                "1000",
                "--phases",
                "push",
                "--data",
                str(work / "client-data"),
                "--out",
                str(out),
            ],
            cwd=PEER,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            raise Unavailable(f"pouch_bench.js failed: {done.stderr.strip()[-300:]}")
        data = json.loads(out.read_text())
        push = next(r for r in data["results"] if r["phase"] == "push")
        return dict(push["full"])
    finally:
        stop_process(server)
        shutil.rmtree(work, ignore_errors=True)
