"""`store status` and `store import`: where the history lives, and moving this machine's history
into a team's shared PostgreSQL.

An import is idempotent: each copied row carries a key made of this host's name, its id in the
file and its creation time, and a row whose key is in the store already is skipped, so running
it twice copies nothing twice, and "copied + already there" always equals the rows found.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from pushover_tui.cli.base import EXIT_OK, CommandMaker, Context, Handler, UsageError
from pushover_tui.safe_text import escape_controls

if TYPE_CHECKING:
    from pushover_tui.store.history import HistoryRow

BATCH = 500  # rows per transaction of an import


def register(command: CommandMaker) -> dict[str, Handler]:
    store = command(
        "store",
        "the store the history lives in: this machine's files, or a team's PostgreSQL "
        "(PUSHOVER_TUI_STORE or store.url; needs pip install 'pushover-tui[postgres]')",
    )
    actions = store.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    status = actions.add_parser(
        "status",
        help="the store's URL (password masked), schema version, rows and bridge queue depth",
        description="the store's URL (password masked), schema version, rows and queue depth",
    )
    status.add_argument("--json", action="store_true", help="print one JSON object")
    copy = actions.add_parser(
        "import",
        help="copy this machine's SQLite history into the configured PostgreSQL store "
        "(safe to run again: nothing is copied twice)",
        description="copy this machine's SQLite history into the configured PostgreSQL store "
        "(safe to run again: nothing is copied twice)",
    )
    copy.add_argument("--json", action="store_true", help="print the counts as JSON")
    return {"store": cmd_store}


def cmd_store(ctx: Context) -> int:
    if ctx.args.store_command == "status":
        return _status(ctx)
    return _import(ctx)


def _status(ctx: Context) -> int:
    from pushover_tui.store.base import open_store
    from pushover_tui.store.config import data_dir

    with open_store(data_dir(ctx.env), ctx.store_url()) as store:
        status = {
            "store": store.location(),
            "backend": store.kind,
            "schema_version": store.schema_version(),
            "rows": store.count(),
            "queue_depth": store.queue_depth(),
        }
    if ctx.args.json:
        ctx.out.json(status)
        return EXIT_OK
    depth = status["queue_depth"]
    queue = "no bridge queue" if depth is None else f"{depth:,} alerts pending"
    where = "this machine's files" if store.kind == "sqlite" else "shared PostgreSQL"
    ctx.out.line(f"store   {escape_controls(status['store'])} ({where})")
    ctx.out.line(f"schema  version {status['schema_version']}")
    ctx.out.line(f"rows    {status['rows']:,}")
    ctx.out.line(f"queue   {queue}")
    return EXIT_OK


def _import(ctx: Context) -> int:
    from pushover_tui.store.base import open_shared_store
    from pushover_tui.store.config import data_dir
    from pushover_tui.store.history import FILE_NAME, History

    url = ctx.store_url()
    if url is None:
        raise UsageError(
            "store import copies this machine's history into a shared PostgreSQL store: set "
            "PUSHOVER_TUI_STORE or store.url (config set store.url -) first."
        )
    source = data_dir(ctx.env) / FILE_NAME
    found = copied = 0
    with open_shared_store(url) as shared:
        shared.schema_version()  # connects (and sets up the tables) before reading anything
        if source.exists():
            host = socket.gethostname()
            with History(source) as local:
                while rows := local.page(offset=found, limit=BATCH, oldest_first=True):
                    found += len(rows)
                    copied += shared.import_rows([(row, import_key(host, row)) for row in rows])
    counts = {
        "from": str(source),
        "to": url.masked(),
        "found": found,
        "copied": copied,
        "already_there": found - copied,
    }
    if ctx.args.json:
        ctx.out.json(counts)
        return EXIT_OK
    ctx.out.line(
        escape_controls(
            f"{found:,} messages in {source}: {copied:,} copied into {url.masked()}, "
            f"{found - copied:,} already there."
        )
    )
    return EXIT_OK


def import_key(host: str, row: HistoryRow) -> str:
    """Which row of which machine's file a copy came from: the same for every run."""
    return f"{host}:{row.id}:{row.created_at!r}"
