"""The command line: `pushover-tui` opens the dashboard, `pushover-tui send ...` and friends are
headless for scripts and cron jobs. This package never imports Textual (start-up time).

Each module registers its commands: `register(command)` adds their parsers and returns a handler
per command name; `main` parses, dispatches and turns every failure into one sentence and a
documented exit code (`base.exit_code`).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from pushover_tui import __version__
from pushover_tui.cli import account, groups, inbox, messages, services, setup, store
from pushover_tui.cli.base import (
    EXIT_BRIDGE_DOWN,
    EXIT_CODES_HELP,
    EXIT_HANGUP,
    EXIT_INTERRUPTED,
    EXIT_NO_CREDENTIALS,
    EXIT_NOT_ACKNOWLEDGED,
    EXIT_OK,
    EXIT_QUOTA,
    EXIT_REJECTED,
    EXIT_TEMPORARY,
    EXIT_TERMINATED,
    EXIT_UNEXPECTED,
    EXIT_USAGE,
    Context,
    Handler,
    Output,
    describe,
    exit_code,
    global_options,
)
from pushover_tui.safe_text import EscapeControlsFilter

__all__ = [
    "EXIT_BRIDGE_DOWN",
    "EXIT_HANGUP",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_ACKNOWLEDGED",
    "EXIT_NO_CREDENTIALS",
    "EXIT_OK",
    "EXIT_QUOTA",
    "EXIT_REJECTED",
    "EXIT_TEMPORARY",
    "EXIT_TERMINATED",
    "EXIT_UNEXPECTED",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

_COMMAND_MODULES = (messages, groups, account, inbox, setup, store, services)


def _build() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    parser = argparse.ArgumentParser(
        prog="pushover-tui",
        description="Send, verify and follow Pushover notifications. "
        "Without a command, opens the terminal dashboard.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pushover-tui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the dashboard on the embedded simulator, example keys, throwaway history",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="open the dashboard to look only: nothing is sent, edited, deleted, acknowledged "
        "or saved (with --demo too)",
    )
    global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        global_options(sub, suppress=True)
        return sub

    handlers: dict[str, Handler] = {}
    for module in _COMMAND_MODULES:
        handlers.update(module.register(command))
    return parser, handlers


def build_parser() -> argparse.ArgumentParser:
    return _build()[0]


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    env = os.environ if env is None else env
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    out = Output(stdout, stderr, env)
    parser, handlers = _build()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    ctx = Context(args, env, out, stdin)
    handler = services.cmd_tui if args.command is None else handlers[args.command]
    # The dashboard draws on the terminal, and the bridge sets up its own log lines.
    warnings = None if args.command in (None, "bridge") else _log_warnings(stderr)
    try:
        return int(handler(ctx))
    except KeyboardInterrupt:
        out.error("interrupted.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stay quiet, exit 0. Python's own flush of
        # stdout at exit would fail again: point the process's stdout at /dev/null first.
        if stdout is sys.stdout:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # every failure becomes one sentence and a documented code
        out.error(describe(error))
        return exit_code(error)
    finally:
        if warnings is not None:
            logging.getLogger().removeHandler(warnings)


def _log_warnings(stderr: TextIO) -> logging.Handler:
    """Warnings the send pipeline logs (a receipt poll that failed, an inbox download tried
    again) as one line each on stderr, like the errors: without a handler Python's last resort
    would print them with their control characters raw."""
    handler = logging.StreamHandler(stderr)
    handler.setLevel(logging.WARNING)
    handler.addFilter(EscapeControlsFilter(tracebacks=False))
    handler.setFormatter(logging.Formatter("pushover-tui: %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler
