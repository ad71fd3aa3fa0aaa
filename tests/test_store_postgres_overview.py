"""History's overview on a shared PostgreSQL reads the counts its triggers keep (migration 4),
not the rows: its cost does not grow with the history. Rows there before the migration are
counted by it. (That the counts equal a recount after every kind of change is the contract
test `test_overview_counts_follow_every_change`, on both backends.)"""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from pushover_tui.api.models import Message, SendResult
from pushover_tui.store.history import Status
from pushover_tui.store.overview import overview
from pushover_tui.store.url import StoreURL


@pytest.fixture
def pg(postgres_url):
    from pushover_tui.store.postgres import PostgresStore

    store = PostgresStore(StoreURL(postgres_url))
    yield store
    store.close()


def test_the_overview_reads_the_counts_not_the_rows(pg, postgres_url) -> None:
    row_id = pg.record_sending(Message("one"), profile="p", origin="cli")
    pg.record_sent(row_id, SendResult("req"))
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("UPDATE message_counts SET n = 99 WHERE kind = 'status' AND key = 'sent'")
    assert overview(pg, today=date.today()).by_status[Status.SENT] == 99


def test_rows_from_before_the_migration_are_counted(postgres_url) -> None:
    from pushover_tui.store.postgres import MIGRATIONS, SCHEMA_VERSION, PostgresStore

    with psycopg.connect(postgres_url, autocommit=True) as old_host:  # at schema 3
        for step in MIGRATIONS[:3]:
            for statement in step:
                old_host.execute(statement)
        old_host.execute("CREATE TABLE pushover_schema (version integer NOT NULL)")
        old_host.execute("INSERT INTO pushover_schema (version) VALUES (3)")
        old_host.execute(
            "INSERT INTO messages (created_at, updated_at, status, origin, profile, priority,"
            " message, pid, host, process) VALUES (extract(epoch from now()),"
            " extract(epoch from now()), 'sent', 'cli', 'p', 0, 'old', 1, 'h', 'x')"
        )
    with PostgresStore(StoreURL(postgres_url)) as store:
        assert store.schema_version() == SCHEMA_VERSION == 4
        summary = overview(store, today=date.today())
    assert (summary.total, summary.by_status[Status.SENT], summary.per_day[-1]) == (1, 1, 1)
    assert summary.by_origin == {"cli": 1}
