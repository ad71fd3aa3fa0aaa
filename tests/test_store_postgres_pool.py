"""The shared store's connection pool: calls from several threads at once each take a connection
(one waiting on a row lock holds up no other), at most POOL_SIZE of them, and closing the store
closes them all."""

from __future__ import annotations

import threading

import psycopg
import pytest

from pushover_tui.api.models import Message
from pushover_tui.store.url import StoreURL

WAIT = 10


@pytest.fixture
def pg(postgres_url):
    from pushover_tui.store.postgres import PostgresStore

    store = PostgresStore(StoreURL(postgres_url))
    yield store
    store.close()


def own_connections(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as admin:
        found = admin.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = 'pushover-tui' AND datname = current_database()"
        ).fetchone()
    assert found is not None
    return int(found[0])


def test_a_call_waiting_on_a_lock_holds_up_no_other_call(pg, postgres_url) -> None:
    row_id = pg.record_sending(Message("locked"), profile="p", origin="cli")
    with psycopg.connect(postgres_url) as other:  # another host holds the row
        other.execute("SELECT id FROM messages WHERE id = %s FOR UPDATE", (row_id,))
        waiting = threading.Thread(target=pg.record_interrupted, args=(row_id,))
        waiting.start()
        counts: list[int] = []
        reader = threading.Thread(target=lambda: counts.append(pg.count()))
        reader.start()
        reader.join(WAIT)  # answered while the other call waits for the row
        assert counts == [1] and waiting.is_alive()
        other.rollback()
    reader.join(WAIT)
    waiting.join(WAIT)
    assert not waiting.is_alive()


def test_the_pool_stays_small_and_closes_with_the_store(pg, postgres_url) -> None:
    from pushover_tui.store.postgres import POOL_SIZE

    row_id = pg.record_sending(Message("locked"), profile="p", origin="cli")
    with psycopg.connect(postgres_url) as other:
        other.execute("SELECT id FROM messages WHERE id = %s FOR UPDATE", (row_id,))
        waiting = [
            threading.Thread(target=pg.record_interrupted, args=(row_id,))
            for _ in range(POOL_SIZE + 2)
        ]
        for thread in waiting:
            thread.start()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            for _ in range(WAIT * 20):  # until every pooled connection waits on the lock
                found = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND application_name = 'pushover-tui'"
                ).fetchone()
                if found is not None and found[0] == POOL_SIZE:
                    break
                threading.Event().wait(0.05)
        assert own_connections(postgres_url) == POOL_SIZE
        other.rollback()
    for thread in waiting:
        thread.join(WAIT)
    pg.close()
    # A backend leaves pg_stat_activity a moment after its client hung up: wait for that.
    for _ in range(WAIT * 20):
        if own_connections(postgres_url) == 0:
            break
        threading.Event().wait(0.05)
    assert own_connections(postgres_url) == 0
