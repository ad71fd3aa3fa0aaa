"""Commands about this machine's setup: config show/set, locate.

A secret (token, user key, the bridge's secrets) is never needed on the command line, where `ps`
and /proc show it to every local user: `config set KEY -` reads it from standard input, and with
the value left out a terminal asks for it without echo.
"""

from __future__ import annotations

from typing import Any

from pushover_tui.cli.base import (
    EXIT_OK,
    CommandMaker,
    Context,
    Handler,
    UsageError,
    global_options,
    read_text,
)
from pushover_tui.safe_text import escape_controls
from pushover_tui.store.schema import SETTINGS, Scope, setting


def register(command: CommandMaker) -> dict[str, Handler]:
    config = command("config", "show or change the configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = config_commands.add_parser("show", help="print the settings (secrets masked)")
    global_options(show, suppress=True)
    show.add_argument("--json", action="store_true", help="print one JSON object")
    in_profile = [row.key for row in SETTINGS if row.settable and row.scope is Scope.PROFILE]
    file_wide = [row.key for row in SETTINGS if row.settable and row.scope is Scope.FILE]
    set_ = config_commands.add_parser(
        "set",
        help=f"set KEY to VALUE: {', '.join(in_profile)} (in the profile), "
        f"{', '.join(file_wide)}. For a key or secret, VALUE - reads it from standard input, "
        "and with VALUE left out a terminal asks for it without echo",
    )
    global_options(set_, suppress=True)
    set_.add_argument("key", metavar="KEY")
    set_.add_argument("value", metavar="VALUE", nargs="?")

    locate = command("locate", "print where the config file or the data folder is")
    locate.add_argument("what", choices=("config", "data"))

    return {"config": cmd_config, "locate": cmd_locate}


def _secret_value(ctx: Context, key: str) -> str:
    """The secret from standard input (`-`), a no-echo prompt (left out, on a terminal) or,
    for old scripts, the command line itself, with a warning."""
    from pushover_tui.api.checks import is_key

    value = ctx.args.value
    if value == "-":
        value = read_text(ctx.stdin, key).strip()
        if not value:
            raise UsageError(f"standard input was empty: {key} was left unchanged.")
    elif value is None:
        if not ctx.stdin.isatty():
            raise UsageError(
                f"give the value of {key} on standard input with -, e.g. "
                f"`pushover-tui config set {key} - < file`."
            )
        import getpass

        value = getpass.getpass(f"{key} (not shown): ").strip()
        if not value:
            raise UsageError(f"nothing typed: {key} was left unchanged.")
    # `to` may also be a group's name, which is no secret: only a key given there gets this.
    elif key != "to" or is_key(value.strip()):
        ctx.out.error(
            f"warning: a {key} on the command line is visible to other local users (ps); "
            f"next time use `pushover-tui config set {key} -` and give it on standard input."
        )
    if "\n" in value or "\r" in value:
        raise UsageError(f"{key} must be one line of text.")
    return value


def cmd_config(ctx: Context) -> int:
    if ctx.args.config_command == "set":
        return _config_set(ctx)
    return _config_show(ctx)


def _config_set(ctx: Context) -> int:
    from pushover_tui.store.config import save_config, set_value

    key = ctx.args.key
    row = setting(key)  # an unknown key: the sentence naming the keys there are
    if row.secret:
        value = _secret_value(ctx, key)
    elif ctx.args.value is None:
        raise UsageError(f"give the VALUE to set {key} to.")
    else:
        value = ctx.args.value
    profile = ctx.args.profile or ctx.config.default_profile
    config = set_value(ctx.config, profile, key, value)
    save_config(config)
    shown = "(hidden)" if row.secret else repr(value)
    where = f" for profile {profile!r}" if row.scope is Scope.PROFILE else ""
    ctx.out.line(escape_controls(f"Set {key} = {shown}{where} in {config.path}"))
    return EXIT_OK


def _config_show(ctx: Context) -> int:
    args = ctx.args
    active = ctx.active()
    profile = active.profile
    # Every row with a source of its own: the profile's, then the listed file-wide ones.
    rows = [row for row in SETTINGS if row.scope is Scope.PROFILE] + [
        row for row in SETTINGS if row.listed
    ]
    values: dict[str, Any] = {row.key: row.show(active.value(row.key)) for row in rows}
    values["api_url"] = active.api_url  # the effective URL: never blank
    if args.json:
        ctx.out.json(
            {
                "path": str(ctx.config.path),
                "profile": profile.name,
                "profiles": [p.name for p in ctx.config.profiles],
                "theme": ctx.config.theme,
                "settings": values,
                "sources": {key: str(source) for key, source in active.sources.items()},
            }
        )
        return EXIT_OK
    names = ", ".join(p.name for p in ctx.config.profiles) or "-"
    ctx.out.line(escape_controls(f"config   {ctx.config.path}"))
    ctx.out.line(escape_controls(f"profile  {profile.name} (of {names})"))
    ctx.out.table(
        [
            (f"  {key}", f"{value if value != '' else '(blank)'}  [{active.sources.get(key, '')}]")
            for key, value in values.items()
        ]
    )
    return EXIT_OK


def cmd_locate(ctx: Context) -> int:
    from pushover_tui.store.config import config_path, data_dir

    if ctx.args.what == "config":
        ctx.out.line(escape_controls(str(ctx.args.config or config_path(ctx.env))))
    else:
        ctx.out.line(escape_controls(str(data_dir(ctx.env))))
    return EXIT_OK
