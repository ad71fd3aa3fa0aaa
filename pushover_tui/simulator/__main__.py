"""`python -m pushover_tui.simulator`: run the simulator in the foreground."""

import argparse

from pushover_tui.simulator.standalone import CannotListenError, RemoteHostError, run_standalone
from pushover_tui.simulator.state import StateError


def main() -> int:
    parser = argparse.ArgumentParser(description="Serve a local stand-in for the Pushover API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="listen on a host beyond loopback (the /_sim/* controls have no authentication)",
    )
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--ack-after", type=float, default=20.0, help="0 = never acknowledge")
    parser.add_argument("--monthly-limit", type=int, default=10_000)
    parser.add_argument("--state", metavar="FILE", help="JSON or TOML state file")
    args = parser.parse_args()
    if not args.ack_after >= 0 or args.ack_after == float("inf"):  # nan fails >= too
        parser.error(f"--ack-after must be 0 or more, not {args.ack_after}")
    try:
        return run_standalone(
            args.host,
            args.port,
            args.ack_after,
            args.monthly_limit,
            args.state,
            allow_remote=args.allow_remote,
        )
    except (RemoteHostError, StateError) as error:
        parser.error(str(error))
    except CannotListenError as error:
        parser.exit(8, f"{parser.prog}: {error}\n")  # 8: cannot start, as pushover-tui says


if __name__ == "__main__":
    raise SystemExit(main())
