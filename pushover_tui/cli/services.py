"""Long-running commands: the dashboard, the simulator, the Sentry bridge."""

from __future__ import annotations

import json
from pathlib import Path

from pushover_tui.cli.base import (
    EXIT_BRIDGE_DOWN,
    EXIT_OK,
    EXIT_USAGE,
    CommandMaker,
    Context,
    Handler,
    UsageError,
    int_arg,
)
from pushover_tui.safe_text import escape_controls


def register(command: CommandMaker) -> dict[str, Handler]:
    simulator = command("simulator", "run the local Pushover simulator")
    simulator.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (loopback unless --allow-remote)"
    )
    simulator.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host beyond loopback: its /_sim/* controls and message log have no "
        "authentication",
    )
    simulator.add_argument("--port", type=int_arg("port", 0, 65535), default=8765)
    simulator.add_argument(
        "--ack-after",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="acknowledge emergencies after this many seconds (0 = never)",
    )
    simulator.add_argument(
        "--state",
        metavar="FILE",
        type=Path,
        help="seed it from a JSON or TOML file with any of the sections quota, apps, users "
        "(with their devices), sounds, groups (delivery groups) and accounts (inbox logins)",
    )

    bridge = command(
        "bridge",
        "receive Sentry webhooks on POST /sentry and send them as notifications "
        "(needs pip install 'pushover-tui[bridge]')",
    )
    bridge.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (put a reverse proxy in front)"
    )
    bridge.add_argument("--port", type=int_arg("port", 0, 65535), default=8686)
    bridge.add_argument(
        "--check",
        action="store_true",
        help="ask the bridge running on --host/--port for its health (GET /health), print it "
        "as JSON and exit 0 when healthy, 8 when not or when nothing answers (cron, systemd)",
    )
    return {"simulator": cmd_simulator, "bridge": cmd_bridge}


def cmd_simulator(ctx: Context) -> int:
    from pushover_tui.simulator import StateError
    from pushover_tui.simulator.server import RemoteHostError, run_standalone

    args = ctx.args

    def show(line: str) -> None:
        ctx.out.line(escape_controls(line))  # a request line holds a received path
        ctx.out.stdout.flush()  # one line per request, as it happens, even into a pipe

    try:
        return run_standalone(
            host=args.host,
            port=args.port,
            ack_after=args.ack_after,
            state=args.state,
            allow_remote=args.allow_remote,
            show=show,
            warn=ctx.out.error,
        )
    except (RemoteHostError, StateError) as error:
        raise UsageError(str(error)) from None


def cmd_bridge(ctx: Context) -> int:
    from pushover_tui.bridge import check_bridge, run_bridge
    from pushover_tui.store.config import data_dir

    args = ctx.args
    if args.check:
        healthy, health = check_bridge(args.host, args.port)
        ctx.out.line(json.dumps(health, indent=2))  # exact JSON: json.dumps escapes controls
        return EXIT_OK if healthy else EXIT_BRIDGE_DOWN
    return run_bridge(
        ctx.config,
        ctx.active(),
        data_dir(ctx.env),
        host=args.host,
        port=args.port,
        env=ctx.env,
        show=ctx.out.line,
        store_url=ctx.store_url(),
    )


def cmd_tui(ctx: Context) -> int:
    from pushover_tui.store.config import ConfigFileError, move_aside
    from pushover_tui.tui.app import run

    args = ctx.args

    def launch() -> int:
        return run(
            config_path=args.config,
            profile=args.profile,
            api_url=args.api_url,
            demo=args.demo,
            read_only=args.read_only,
        )

    try:
        return launch()
    except ConfigFileError as error:
        if not ctx.stdin.isatty():
            raise
        # A broken file is never overwritten: offer to move it aside and start afresh.
        ctx.out.error(str(error))
        print("Move it aside and start with a fresh config? [y/N] ", end="", file=ctx.out.stdout)
        ctx.out.stdout.flush()
        if ctx.stdin.readline().strip().lower() not in ("y", "yes"):
            return EXIT_USAGE
        ctx.out.line(escape_controls(f"Moved it to {move_aside(error.path)}"))
        return launch()
