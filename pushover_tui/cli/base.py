"""What every command shares: exit codes, the error-to-sentence mapping, output, the context.

Human output never carries a control character from received or stored text (an API error, a
device name, a path): `Output.table` and `Output.error` escape them, and commands escape what they
put into `Output.line` themselves (it also prints our own colours). `--json` is left as it is.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pushover_tui.api.errors import (
    ConfigurationError,
    FieldProblemsError,
    GroupNameError,
    NoCredentialsError,
    PushoverError,
    QuotaExceededError,
    RejectedError,
    TemporaryError,
)
from pushover_tui.safe_text import escape_controls

if TYPE_CHECKING:
    from pushover_tui.outbox import Outbox
    from pushover_tui.store.config import ActiveProfile, Config
    from pushover_tui.store.url import StoreURL

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_QUOTA = 4
EXIT_TEMPORARY = 5
EXIT_NO_CREDENTIALS = 6
EXIT_NOT_ACKNOWLEDGED = 7
EXIT_BRIDGE_DOWN = 8
EXIT_CANNOT_START = 8  # the same code: a service (bridge, simulator, serve) cannot start
EXIT_INTERRUPTED = 130
# 128 + the signal's number, as shells report a process a signal ended.
EXIT_HANGUP = 129
EXIT_TERMINATED = 143

EXIT_CODES_HELP = """\
exit codes:
  0  success (with --wait: the emergency was acknowledged)
  1  anything unexpected
  2  usage error or field problems (nothing sent)
  3  rejected by the Pushover API (bad key, field, device...)
  4  monthly quota exceeded (HTTP 429)
  5  temporary failure after retries (server error, timeout, no connection, redirect),
     or the shared store (PUSHOVER_TUI_STORE) unreachable: nothing sent
  6  no credentials configured (token and user key)
  7  with --wait: the emergency expired or was cancelled unacknowledged
  8  bridge, simulator or serve: cannot start (port in use, a host it cannot listen on;
     bridge: data folder used by another bridge, damaged database);
     bridge --check: not answering, not healthy, or not a bridge
  130  interrupted (Ctrl-C); with --wait the alert goes on
  129, 143  group oncall: stopped by SIGHUP (a closed terminal) or SIGTERM (systemd, timeout)
     mid-swap; what it had changed was undone, as for Ctrl-C
"""


class UsageError(Exception):
    """Bad command-line input: exit 2 with this sentence."""


# -- argument parsing ------------------------------------------------------------------------

# Makes one subcommand's parser: command(name, help) -> parser with the global options.
CommandMaker = Callable[[str, str], argparse.ArgumentParser]
# Runs one command; returns its exit code.
Handler = Callable[["Context"], int]


def global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--profile/--api-url/--config, accepted before or after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--profile", metavar="NAME", default=default, help="profile to use")
    parser.add_argument(
        "--api-url", metavar="URL", default=default, help="Pushover API base URL (e.g. simulator)"
    )
    parser.add_argument(
        "--config", metavar="PATH", type=Path, default=default, help="config file to use"
    )


def int_arg(name: str, low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, not {text!r}"
            ) from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{name} must be between {low} and {high}")
        return value

    return parse


def float_arg(name: str, low: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, not {text!r}") from None
        if not math.isfinite(value) or value < low:
            raise argparse.ArgumentTypeError(f"{name} must be {low:g} or more, not {text}")
        return value

    return parse


# -- output ----------------------------------------------------------------------------------


class Output:
    """Human or JSON output; colour only on a terminal and when NO_COLOR is unset."""

    def __init__(self, stdout: TextIO, stderr: TextIO, env: Mapping[str, str]) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.colour = stdout.isatty() and not env.get("NO_COLOR")

    def line(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def json(self, value: Any) -> None:
        print(json.dumps(value, ensure_ascii=False, indent=2), file=self.stdout)

    def table(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label and value per line; a cell never keeps a control character (nor a newline)."""
        rows = [(escape_controls(label), escape_controls(value)) for label, value in rows]
        width = max((len(label) for label, _ in rows), default=0)
        for label, value in rows:
            self.line(f"{label:<{width}}  {value}")

    def good(self, text: str) -> str:
        return f"\033[32m{text}\033[0m" if self.colour else text

    def error(self, text: str) -> None:
        """One sentence per line on stderr; each line's control characters escaped."""
        text = "\n".join(escape_controls(line) for line in text.split("\n"))
        print(f"pushover-tui: {text}", file=self.stderr)


def when(timestamp: float | int | None) -> str:
    """Local date and time; "-" when not set, "unknown" when no calendar can show it."""
    if not timestamp:
        return "-"
    try:
        return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):  # e.g. year 10000, or past the C time_t
        return "unknown"


def read_text(stream: TextIO, field: str) -> str:
    """All of `stream` as UTF-8 text, whatever the locale says: bytes that are not UTF-8 are a
    field problem (exit 2), never a UnicodeDecodeError."""
    raw = getattr(stream, "buffer", None)
    data = raw.read() if raw is not None else stream.read()
    if isinstance(data, str):  # a text-only stream (tests, an embedding program)
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        from pushover_tui.api.checks import Problem

        problem = (
            f"Standard input is not valid UTF-8 text (byte 0x{data[error.start]:02x} at position "
            f"{error.start}): convert it, e.g. with iconv -t UTF-8."
        )
        raise FieldProblemsError([Problem(field, problem)]) from None


# -- context ---------------------------------------------------------------------------------


class Context:
    """What every command needs: parsed options, environment, streams and the config."""

    def __init__(
        self, args: argparse.Namespace, env: Mapping[str, str], out: Output, stdin: TextIO
    ) -> None:
        self.args = args
        self.env = env
        self.out = out
        self.stdin = stdin
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from pushover_tui.store.config import load_config

            self._config = load_config(self.args.config, env=self.env)
        return self._config

    def active(self) -> ActiveProfile:
        from pushover_tui.store.config import resolve

        name = self.args.profile
        if name and self.config.profiles and not self.config.has_profile(name):
            known = ", ".join(self.config.profile_names)
            raise UsageError(
                f"No profile named {name!r} in {self.config.path} (profiles: {known})."
            )
        return resolve(self.config, name, api_url=self.args.api_url, env=self.env)

    def outbox(self) -> Outbox:
        from pushover_tui.outbox import Outbox
        from pushover_tui.store.config import data_dir

        return Outbox.open(
            self.active(), data_dir(self.env), origin="cli", store_url=self.store_url()
        )

    def store_url(self) -> StoreURL | None:
        """The shared store's URL (PUSHOVER_TUI_STORE, else the config's store.url), or None
        for this machine's files."""
        from pushover_tui.store.url import store_url

        return store_url(self.env, self.config.store_url.reveal())


# -- errors ----------------------------------------------------------------------------------


def exit_code(error: BaseException) -> int:
    """The documented exit code for an error."""
    from pushover_tui.bridge import BridgeDownError
    from pushover_tui.outbox import SendFailed
    from pushover_tui.store.base import StoreUnreachableError
    from pushover_tui.store.config import ConfigFileError

    if isinstance(error, BridgeDownError):
        return EXIT_BRIDGE_DOWN
    if isinstance(error, SendFailed) and error.row_id is None:
        return exit_code(error.history_error)  # nothing recorded, nothing sent: say why
    if isinstance(error, NoCredentialsError):
        return EXIT_NO_CREDENTIALS
    usage = UsageError | FieldProblemsError | GroupNameError | ConfigurationError | ConfigFileError
    if isinstance(error, usage):
        return EXIT_USAGE
    if isinstance(error, QuotaExceededError):
        return EXIT_QUOTA
    if isinstance(error, RejectedError):
        return EXIT_REJECTED
    if isinstance(error, TemporaryError | StoreUnreachableError):
        return EXIT_TEMPORARY
    return EXIT_UNEXPECTED


def describe(error: BaseException) -> str:
    """One sentence (one line per field problem), received text escaped: an API's error text
    cannot add a line of its own, nor reach the terminal as a control sequence."""
    if isinstance(error, FieldProblemsError):
        count = len(error.problems)
        lines = [f"{count} problem{'s' if count > 1 else ''}; nothing was sent or saved:"]
        lines += [
            f"  {escape_controls(problem.field)}: {escape_controls(problem.text)}"
            for problem in error.problems
        ]
        return "\n".join(lines)
    if isinstance(error, QuotaExceededError) and error.reset:
        return f"{escape_controls(str(error))} Quota resets {when(error.reset)}."
    if isinstance(error, PushoverError | UsageError):
        return escape_controls(str(error))
    # Unexpected: a short sentence, no traceback (it could hold a secret in its locals).
    return f"unexpected error ({type(error).__name__}); please report it."
