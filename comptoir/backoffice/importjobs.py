"""CSV imports run from the web: a background thread, its progress kept in the cache.

The import itself is ``comptoir.ops.imports`` (the one behind ``comptoir import``):
the whole file is checked, then written in short chunks (all rows or none, unless a
chunk fails after the check: the job then says how far it got). The web request only
reads and checks the file (encoding, header) and starts a thread; the page then polls
:func:`job_get` (htmx) and shows a progress bar, then the result or the per-row report.

Progress lives in Django's cache: in memory, or in a folder under the home when several
server processes (``serve --workers N``) may answer the polling request. Nothing is
written to the database for progress: it would only add writes beside the chunks.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connections
from django.utils.translation import gettext as _

from comptoir.lib.errors import ComptoirError, ValidationError
from comptoir.ops.imports import ImportRefusedError, Row, import_rows, parse_csv

log = logging.getLogger(__name__)

KEY = "backoffice:import:{}"
TTL = 6 * 3600  # seconds a finished report stays readable
SAVE_EVERY = 0.25  # seconds between two progress writes to the cache
MAX_REPORTED = 500  # refused rows listed on the page (the count is always exact)

RUNNING, DONE, REFUSED, FAILED = "running", "done", "refused", "failed"


@dataclass
class Job:
    id: str
    kind: str
    filename: str
    total: int
    user: str
    status: str = RUNNING
    stage: str = "check"  # rows being checked, then "write": rows being written
    done: int = 0
    created: int = 0
    error_count: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    message: str = ""

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)

    @property
    def finished(self) -> bool:
        return self.status != RUNNING


def _save(job: Job) -> None:
    cache.set(KEY.format(job.id), asdict(job), TTL)


def job_get(job_id: str) -> Job | None:
    data = cache.get(KEY.format(job_id))
    return Job(**data) if data else None


def decode(raw: bytes, filename: str) -> str:
    """The file's text (UTF-8, with or without BOM), or a French reason."""
    if not raw.strip():
        raise ValidationError(_("Le fichier « %(name)s » est vide.") % {"name": filename})
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            _(
                "« %(name)s » n'est pas un fichier texte UTF-8. Dans le tableur, "
                "enregistrez-le au format « CSV UTF-8 »."
            )
            % {"name": filename}
        ) from None


def read_rows(kind: str, raw: bytes, filename: str) -> list[Row]:
    """Decode and parse an uploaded file; any unreadable file raises ``ValidationError``."""
    text = decode(raw, filename)
    if "\x00" in text:
        raise ValidationError(
            _("« %(name)s » n'est pas un fichier CSV (contenu binaire).") % {"name": filename}
        )
    rows = parse_csv(kind, text)
    if not rows:
        raise ValidationError(
            _("« %(name)s » ne contient aucune ligne après l'en-tête.") % {"name": filename}
        )
    return rows


def run(job: Job, rows: list[Row]) -> None:
    """Import ``rows`` and record progress and outcome in ``job``. Never raises."""
    last = 0.0

    def advance(stage: str, n: int) -> None:
        nonlocal last
        job.stage, job.done = stage, n
        now = time.monotonic()
        if now - last >= SAVE_EVERY:
            last = now
            _save(job)

    try:
        job.created = import_rows(job.kind, rows, progress=advance).rows
        job.status = DONE
    except ImportRefusedError as exc:
        job.status = REFUSED
        job.error_count = len(exc.errors)
        job.errors = [(e.line, e.message) for e in exc.errors[:MAX_REPORTED]]
    except ComptoirError as exc:  # ImportInterruptedError says how far it got
        job.status, job.message = FAILED, exc.message
    except Exception:
        log.exception("import %s (%s) failed", job.id, job.filename)
        job.status = FAILED
        job.message = (
            _("Erreur inattendue pendant l'import : rien n'a été importé.")
            if job.stage == "check"
            else _(
                "Erreur inattendue pendant l'import : une partie des lignes est peut-être "
                "importée. Importez à nouveau le même fichier pour terminer."
            )
        )
    job.done = job.total if job.status == DONE else job.done
    _save(job)


def _in_thread(job: Job, rows: list[Row]) -> None:
    try:
        run(job, rows)
    finally:
        connections.close_all()  # this thread's own connections


def _start_thread(job: Job, rows: list[Row]) -> None:
    threading.Thread(
        target=_in_thread, args=(job, rows), name=f"import-{job.id}", daemon=True
    ).start()


#: How a job is started; tests replace it with :func:`run` to import inline.
starter: Callable[[Job, list[Row]], Any] = _start_thread


def job_start(*, kind: str, rows: list[Row], filename: str, user: str) -> Job:
    job = Job(id=uuid.uuid4().hex, kind=kind, filename=filename, total=len(rows), user=user)
    _save(job)
    starter(job, rows)
    return job
