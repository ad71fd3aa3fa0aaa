"""`pushover-tui store status` and `pushover-tui store import`: the URL masked, the schema
version, rows and queue depth; an import copies every row once however often it runs."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from pushover_tui import cli
from pushover_tui.api.models import Message, Quota, Receipt, SendResult
from pushover_tui.store.history import History, HistoryFilter, Status
from pushover_tui.store.postgres import SCHEMA_VERSION, PostgresStore
from pushover_tui.store.url import StoreURL

PASSWORD = "pg-Secret-9d1c"  # conftest's postgres_url password


def run(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), env=env, stdin=io.StringIO(""), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_status_of_this_machines_files(isolated_env) -> None:
    code, out, err = run(isolated_env, "store", "status", "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["backend"] == "sqlite" and status["rows"] == 0
    assert status["store"].endswith("history.sqlite3") and status["queue_depth"] is None


def test_status_of_a_shared_store_masks_the_password(isolated_env, postgres_url) -> None:
    env = {**isolated_env, "PUSHOVER_TUI_STORE": postgres_url}
    with PostgresStore(StoreURL(postgres_url)) as store:
        store.record_sending(Message("one"), profile="p", origin="cli")
    code, out, err = run(env, "store", "status")
    assert code == 0, err
    assert PASSWORD not in out + err
    assert f"store   {StoreURL(postgres_url).masked()} (shared PostgreSQL)" in out
    assert f"schema  version {SCHEMA_VERSION}" in out and "rows    1" in out
    assert "queue   0 alerts pending" in out
    status = json.loads(run(env, "store", "status", "--json")[1])
    assert status["backend"] == "postgresql" and status["rows"] == 1
    assert status["queue_depth"] == 0
    assert status["schema_version"] == SCHEMA_VERSION and "postgres:***@" in status["store"]


def fill_local(folder: Path, count: int) -> list[int]:
    with History.open(folder) as history:
        ids = []
        for number in range(count):
            row_id = history.record_sending(
                Message(f"local {number}", priority=2, retry=30, expire=60),
                profile="home",
                origin="cli",
            )
            if number % 3 == 0:
                history.record_failed(row_id, "quota exceeded", quota=Quota(10, 0, 99))
            else:
                receipt = f"{number:030d}"
                history.record_sent(row_id, SendResult(f"req-{number}", receipt=receipt))
                history.record_receipt(row_id, Receipt(receipt, acknowledged=number % 2 == 0))
            ids.append(row_id)
        return ids


def test_import_copies_every_row_once(isolated_env, postgres_url) -> None:
    folder = Path(isolated_env["PUSHOVER_TUI_DATA"])
    fill_local(folder, 1203)  # more than one batch
    env = {**isolated_env, "PUSHOVER_TUI_STORE": postgres_url}
    with PostgresStore(StoreURL(postgres_url)) as store:
        store.record_sending(Message("sent by a teammate"), profile="p", origin="tui")

    code, out, err = run(env, "store", "import")
    assert code == 0, err
    assert out.startswith("1,203 messages in ") and "1,203 copied into " in out
    assert "0 already there." in out and PASSWORD not in out + err
    counts = json.loads(run(env, "store", "import", "--json")[1])
    assert counts["found"] == 1203 and counts["copied"] == 0 and counts["already_there"] == 1203

    with History.open(folder) as local, PostgresStore(StoreURL(postgres_url)) as shared:
        assert shared.count() == 1204
        assert shared.count(HistoryFilter(profile="home")) == 1203
        here = local.page(limit=2000, oldest_first=True)
        there = shared.page(HistoryFilter(profile="home"), limit=2000, oldest_first=True)
        fields = ("created_at", "status", "message", "params", "receipt", "receipt_state")
        assert [[getattr(row, name) for name in fields] for row in there] == [
            [getattr(row, name) for name in fields] for row in here
        ]
        assert there[0].quota == Quota(10, 0, 99) and there[0].status is Status.FAILED
        assert there[1].receipt_info == here[1].receipt_info

    # A row added here later is copied by the next run, and only it.
    fill_local(folder, 1)
    counts = json.loads(run(env, "store", "import", "--json")[1])
    assert (counts["found"], counts["copied"], counts["already_there"]) == (1204, 1, 1203)


def test_import_needs_a_shared_store(isolated_env) -> None:
    code, _, err = run(isolated_env, "store", "import")
    assert code == cli.EXIT_USAGE
    assert "set PUSHOVER_TUI_STORE or store.url" in err


def test_without_psycopg_a_postgresql_url_is_one_sentence(isolated_env) -> None:
    env = {
        **os.environ,
        **isolated_env,
        "PUSHOVER_TUI_STORE": f"postgresql://team:{PASSWORD}@db/pushover",
    }
    code = (
        "import sys; sys.modules['psycopg'] = None; from pushover_tui.cli import main;"
        "sys.exit(main(['store', 'status']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == cli.EXIT_USAGE
    assert result.stderr.splitlines() == [
        "pushover-tui: The store is a PostgreSQL URL, but psycopg is not installed: run "
        "pip install 'pushover-tui[postgres]' (or unset PUSHOVER_TUI_STORE and store.url)."
    ]


def test_import_with_no_local_history_still_checks_the_store(isolated_env, refused_port) -> None:
    """Nothing to copy is "0 copied into" a store only if that store answered."""
    port = refused_port
    env = {**isolated_env, "PUSHOVER_TUI_STORE": f"postgresql://u:{PASSWORD}@127.0.0.1:{port}/x"}
    code, out, err = run(env, "store", "import")
    assert code == cli.EXIT_TEMPORARY, out + err
    assert out == "" and err.count("\n") == 1 and "unreachable" in err
    assert PASSWORD not in err
