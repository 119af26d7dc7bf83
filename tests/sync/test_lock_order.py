"""On the hub every writer takes its locks in one order: the change-log lock, then rows,
then the clock row. A push takes them so (``push_apply``); a local write that locked a
row or the clock first and then waited for the change-log lock would deadlock with it.

Each test steps two or three connections through the interleaving that deadlocked,
waiting until each one is blocked (``pg_stat_activity``) before starting the next:
no timing race, the same locks every run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction

from comptoir.catalogue import services as catalogue_services
from comptoir.catalogue.models import Article, Category
from comptoir.catalogue.services import article_create, article_update
from comptoir.closings.models import Closing
from comptoir.closings.services import closings_close
from comptoir.customers import services as customer_services
from comptoir.customers.models import Customer
from comptoir.customers.services import customer_create, customer_update
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import SeriesCounter, Till
from comptoir.sync import capture, clock
from comptoir.sync.models import NodeCredential, SyncState
from comptoir.syncengine import auth, hub
from tests.factories import at, make_article
from tests.sync.test_hub import node_edit

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
TIMEOUT = 10


class Step(threading.Thread):
    """``work`` in a thread with its own connection; its backend pid, error and result."""

    def __init__(self, name: str, work: Callable[[], Any]) -> None:
        super().__init__(name=name, daemon=True)
        self.work, self.pid = work, threading.Event()
        self.backend = 0
        self.error: BaseException | None = None
        self.result: Any = None

    def run(self) -> None:
        try:
            connection.ensure_connection()
            self.backend = connection.connection.info.backend_pid
            self.pid.set()
            self.result = self.work()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.pid.set()
            connection.close()

    def start_blocked(self) -> None:
        """Start, and return once the thread waits for a lock another connection holds."""
        self.start()
        assert self.pid.wait(TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while not _waits_on_a_lock(self.backend):
            assert self.error is None, self.error
            assert time.monotonic() < deadline, f"{self.name} never blocked"
            time.sleep(0.01)

    def finish(self) -> Any:
        self.join(TIMEOUT)
        assert not self.is_alive(), f"{self.name} still blocked"
        if self.error is not None:
            raise self.error
        return self.result


def _waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


class Holder(threading.Thread):
    """Holds what ``take`` locks in an open transaction until :meth:`release`."""

    def __init__(self, take: Callable[[], None]) -> None:
        super().__init__(name="holder", daemon=True)
        self.take, self.held, self.go = take, threading.Event(), threading.Event()

    def run(self) -> None:
        try:
            with transaction.atomic():
                self.take()
                self.held.set()
                assert self.go.wait(TIMEOUT)
        finally:
            self.held.set()
            connection.close()

    def __enter__(self) -> Holder:
        self.start()
        assert self.held.wait(TIMEOUT)
        return self

    def __exit__(self, *exc: object) -> None:
        self.go.set()
        self.join(TIMEOUT)


def _lock_clock() -> None:
    SyncState.objects.bulk_create([SyncState(pk=1)], ignore_conflicts=True)
    SyncState.objects.select_for_update().get(pk=1)


@pytest.fixture
def cred(till: Till) -> NodeCredential:
    token, _ = auth.enrollment_redeem(
        code=auth.enrollment_create(name="Caisse 2"), node_id="node-2"
    )
    found = auth.credential_for(token)
    assert found is not None
    return found


EDITS: dict[str, tuple[Callable[[], Any], Callable[[Any, str], Any]]] = {
    # row kind: (create one, a back-office edit of its name through the service)
    "article": (
        lambda: article_create(code="PAIN", name="Pain", sale_price="1.20"),
        lambda row, name: article_update(pk=row.pk, name=name),
    ),
    "customer": (  # not in the issue: any service that locks the row it edits
        lambda: customer_create(name="Mme Martin"),
        lambda row, name: customer_update(pk=row.pk, name=name),
    ),
}


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_a_back_office_edit_and_a_push_of_the_same_row_do_not_deadlock(
    cred: NodeCredential, kind: str
) -> None:
    """The interleaving that deadlocked: the edit locks its row, then waits for the clock
    (held by another local write); the push takes the change-log lock, then waits for
    the row. Once the clock is free, the edit wanted the change-log lock: a cycle.
    Now the edit takes the change-log lock before its row, so the push just waits."""
    create, edit = EDITS[kind]
    row = create()
    change = node_edit(row, name="Par la caisse")
    with Holder(_lock_clock):  # another local write, stamping its fields
        editor = Step("edit", lambda: edit(row, "Par le bureau"))
        editor.start_blocked()
        pusher = Step("push", lambda: hub.push_apply(cred, [change]))
        pusher.start_blocked()
    editor.finish()  # raised "deadlock detected" in one of the two before the fix
    assert [r.status for r in pusher.finish()] == ["applied"]
    model = type(row)
    assert model.objects.get(pk=row.pk).name == "Par la caisse"  # the later clock wins


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_a_push_arriving_while_an_edit_holds_its_row_waits_without_deadlock(
    cred: NodeCredential, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other cycle: the edit has locked its row and is still checking its values
    when the push takes the change-log lock and waits for that row; the edit then
    wanted the change-log lock to stamp and append. Now the edit took the change-log
    lock with its row, so the push waits for the edit to commit."""
    create, edit = EDITS[kind]
    row = create()
    change = node_edit(row, name="Par la caisse")
    module = {"article": catalogue_services, "customer": customer_services}[kind]
    checking, checked = threading.Event(), threading.Event()
    clean_name = module.clean_name

    def slow_clean_name(value: str, **options: Any) -> str:
        if threading.current_thread().name == "edit":  # the row is locked: hold on
            checking.set()
            assert checked.wait(TIMEOUT)
        return clean_name(value, **options)

    monkeypatch.setattr(module, "clean_name", slow_clean_name)
    editor = Step("edit", lambda: edit(row, "Par le bureau"))
    editor.start()
    assert checking.wait(TIMEOUT)
    pusher = Step("push", lambda: hub.push_apply(cred, [change]))
    pusher.start_blocked()
    checked.set()
    editor.finish()  # raised "deadlock detected" in one of the two before the fix
    assert [r.status for r in pusher.finish()] == ["applied"]
    assert type(row).objects.get(pk=row.pk).name == "Par la caisse"


@pytest.mark.parametrize("model", [Article, Customer])
def test_a_push_arriving_while_a_bulk_update_holds_its_rows_waits_without_deadlock(
    cred: NodeCredential, model: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``update_values`` (CSV re-imports) has locked its rows and is about to stamp them
    when a push of one of them arrives: the push waits for the change-log lock, which
    the bulk update took before its rows (else the push, holding it, would wait for the
    row while the update waited for it to stamp: a cycle)."""
    values: dict[str, Any] = {"code": "BULK1", "name": "Avant"}
    if model is Article:
        values["sale_price"] = 100
    row = model(**values)
    row.save()
    change = node_edit(row, name="Par la caisse")
    stamping, go = threading.Event(), threading.Event()
    tick = clock.tick

    def slow_tick() -> str:
        if threading.current_thread().name == "bulk":  # the rows are locked: hold on
            stamping.set()
            assert go.wait(TIMEOUT)
        return tick()

    monkeypatch.setattr(clock, "tick", slow_tick)

    def bulk() -> Any:
        with transaction.atomic():
            return model.objects.update_values([{"id": row.pk, "name": "Par l'import"}])

    editor = Step("bulk", bulk)
    editor.start()
    assert stamping.wait(TIMEOUT)
    pusher = Step("push", lambda: hub.push_apply(cred, [change]))
    pusher.start_blocked()
    go.set()
    assert editor.finish() == {row.pk: ("name",)}
    assert [r.status for r in pusher.finish()] == ["applied"]
    assert model.objects.get(pk=row.pk).name == "Par la caisse"  # the later clock wins


@pytest.mark.parametrize("model", [Category, Article, Customer])
def test_a_local_write_waiting_for_the_change_log_holds_no_clock(model: type[Any]) -> None:
    """A new row (no row lock to order): the write stamps its fields on the clock, then
    appends. While a push holds the change-log lock, the write must wait for it without
    holding the clock row, which the push locks next (``clock.observe``)."""
    values: dict[str, Any] = {"name": "Nouveau"}
    if model is not Category:
        values["code"] = "NEW1"
    if model is Article:
        values["sale_price"] = 100
    SyncState.objects.bulk_create([SyncState(pk=1)], ignore_conflicts=True)  # as on any hub

    def push_locks_clock_next() -> None:
        capture.lock_log()

    with Holder(push_locks_clock_next) as push:
        writer = Step("write", lambda: model(**values).save())
        writer.start_blocked()
        clock_free = Step("clock", _clock_free)
        clock_free.start()
        assert clock_free.finish() is True, "the waiting write holds the clock row"
        push.go.set()
    writer.finish()
    assert model.objects.filter(name="Nouveau").count() == 1


def test_a_closing_on_the_hub_waits_for_the_change_log_holding_no_chain_head(till: Till) -> None:
    """The hub's own post closes its day (the worker's cycle, the first sale after
    midnight) while a push holds the change-log lock: the closing waits for it before
    locking its till's document chain head, which the closing's event and every document
    of that till lock after the log (a push of the hub's own till's facts, a web sale)."""
    make_article("PAIN", "1.20")
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=till, at=at(3, 12))
    with Holder(capture.lock_log) as push:
        closer = Step("close", lambda: closings_close(till=till, until=date(2026, 3, 4)))
        closer.start_blocked()
        head = Step("head", lambda: _row_free(SeriesCounter, till=till, kind="chain"))
        head.start()
        assert head.finish() is True, "the waiting closing holds its till's chain head"
        push.go.set()
    assert [c.period_start for c in closer.finish()] == [date(2026, 3, 3)]
    assert Closing.objects.filter(till=till).count() == 1


def _row_free(model: type[Any], **lookup: Any) -> bool:
    try:
        with transaction.atomic():
            model.objects.select_for_update(nowait=True).get(**lookup)
    except OperationalError:
        return False
    return True


def _clock_free() -> bool:
    try:
        with transaction.atomic():
            SyncState.objects.select_for_update(nowait=True).get(pk=1)
    except OperationalError:
        return False
    return True
