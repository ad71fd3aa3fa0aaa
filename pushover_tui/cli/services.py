"""Long-running commands: the dashboard, the simulator, the Sentry bridge."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

from pushover_tui.cli.base import (
    EXIT_BRIDGE_DOWN,
    EXIT_CANNOT_START,
    EXIT_OK,
    EXIT_USAGE,
    CommandMaker,
    Context,
    Handler,
    UsageError,
    float_arg,
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
    simulator.add_argument(
        "--port",
        type=int_arg("port", 0, 65535),
        default=8765,
        help="port to listen on (default: 8765; 0: any free port)",
    )
    simulator.add_argument(
        "--ack-after",
        type=float_arg("--ack-after", 0),
        default=20.0,
        metavar="SECONDS",
        help="acknowledge emergencies after this many seconds (0 = never)",
    )
    simulator.add_argument(
        "--state",
        metavar="FILE",
        type=Path,
        help="seed it from a JSON or TOML file (64 MiB at most) with any of the sections quota, "
        "apps (and the account whose quota each shares), users (with their devices), sounds, "
        "groups (delivery groups), accounts (inbox logins), team (Teams API), licenses "
        "(credits) and subscriptions (codes)",
    )

    bridge = command(
        "bridge",
        "receive Sentry webhooks on POST /sentry and send them as notifications "
        "(needs pip install 'pushover-tui[bridge]')",
    )
    bridge.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (put a reverse proxy in front)"
    )
    bridge.add_argument(
        "--port",
        type=int_arg("port", 0, 65535),
        default=8686,
        help="port to listen on (default: 8686; 0: any free port)",
    )
    bridge.add_argument(
        "--check",
        action="store_true",
        help="ask the bridge running on --host/--port for its health (GET /health), print it "
        "as JSON and exit 0 when healthy, 8 when not or when nothing answers (cron, systemd)",
    )

    serve = command(
        "serve",
        "open the dashboard in a browser: one dashboard per tab, behind an access token "
        "(needs pip install 'pushover-tui[web]')",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (loopback unless --allow-remote)"
    )
    serve.add_argument(
        "--port",
        type=int_arg("port", 0, 65535),
        default=8765,
        help="port to listen on (default: 8765; 0: any free port)",
    )
    # SUPPRESS: `pushover-tui --read-only serve` (the dashboard's own options) works as well.
    serve.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="a wall display: every dashboard shows History, Groups and Inbox live and refuses "
        "to send, edit, delete, acknowledge, change groups or save the config",
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host beyond loopback (put a TLS reverse proxy in front: see the README)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="each dashboard on its own embedded simulator, example keys, throwaway history",
    )
    serve.add_argument(
        "--max-sessions",
        type=int_arg("max-sessions", 1, 64),
        default=4,
        metavar="N",
        help="dashboards open at once, one per browser tab (default 4); the next tab is told so",
    )
    return {"simulator": cmd_simulator, "bridge": cmd_bridge, "serve": cmd_serve}


def cmd_simulator(ctx: Context) -> int:
    from pushover_tui.simulator import StateError
    from pushover_tui.simulator.standalone import (
        CannotListenError,
        RemoteHostError,
        run_standalone,
    )

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
    except CannotListenError as error:
        ctx.out.error(str(error))
        return EXIT_CANNOT_START


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


def cmd_serve(ctx: Context) -> int:
    if importlib.util.find_spec("textual_serve") is None:
        raise UsageError(
            "pushover-tui serve needs the web extra, which is not installed: "
            "run pip install 'pushover-tui[web]'."
        )
    from pushover_tui.web import (
        CannotListenError,
        ServeError,
        ServeSettings,
        access_token,
        check_host,
        dashboard_command,
        is_loopback,
        serve,
    )

    args = ctx.args
    try:
        check_host(args.host, args.allow_remote)
        token, token_from_env = access_token(ctx.env)
    except ServeError as error:
        raise UsageError(str(error)) from None
    if not args.demo:
        ctx.active()  # a broken config or an unknown profile: said now, not in every tab
    if not is_loopback(args.host):
        ctx.out.error(
            f"serving on {args.host}, beyond loopback: the token and the dashboard travel in "
            'clear text unless a TLS reverse proxy is in front (README, "In a browser").'
        )
    settings = ServeSettings(
        host=args.host,
        port=args.port,
        token=token,
        token_from_env=token_from_env,
        max_sessions=args.max_sessions,
        dashboard=dashboard_command(
            config=args.config,
            profile=args.profile,
            api_url=args.api_url,
            demo=args.demo,
            read_only=args.read_only,
        ),
    )

    def show(address: str) -> None:
        mode = ", read-only" if args.read_only else ""
        ctx.out.line(f"Serving the dashboard (at most {args.max_sessions} at once{mode}). Open:")
        ctx.out.line(f"    {address}")
        ctx.out.line("Press Ctrl+C to stop.")
        ctx.out.stdout.flush()

    try:
        serve(settings, show)
    except CannotListenError as error:
        ctx.out.error(str(error))
        return EXIT_CANNOT_START
    return EXIT_OK


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
