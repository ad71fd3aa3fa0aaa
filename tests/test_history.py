"""History database: migrations, every transition, filters, query plans, several processes."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pushover_tui.api.models import Message, Quota, Receipt, ReceiptState, SendResult
from pushover_tui.api.secret import Secret
from pushover_tui.store import history as history_module
from pushover_tui.store.history import (
    INTERRUPTED_TEXT,
    SCHEMA_VERSION,
    History,
    HistoryError,
    HistoryFilter,
    HistoryRow,
    RowKind,
    Status,
)

TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
RECEIPT = "r" * 30
ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    with History.open(tmp_path / "data") as opened:
        yield opened


def emergency(text: str = "Server down", tags: tuple[str, ...] = ()) -> Message:
    return Message(text, title="Alert", priority=2, retry=60, expire=3600, tags=tags)


def start_together(go: Path, count: int, timeout: float = 60) -> None:
    """Touch `go` once `count` children have each touched a `ready-*` file beside it: all are
    then at the line (imports done), however slowly the machine started them."""
    deadline = time.monotonic() + timeout
    while len(list(go.parent.glob(f"{go.name}.ready-*"))) < count:
        assert time.monotonic() < deadline, "the children never got ready"
        time.sleep(0.005)
    go.touch()


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        check=False,
    )


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# ---------------------------------------------------------------------------------------------
# Opening and migrations


def test_new_file_is_migrated_and_private(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        history = History.open(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    with history:
        assert history.path == tmp_path / "a" / "b" / "history.sqlite3"
        assert history.schema_version() == SCHEMA_VERSION == len(history_module.MIGRATIONS)
        if os.name == "posix":
            assert stat.S_IMODE(history.path.stat().st_mode) == 0o600
            assert stat.S_IMODE(history.path.parent.stat().st_mode) == 0o700
            assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    with raw(history.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_opening_looks_at_the_folder_once(tmp_path: Path, monkeypatch) -> None:
    from pushover_tui.store import files

    folder = tmp_path / "data"
    seen: list[Path] = []
    real = files.tighten

    def counted(path: Path, mode: int, **options: bool) -> None:
        seen.append(Path(path))
        real(path, mode, **options)

    monkeypatch.setattr(files, "tighten", counted)
    for _ in range(2):  # made, then found
        History.open(folder).close()
        assert seen.count(folder) == 1
        seen.clear()


def test_empty_file_migrates_from_version_0(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.touch()
    with History(path) as history:
        assert history.schema_version() == SCHEMA_VERSION
        assert history.count() == 0


def test_existing_v1_file_reopened_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with History(path) as history:
        row_id = history.record_sending(Message("kept"), profile="p", origin="cli")
    with History(path) as history:
        assert history.schema_version() == SCHEMA_VERSION
        row = history.get(row_id)
        assert row is not None and row.message == "kept"


def test_v1_file_gains_a_blank_recipient(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "history.sqlite3"
    with monkeypatch.context() as patch:  # a file written before the recipient column
        patch.setattr(history_module, "MIGRATIONS", history_module.MIGRATIONS[:1])
        patch.setattr(history_module, "SCHEMA_VERSION", 1)
        patch.setattr(
            history_module, "_COLUMNS", history_module._COLUMNS.replace(", recipient", "")
        )
        with raw(path) as connection:
            History(path).close()
            connection.execute(
                "INSERT INTO messages (created_at, updated_at, status, origin, profile, priority,"
                " pid, host, process) VALUES (1, 1, 'sent', 'cli', 'p', 0, 1, 'h', 'x')"
            )
    with History(path) as history:
        assert history.schema_version() == SCHEMA_VERSION
        (row,) = history.page()
        assert row.recipient == "" and row.to_json()["recipient"] == ""
        assert history.count(HistoryFilter(recipient="")) == 1


def test_rows_from_before_glances_are_messages(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "history.sqlite3"
    before = len(history_module.MIGRATIONS) - 1  # the last migration adds `kind`
    with monkeypatch.context() as patch:
        patch.setattr(history_module, "MIGRATIONS", history_module.MIGRATIONS[:before])
        patch.setattr(history_module, "SCHEMA_VERSION", before)
        History(path).close()
        with raw(path) as connection:
            connection.execute(
                "INSERT INTO messages (created_at, updated_at, status, origin, profile, priority,"
                " pid, host, process) VALUES (1, 1, 'sent', 'cli', 'p', 0, 1, 'h', 'x')"
            )
    with History(path) as history:
        assert history.schema_version() == SCHEMA_VERSION
        (row,) = history.page()
        assert row.kind is RowKind.MESSAGE
        assert history.count(HistoryFilter(kind=RowKind.GLANCE)) == 0


def test_migrations_run_in_order_and_only_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    History(path).close()
    calls: list[int] = []

    def version_2(connection: sqlite3.Connection) -> None:
        calls.append(1)
        connection.execute("ALTER TABLE messages ADD COLUMN extra TEXT")

    newest = len(history_module.MIGRATIONS) + 1
    monkeypatch.setattr(history_module, "MIGRATIONS", (*history_module.MIGRATIONS, version_2))
    monkeypatch.setattr(history_module, "SCHEMA_VERSION", newest)
    with History(path) as history:
        assert history.schema_version() == newest
    History(path).close()
    assert calls == [1]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    History(path).close()
    with raw(path) as connection:
        connection.execute("PRAGMA user_version = 99")
    with pytest.raises(HistoryError, match="newer pushover-tui") as caught:
        History(path)
    assert str(path) in str(caught.value)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_text("this is not SQLite, " * 100)
    with pytest.raises(HistoryError, match="not a pushover-tui history database") as caught:
        History(path)
    assert str(path) in str(caught.value)


def test_folder_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("")
    with pytest.raises(HistoryError, match="blocker"):
        History.open(tmp_path / "blocker" / "data")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_read_only_folder_is_a_history_error() -> None:
    # Root ignores permissions, so the attempt runs in a child that drops to "nobody" if needed.
    base = Path(tempfile.mkdtemp(prefix="pushover-tui-ro-"))
    try:
        os.chmod(base, 0o755)
        read_only = base / "ro"
        read_only.mkdir()
        os.chmod(read_only, 0o555)
        code = """
            import os, sys
            from pathlib import Path
            from pushover_tui.store.history import History, HistoryError
            if os.geteuid() == 0:  # after the imports: the interpreter may be root-only
                os.setgid(65534)
                os.setuid(65534)
            for path in (Path(sys.argv[1]) / "history.sqlite3", Path(sys.argv[1]) / "sub" / "h"):
                try:
                    History(path)
                except HistoryError as error:
                    print("HistoryError:", error)
                else:
                    print("opened", path)
        """
        result = run_python(code, str(read_only))
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 2 and all(line.startswith("HistoryError:") for line in lines)
        assert str(read_only) in lines[0] and "PUSHOVER_TUI_DATA" in lines[0]
    finally:
        os.chmod(base / "ro", 0o755)
        for child in (base / "ro").iterdir():
            child.unlink()
        (base / "ro").rmdir()
        base.rmdir()


def test_error_sentences(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as history:
        full = history._error(sqlite3.OperationalError("database or disk is full"), "write")
        assert "disk is full" in str(full) and str(history.path) in str(full)
    with pytest.raises(HistoryError, match="closed"):
        history.count()


# ---------------------------------------------------------------------------------------------
# Transitions


def test_record_sending_is_committed_and_complete(history: History) -> None:
    message = Message("Disk 91% full", title="db1", priority=1, sound="siren", url="https://x.y")
    row_id = history.record_sending(
        message, profile="work", origin="cli", meta={"sentry_issue": "123"}
    )
    # Another connection (another process) sees it at once: it was committed before returning.
    with raw(history.path) as connection:
        status, pid, host = connection.execute(
            "SELECT status, pid, host FROM messages WHERE id = ?", (row_id,)
        ).fetchone()
    assert (status, pid) == ("sending", os.getpid())
    assert host
    row = history.get(row_id)
    assert row is not None
    assert row.status is Status.SENDING
    assert (row.profile, row.origin, row.priority, row.title) == ("work", "cli", 1, "db1")
    assert dict(row.params) == message.params()
    assert dict(row.meta) == {"sentry_issue": "123"}
    assert row.receipt is None and row.receipt_state is None and row.receipt_info is None
    assert row.quota == Quota() and row.error == "" and row.request_id == ""
    assert row.created_at == row.updated_at
    assert abs(row.created_at - time.time()) < 5


def test_sent_without_receipt(history: History) -> None:
    row_id = history.record_sending(Message("hi"), profile="p", origin="tui")
    history.record_sent(row_id, SendResult("req-1", quota=Quota(10000, 9999, 1700000000)))
    row = history.get(row_id)
    assert row is not None
    assert (row.status, row.request_id, row.receipt, row.receipt_state) == (
        Status.SENT,
        "req-1",
        None,
        None,
    )
    assert row.quota == Quota(10000, 9999, 1700000000)
    assert row.updated_at >= row.created_at


def test_receipt_lifecycle(history: History) -> None:
    row_id = history.record_sending(emergency(), profile="p", origin="tui")
    history.record_sent(row_id, SendResult("req-2", receipt=RECEIPT))
    row = history.get(row_id)
    assert row is not None and row.receipt_state is ReceiptState.AWAITING
    assert history.get_by_receipt(RECEIPT) == row

    polled = Receipt(RECEIPT, last_delivered_at=100, expires_at=200)
    assert history.record_receipt(row_id, polled) is True
    assert history.record_receipt(row_id, polled) is False  # nothing new
    row = history.get(row_id)
    assert row is not None and row.receipt_info == polled

    acked = Receipt(
        RECEIPT,
        acknowledged=True,
        acknowledged_at=150,
        acknowledged_by=USER,
        acknowledged_by_device="phone",
        last_delivered_at=100,
        expires_at=200,
    )
    assert history.record_receipt(row_id, acked) is True
    row = history.get(row_id)
    assert row is not None and row.receipt_info is not None
    assert row.receipt_state is ReceiptState.ACKNOWLEDGED
    assert row.receipt_info.acknowledged_by_device == "phone"
    assert row.receipt_info.acknowledged_at == 150
    # The acknowledging user's key is kept only as a masked hint.
    assert row.receipt_info.acknowledged_by == Secret(USER).masked()
    assert history.record_receipt(row_id, acked) is False
    assert history.record_receipt(9999, acked) is False  # a deleted row is not an error


def test_expired_and_cancelled(history: History) -> None:
    first = history.record_sending(emergency(), profile="p", origin="tui")
    history.record_sent(first, SendResult("a", receipt="a" * 30))
    history.record_receipt(first, Receipt("a" * 30, expired=True, expires_at=5))
    assert history.get(first).receipt_state is ReceiptState.EXPIRED  # type: ignore[union-attr]

    second = history.record_sending(emergency(), profile="p", origin="tui")
    history.record_sent(second, SendResult("b", receipt="b" * 30))
    history.record_cancelled(second)
    assert history.get(second).receipt_state is ReceiptState.CANCELLED  # type: ignore[union-attr]
    # A poll that was in flight during the cancel must not reopen the receipt...
    history.record_receipt(second, Receipt("b" * 30, last_delivered_at=9))
    row = history.get(second)
    assert row is not None and row.receipt_state is ReceiptState.CANCELLED
    assert row.receipt_info is not None and row.receipt_info.last_delivered_at == 9
    # ...but a final answer still wins.
    history.record_receipt(second, Receipt("b" * 30, expired=True))
    assert history.get(second).receipt_state is ReceiptState.EXPIRED  # type: ignore[union-attr]


def test_failed(history: History) -> None:
    row_id = history.record_sending(Message("x"), profile="p", origin="cli")
    history.record_failed(
        row_id, "user identifier is invalid", request_id="req-3", quota=Quota(1, 0, 5)
    )
    row = history.get(row_id)
    assert row is not None
    assert (row.status, row.error, row.request_id) == (
        Status.FAILED,
        "user identifier is invalid",
        "req-3",
    )
    assert row.quota == Quota(1, 0, 5)
    other = history.record_sending(Message("y"), profile="p", origin="cli")
    history.record_failed(other, "Cannot reach api.pushover.net")
    row = history.get(other)
    assert row is not None and row.quota == Quota() and row.request_id == ""


def test_credentials_never_stored(history: History) -> None:
    with pytest.raises(ValueError, match="token"):
        history.record_sending(Message("x"), profile="p", origin="cli", meta={"token": TOKEN})
    with pytest.raises(ValueError, match="Secret"):
        history.record_sending(Message("x"), profile="p", origin="cli", meta={"key": Secret(USER)})
    assert history.count() == 0  # the refused rows were rolled back / never written
    row_id = history.record_sending(emergency(), profile="p", origin="cli")
    history.record_sent(row_id, SendResult("req", receipt=RECEIPT))
    history.record_receipt(row_id, Receipt(RECEIPT, acknowledged=True, acknowledged_by=USER))
    history.close()  # checkpoints the WAL into the main file
    data = history.path.read_bytes()
    assert RECEIPT.encode() in data
    assert USER.encode() not in data and TOKEN.encode() not in data


# ---------------------------------------------------------------------------------------------
# to_json


def test_to_json(history: History) -> None:
    message = emergency(tags=("db", "prod"))
    row_id = history.record_sending(message, profile="work", origin="sentry", meta={"link": "u"})
    history.record_sent(row_id, SendResult("req-9", receipt=RECEIPT, quota=Quota(10, 9, 0)))
    history.record_receipt(
        row_id,
        Receipt(RECEIPT, acknowledged=True, acknowledged_by=USER, acknowledged_by_device="ph"),
    )
    row = history.get(row_id)
    assert isinstance(row, HistoryRow)
    data = row.to_json()
    text = json.dumps(data)  # JSON-ready
    assert USER not in text and TOKEN not in text
    assert data["message"] == "Server down" and data["title"] == "Alert"
    assert data["priority"] == 2 and data["retry"] == 60 and data["expire"] == 3600
    assert data["tags"] == "db,prod"
    assert data["request"] == "req-9" and data["receipt"] == RECEIPT
    assert data["receipt_state"] == "acknowledged"
    assert data["acknowledged"] == 1 and data["acknowledged_by_device"] == "ph"
    assert (data["status"], data["origin"], data["profile"]) == ("sent", "sentry", "work")
    assert data["created_at"].endswith("+00:00") and "T" in data["created_at"]
    assert data["quota"] == {"limit": 10, "remaining": 9, "reset": 0}
    assert data["error"] == "" and data["meta"] == {"link": "u"}
    assert data["recipient"] == ""  # not given
    assert "token" not in data and "user" not in data


def test_recipient_is_stored_masked_and_filtered_on(history: History) -> None:
    group = "gznej3rKEVAvPUxu9vvNnqpmZpokzF"
    to_group = history.record_sending(
        Message("a"), profile="p", origin="cli", recipient=Secret(group)
    )
    history.record_sending(Message("b"), profile="p", origin="cli", recipient=Secret(USER))
    row = history.get(to_group)
    assert row is not None and row.recipient == Secret(group).masked() == "gzne" + "•" * 26
    assert row.to_json()["recipient"] == row.recipient
    assert [r.message for r in history.page(HistoryFilter(recipient=row.recipient))] == ["a"]
    assert history.count(HistoryFilter(recipient=Secret(USER).masked())) == 1
    for file in history.path.parent.iterdir():  # the database and its WAL
        assert group[4:].encode() not in file.read_bytes()


# ---------------------------------------------------------------------------------------------
# Reading: pages, filters, counts


def fill(history: History) -> list[int]:
    specs = [
        ("first backup done", 0, "home", "cli", Status.SENT),
        ("Disk full on db1", 1, "work", "sentry", Status.FAILED),
        ("db1 down", 2, "work", "tui", Status.SENT),
        ("100% _literal_ match", -1, "home", "tui", Status.SENDING),
        ("last one", 0, "work", "cli", Status.SENT),
    ]
    ids = []
    for text, priority, profile, origin, status in specs:
        message = Message(text, priority=priority, retry=30, expire=60)
        row_id = history.record_sending(message, profile=profile, origin=origin)
        if status is Status.SENT:
            receipt = "r" * 30 if priority == 2 else None
            history.record_sent(row_id, SendResult(f"req-{text}", receipt=receipt))
        elif status is Status.FAILED:
            history.record_failed(row_id, "quota exceeded")
        ids.append(row_id)
    return ids


def test_page_order_and_paging(history: History) -> None:
    ids = fill(history)
    assert [row.id for row in history.page()] == ids[::-1]
    assert [row.id for row in history.page(oldest_first=True)] == ids
    assert [row.id for row in history.page(limit=2)] == ids[::-1][:2]
    assert [row.id for row in history.page(offset=2, limit=2)] == ids[::-1][2:4]
    assert history.page(offset=10) == []
    assert history.count() == 5


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (HistoryFilter(status=Status.SENT), [0, 2, 4]),
        (HistoryFilter(status=Status.FAILED), [1]),
        (HistoryFilter(status=Status.SENDING), [3]),
        (HistoryFilter(priority=2), [2]),
        (HistoryFilter(priority=0), [0, 4]),
        (HistoryFilter(profile="home"), [0, 3]),
        (HistoryFilter(origin="tui"), [2, 3]),
        (HistoryFilter(search="DB1"), [1, 2]),  # case-insensitive, title or message
        (HistoryFilter(search="quota"), [1]),  # the error text
        (HistoryFilter(search="100%"), [3]),  # % and _ are literal
        (HistoryFilter(search="_literal_"), [3]),
        (HistoryFilter(search="a_b"), []),
        (HistoryFilter(status=Status.SENT, profile="work"), [2, 4]),
        (HistoryFilter(status=Status.SENT, priority=0, origin="cli", profile="home"), [0]),
        (HistoryFilter(profile="nobody"), []),
        (HistoryFilter(receipt_state=ReceiptState.AWAITING), [2]),
        (HistoryFilter(receipt_state=ReceiptState.ACKNOWLEDGED), []),
    ],
)
def test_filters(history: History, filters: HistoryFilter, expected: list[int]) -> None:
    ids = fill(history)
    wanted = [ids[index] for index in expected]
    assert [row.id for row in history.page(filters, oldest_first=True)] == wanted
    assert history.count(filters) == len(wanted)


def test_get_delete_clear(history: History) -> None:
    ids = fill(history)
    assert history.get(ids[0]) is not None
    assert history.get(12345) is None
    assert history.get_by_receipt("nope") is None
    assert history.delete(ids[0]) is True
    assert history.delete(ids[0]) is False
    assert history.get(ids[0]) is None
    assert history.clear() == 4
    assert history.count() == 0


def test_open_receipts(history: History) -> None:
    def send(tags: tuple[str, ...], receipt: str) -> int:
        row_id = history.record_sending(emergency(tags=tags), profile="p", origin="tui")
        history.record_sent(row_id, SendResult("r", receipt=receipt))
        return row_id

    tagged = send(("db", "prod"), "a" * 30)
    other = send(("dbx",), "b" * 30)
    done = send(("db",), "c" * 30)
    history.record_receipt(done, Receipt("c" * 30, acknowledged=True))
    old = send(("db",), "d" * 30)
    with raw(history.path) as connection:
        connection.execute(
            "UPDATE messages SET created_at = ? WHERE id = ?", (time.time() - 8 * 86400, old)
        )
    history.record_sending(Message("normal"), profile="p", origin="tui")

    assert [row.id for row in history.open_receipts()] == [tagged, other]
    assert [row.id for row in history.open_receipts(max_age=30 * 86400)] == [old, tagged, other]
    assert [row.id for row in history.open_receipts_with_tag("db")] == [tagged]
    assert [row.id for row in history.open_receipts_with_tag("prod")] == [tagged]
    assert history.open_receipts_with_tag("d") == []
    history.record_cancelled(tagged)
    assert [row.id for row in history.open_receipts()] == [other]


# ---------------------------------------------------------------------------------------------
# Interrupted sends


def test_mark_interrupted(history: History) -> None:
    # A row left by a process that has finished (its pid is dead).
    code = """
        import sys
        from pathlib import Path
        from pushover_tui.api.models import Message
        from pushover_tui.store.history import History
        history = History(Path(sys.argv[1]))
        print(history.record_sending(Message("lost"), profile="p", origin="cli"))
    """
    result = run_python(code, str(history.path))
    assert result.returncode == 0, result.stderr
    dead = int(result.stdout)

    mine = history.record_sending(Message("mine, old"), profile="p", origin="tui")
    finished = history.record_sending(Message("done"), profile="p", origin="tui")
    history.record_sent(finished, SendResult("r"))
    live_young = history.record_sending(Message("live"), profile="p", origin="cli")
    live_old = history.record_sending(Message("live, stuck"), profile="p", origin="cli")
    reused = history.record_sending(Message("reused pid"), profile="p", origin="cli")
    remote_young = history.record_sending(Message("remote"), profile="p", origin="cli")
    remote_old = history.record_sending(Message("remote, old"), profile="p", origin="cli")
    hour_ago = time.time() - 3600
    live_pid = os.getppid()  # alive, and not this process
    with raw(history.path) as connection:
        update = "UPDATE messages SET pid = ?, host = ?, process = ?, created_at = ? WHERE id = ?"
        host = connection.execute("SELECT host FROM messages WHERE id = ?", (mine,)).fetchone()[0]
        connection.execute("UPDATE messages SET created_at = ? WHERE id = ?", (hour_ago, mine))
        connection.execute(update, (live_pid, host, "x", time.time(), live_young))
        connection.execute(update, (live_pid, host, "x", hour_ago, live_old))
        connection.execute(update, (os.getpid(), host, "earlier process", time.time(), reused))
        connection.execute(update, (1, "elsewhere", "x", time.time(), remote_young))
        connection.execute(update, (1, "elsewhere", "x", hour_ago, remote_old))

    assert history.mark_interrupted() == 4
    statuses = {row.id: row.status for row in history.page(limit=100)}
    assert statuses[dead] is Status.INTERRUPTED
    assert statuses[reused] is Status.INTERRUPTED
    assert statuses[live_old] is Status.INTERRUPTED
    assert statuses[remote_old] is Status.INTERRUPTED
    assert statuses[mine] is Status.SENDING  # this process's rows: never, however old
    assert statuses[live_young] is Status.SENDING
    assert statuses[remote_young] is Status.SENDING
    assert statuses[finished] is Status.SENT
    row = history.get(dead)
    assert row is not None and row.error == INTERRUPTED_TEXT
    assert history.mark_interrupted() == 0
    # A late answer from the sender still lands.
    history.record_sent(live_young, SendResult("late"))
    assert history.get(live_young).status is Status.SENT  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# Query plans: the first page must not grow with the table


@pytest.mark.parametrize(
    "filters",
    [
        HistoryFilter(),
        HistoryFilter(status=Status.SENT),
        HistoryFilter(priority=2),
        HistoryFilter(profile="work"),
        HistoryFilter(origin="cli"),
        HistoryFilter(status=Status.FAILED, priority=1),
        HistoryFilter(status=Status.SENT, profile="work", origin="tui", priority=0),
        HistoryFilter(search="disk"),
        HistoryFilter(recipient="uQiR" + "•" * 26),
    ],
)
@pytest.mark.parametrize("oldest_first", [False, True])
def test_page_query_plan_uses_indexes(
    history: History, filters: HistoryFilter, oldest_first: bool
) -> None:
    fill(history)
    for analysed in (False, True):  # with and without planner statistics
        if analysed:
            with raw(history.path) as connection:
                connection.execute("ANALYZE")
        plan = history._query_plan(filters, oldest_first=oldest_first)
        text = " | ".join(plan)
        assert "TEMP B-TREE" not in text, text
        for step in plan:
            assert "INDEX" in step or "PRIMARY KEY" in step, text
        single = [
            filters.status,
            filters.priority,
            filters.profile,
            filters.origin,
            filters.recipient,
        ]
        if sum(value is not None for value in single) == 1:
            assert text.startswith("SEARCH"), text


def test_open_receipts_and_lookups_use_indexes(history: History) -> None:
    with history._read() as connection:
        for sql, args in [
            (
                "SELECT * FROM messages WHERE receipt_state = ? AND created_at >= ?"
                " ORDER BY created_at ASC, id ASC",
                ("awaiting", 0),
            ),
            ("SELECT * FROM messages WHERE receipt = ? ORDER BY created_at DESC LIMIT 1", ("r",)),
            ("SELECT id FROM messages WHERE status = ?", ("sending",)),
        ]:
            plan = " | ".join(r[-1] for r in connection.execute(f"EXPLAIN QUERY PLAN {sql}", args))
            assert plan.startswith("SEARCH") and "INDEX" in plan, plan


# ---------------------------------------------------------------------------------------------
# Concurrency


def test_data_version_sees_other_connections(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with History(path) as ui, History(path) as cron:
        before = ui.data_version()
        ui.record_sending(Message("own"), profile="p", origin="tui")
        assert ui.data_version() == before  # our own commits do not count
        cron.record_sending(Message("theirs"), profile="p", origin="cli")
        assert ui.data_version() != before
        assert ui.count() == 2


def test_threads_share_one_history(history: History) -> None:
    def work() -> None:
        for index in range(50):
            row_id = history.record_sending(Message(f"m{index}"), profile="p", origin="tui")
            history.record_sent(row_id, SendResult(f"r{index}"))
            history.page(limit=5)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert history.count(HistoryFilter(status=Status.SENT)) == 200


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "history.sqlite3"
    go = tmp_path / "go"
    code = """
        import sys, time
        from pathlib import Path
        from pushover_tui.api.models import Message, SendResult
        from pushover_tui.store.history import History
        path, go, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
        go.with_name(f"{go.name}.ready-{name}").touch()
        while not go.exists():
            time.sleep(0.005)
        with History(path) as history:  # both also race to create and migrate the file
            for index in range(500):
                row_id = history.record_sending(Message(f"{name} {index}"), profile=name,
                                                origin="cli")
                history.record_sent(row_id, SendResult(f"{name}-{index}"))
    """
    children = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), str(path), str(go), name],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("tui", "cron")
    ]
    start_together(go, len(children))
    for child in children:
        _, stderr = child.communicate(timeout=60)
        assert child.returncode == 0, stderr
    with History(path) as history:
        assert history.count() == 1000
        assert history.count(HistoryFilter(status=Status.SENT)) == 1000
        for name in ("tui", "cron"):
            rows = history.page(HistoryFilter(profile=name), limit=1000, oldest_first=True)
            assert [row.message for row in rows] == [f"{name} {i}" for i in range(500)]


# ---------------------------------------------------------------------------------------------
# Start-up path


def test_store_imports_stay_light() -> None:
    code = """
        import sys
        import pushover_tui.store.config, pushover_tui.store.history
        heavy = sorted(m for m in ("textual", "httpx") if m in sys.modules)
        print(",".join(heavy))
    """
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_processes_opening_a_new_file_at_once_all_get_wal(tmp_path: Path) -> None:
    """Switching a new file to WAL from several processes at once: SQLite tells all but one
    "locked" at once, without waiting; open_sqlite waits instead (two `send`s from cron on the
    first run, two `group oncall`s at once)."""
    code = """
        import sys, time
        from pathlib import Path
        from pushover_tui.store.files import open_sqlite
        path, go, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
        go.with_name(f"{go.name}.ready-{name}").touch()
        while not go.exists():
            time.sleep(0.001)
        open_sqlite(path).close()
    """
    for round_ in range(12):
        go = tmp_path / f"go-{round_}"
        path = tmp_path / str(round_) / "history.sqlite3"
        children = [
            subprocess.Popen(
                [sys.executable, "-c", textwrap.dedent(code), str(path), str(go), str(index)],
                env=ENV,
                stderr=subprocess.PIPE,
                text=True,
            )
            for index in range(3)
        ]
        start_together(go, len(children))
        for child in children:
            _, stderr = child.communicate(timeout=60)
            assert child.returncode == 0, stderr
