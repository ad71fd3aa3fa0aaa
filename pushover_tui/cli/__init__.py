"""The command line: `pushover-tui` opens the dashboard, `pushover-tui send ...` and friends are
headless for scripts and cron jobs. This package never imports Textual (start-up time).

Each module registers its commands: `register(command)` adds their parsers and returns a handler
per command name; `main` parses, dispatches and turns every failure into one sentence and a
documented exit code (`base.exit_code`).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from pushover_tui import __version__
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


class _NotRun:
    """Stands in for the parser of a command that is not being run: its options are never
    parsed, and declaring them all cost about 5 ms of every start (argparse formats each one as
    it is added). The command itself is still named, for the usage line and `--help`."""

    def __getattr__(self, name: str) -> Callable[..., _NotRun]:
        return lambda *args, **kwargs: self


# The global options that take a value (global_options): skipped when looking for the command.
_VALUED_OPTIONS = frozenset({"--profile", "--api-url", "--config"})


def _command_in(argv: Sequence[str]) -> str | None:
    """The first word of `argv` that is not a global option or its value: the command's name
    if there is one (argparse checks it); None without one (the dashboard)."""
    words = iter(argv)
    for word in words:
        # argparse takes a long option's unambiguous prefix too (`--prof work`).
        if word.startswith("--") and len(word) > 2 and "=" not in word:
            if any(option.startswith(word) for option in _VALUED_OPTIONS):
                next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _asks_for_help(argv: Sequence[str]) -> bool:
    """-h, --help or a prefix argparse takes for it (`--he`)."""
    return any(word == "-h" or (len(word) > 2 and "--help".startswith(word)) for word in argv)


def _build(only: str | None = None) -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    """The parser and each command's handler; with `only`, the other commands are named but
    their options left out (main parses one command line); with `only=""`, the dashboard's
    options alone, no command named (a bare `pushover-tui`: naming every command took ~3 ms of
    the dashboard's start, and only --help shows them)."""
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
    if only == "":
        parser.set_defaults(command=None)
        return parser, {}
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        if only is not None and name != only:
            commands.add_parser(name, help=help_text, add_help=False)
            return _NotRun()  # type: ignore[return-value]
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        global_options(sub, suppress=True)
        return sub

    # Imported here, not at the top: main imports them with the cyclic collector paused.
    from pushover_tui.cli import account, groups, inbox, messages, services, setup, store

    handlers: dict[str, Handler] = {}
    for module in (messages, groups, account, inbox, setup, store, services):
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
    # Start-up makes many objects (modules, classes, the parser) and no garbage, yet the cyclic
    # collector ran ~60 times in a `send`, and once more over all of them at exit: paused until
    # the command line is parsed; in this process's own run (no `argv`) what start-up made is
    # then frozen out of its reach (it lives until the process ends). The command itself runs
    # with the collector as usual: an error path may leave a connection in a reference cycle.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(argv, collecting, env, stdin, stdout, stderr)
    finally:
        if collecting:
            gc.enable()


def _run(
    argv: Sequence[str] | None,
    collecting: bool,
    env: Mapping[str, str] | None,
    stdin: TextIO | None,
    stdout: TextIO | None,
    stderr: TextIO | None,
) -> int:
    env = os.environ if env is None else env
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    out = Output(stdout, stderr, env)
    # Only the command being run gets its options ("": the dashboard's alone).
    words = sys.argv[1:] if argv is None else argv
    command = _command_in(words)
    parser, handlers = _build(command or (None if _asks_for_help(words) else ""))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    # Start-up is over (main), except the dashboard's: in this process's own run it goes on
    # until the first frame, which resumes the collector (tui/startup.py, FastStartApp.run).
    dashboard = args.command is None and argv is None
    if collecting and not dashboard:
        if argv is None:
            gc.freeze()
        gc.enable()
    ctx = Context(args, env, out, stdin)
    from pushover_tui.cli import services

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
