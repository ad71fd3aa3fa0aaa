"""Choosing the store: the URL setting and its masked password, the factory, the imports each
path costs, and PostgreSQL's migrations under an advisory lock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from pushover_tui.api.errors import ConfigurationError
from pushover_tui.store.base import open_store
from pushover_tui.store.history import History
from pushover_tui.store.url import StoreURL, mask_store_urls, parse_store_url, store_url

PASSWORD = "s3cr3t-Pw"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            f"postgresql://team:{PASSWORD}@db.example:5432/pushover",
            "postgresql://team:***@db.example:5432/pushover",
        ),
        (
            f"postgres://team:{PASSWORD}@db/pushover?sslmode=require",
            "postgres://team:***@db/pushover?sslmode=require",
        ),
        (
            f"postgresql:///pushover?host=/run/pg&password={PASSWORD}",
            "postgresql:///pushover?host=/run/pg&password=***",
        ),
        ("postgresql://team@db/pushover", "postgresql://team@db/pushover"),
        (
            "postgresql:///pushover?host=/var/run/postgresql",
            "postgresql:///pushover?host=/var/run/postgresql",
        ),
    ],
)
def test_the_password_is_masked_wherever_the_url_shows(url: str, masked: str) -> None:
    parsed = parse_store_url(url)
    assert parsed is not None and parsed.reveal() == url
    assert parsed.masked() == masked
    assert PASSWORD not in repr(parsed) and PASSWORD not in str(parsed)
    assert PASSWORD not in f"{parsed!r} {parsed}"
    assert (
        mask_store_urls(f"could not reach {url} (refused)") == f"could not reach {masked} (refused)"
    )
    assert PASSWORD not in mask_store_urls(f"host=db password={PASSWORD} user=x")


def test_a_url_that_is_not_postgresql_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="PUSHOVER_TUI_STORE must be a postgresql://"):
        parse_store_url(f"mysql://u:{PASSWORD}@h/db")
    with pytest.raises(ConfigurationError) as raised:
        parse_store_url(f"https://u:{PASSWORD}@h/db", source="store.url")
    assert str(raised.value).startswith("store.url") and PASSWORD not in str(raised.value)
    with pytest.raises(ConfigurationError, match="port"):
        parse_store_url("postgresql://h:port/db")
    with pytest.raises(ConfigurationError, match="unbalanced") as raised:
        parse_store_url(f"postgresql://u:{PASSWORD}@[::1/db")  # not a port problem
    assert "port" not in str(raised.value).split(":")[0] and PASSWORD not in str(raised.value)


def test_the_environment_wins_over_the_config_and_blank_means_sqlite() -> None:
    configured = "postgresql://config@db/a"
    assert store_url({}, "") is None
    assert store_url({"PUSHOVER_TUI_STORE": "  "}, "") is None
    assert store_url({}, configured) == StoreURL(configured)
    assert store_url({"PUSHOVER_TUI_STORE": "postgresql://env@db/b"}, configured) == StoreURL(
        "postgresql://env@db/b"
    )


def test_the_factory_picks_the_backend_by_url(tmp_path: Path, postgres_url: str) -> None:
    with open_store(tmp_path, None) as local:
        assert isinstance(local, History) and local.kind == "sqlite"
    with open_store(tmp_path, StoreURL(postgres_url)) as shared:
        assert shared.kind == "postgresql"
        assert shared.count() == 0
    assert list(tmp_path.iterdir()) == [tmp_path / "history.sqlite3"]  # no file for PostgreSQL


def run_python(code: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_sqlite_path_and_send_never_import_psycopg(isolated_env, demo_config) -> None:
    code = (
        "import sys; from pushover_tui.cli import main; code = main(['send', 'hi', '--json']);"
        "print(code, sorted(m for m in sys.modules if m.startswith('psycopg')"
        " or m == 'pushover_tui.store.postgres'))"
    )
    assert run_python(code, isolated_env).splitlines()[-1] == "0 []"


def test_a_postgresql_url_imports_psycopg_only_then(tmp_path: Path, postgres_url: str) -> None:
    code = (
        "import sys; from pathlib import Path; from pushover_tui.store.base import open_store;"
        "from pushover_tui.store.url import store_url;"
        f"url = store_url(dict(PUSHOVER_TUI_STORE={postgres_url!r}));"
        f"store = open_store(Path({str(tmp_path)!r}), url);"
        "print(store.count(), 'psycopg' in sys.modules)"
    )
    assert run_python(code) == "0 True"


def test_hosts_starting_at_once_migrate_once(postgres_url: str) -> None:
    from pushover_tui.store.postgres import SCHEMA_VERSION, PostgresStore

    stores = [PostgresStore(StoreURL(postgres_url)) for _ in range(4)]
    start = threading.Barrier(len(stores))
    versions: list[int] = []
    errors: list[Exception] = []

    def begin(store: PostgresStore) -> None:
        start.wait()
        try:
            versions.append(store.schema_version())  # the first call connects and migrates
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=begin, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == [] and versions == [SCHEMA_VERSION] * len(stores)
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute("SELECT count(*) FROM pushover_schema").fetchone() == (1,)


def test_a_newer_schema_is_refused_with_a_sentence(postgres_url: str) -> None:
    from pushover_tui.store.base import HistoryError
    from pushover_tui.store.postgres import SCHEMA_VERSION, PostgresStore

    with PostgresStore(StoreURL(postgres_url)) as store:
        store.count()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("UPDATE pushover_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with PostgresStore(StoreURL(postgres_url)) as store, pytest.raises(HistoryError) as raised:
        store.count()
    assert "newer pushover-tui" in str(raised.value)
    assert "pg-Secret" not in str(raised.value) and "***" in str(raised.value)


def run_cli(env: dict[str, str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    import io

    from pushover_tui import cli

    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), env=env, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_config_set_store_url_reads_stdin_and_show_masks_it(isolated_env) -> None:
    url = f"postgresql://team:{PASSWORD}@db.example/pushover?host=/run/pg"
    code, out, err = run_cli(isolated_env, "config", "set", "store.url", "-", stdin=url + "\n")
    assert code == 0, err
    assert PASSWORD not in out + err
    code, out, _ = run_cli(isolated_env, "config", "show")
    assert "postgresql://team:***@db.example/pushover?host=/run/pg" in out
    assert PASSWORD not in out
    code, out, _ = run_cli(isolated_env, "config", "show", "--json")
    assert PASSWORD not in out and "team:***@" in out
    code, _, err = run_cli(isolated_env, "config", "set", "store.url", "-", stdin="mysql://h/d")
    assert code == 2 and "store.url must be a postgresql:// URL" in err


def test_send_and_history_use_the_configured_store(
    isolated_env, demo_config, simulator, postgres_url: str
) -> None:
    code, _, err = run_cli(isolated_env, "config", "set", "store.url", "-", stdin=postgres_url)
    assert code == 0, err
    code, _, err = run_cli(isolated_env, "send", "recorded in PostgreSQL")
    assert code == 0, err
    with open_store(Path("unused"), StoreURL(postgres_url)) as shared:
        assert [row.message for row in shared.page()] == ["recorded in PostgreSQL"]
    assert not (Path(isolated_env["PUSHOVER_TUI_DATA"]) / "history.sqlite3").exists()
    code, out, _ = run_cli(isolated_env, "history")
    assert code == 0 and "recorded in PostgreSQL" in out
    # The environment wins over the file: blank would not, a URL does.
    other = f"postgresql://team:{PASSWORD}@127.0.0.1:1/pushover"
    code, _, err = run_cli({**isolated_env, "PUSHOVER_TUI_STORE": other}, "history")
    assert code == 5 and "127.0.0.1:1" in err and PASSWORD not in err


def test_a_url_libpq_cannot_read_is_a_usage_error(isolated_env, demo_config, simulator) -> None:
    """A setting to fix (exit 2), like any other bad setting, not "anything unexpected"."""
    env = {**isolated_env, "PUSHOVER_TUI_STORE": f"postgresql://u:{PASSWORD}@db/x?bogus=1"}
    for command in (["store", "status"], ["send", "disk full"]):
        code, out, err = run_cli(env, *command)
        assert code == 2, (command, err)
        assert err.count("\n") == 1 and "not a valid PostgreSQL URL" in err
        assert PASSWORD not in out + err
    assert simulator.messages == []
