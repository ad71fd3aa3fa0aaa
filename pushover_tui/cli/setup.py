"""Commands about this machine's setup: config show/set, locate."""

from __future__ import annotations

from typing import Any

from pushover_tui.cli.base import EXIT_OK, CommandMaker, Context, Handler, global_options
from pushover_tui.cli.groups import shown_recipient


def register(command: CommandMaker) -> dict[str, Handler]:
    config = command("config", "show or change the configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = config_commands.add_parser("show", help="print the settings (secrets masked)")
    global_options(show, suppress=True)
    show.add_argument("--json", action="store_true", help="print one JSON object")
    set_ = config_commands.add_parser(
        "set",
        help="set KEY to VALUE: token, user, priority, retry, expire, sound, device, to "
        "(in the profile) or theme, api_url, default_profile",
    )
    global_options(set_, suppress=True)
    set_.add_argument("key", metavar="KEY")
    set_.add_argument("value", metavar="VALUE")

    locate = command("locate", "print where the config file or the data folder is")
    locate.add_argument("what", choices=("config", "data"))

    return {"config": cmd_config, "locate": cmd_locate}


def cmd_config(ctx: Context) -> int:
    from pushover_tui.store.config import TOP_LEVEL_KEYS, save_config, set_value

    args = ctx.args
    if args.config_command == "set":
        profile = args.profile or ctx.config.default_profile
        config = set_value(ctx.config, profile, args.key, args.value)
        save_config(config)
        shown = "(hidden)" if args.key in ("token", "user", "to") else repr(args.value)
        where = "" if args.key in TOP_LEVEL_KEYS else f" for profile {profile!r}"
        ctx.out.line(f"Set {args.key} = {shown}{where} in {config.path}")
        return EXIT_OK
    active = ctx.active()
    profile = active.profile
    values: dict[str, Any] = {
        "token": profile.token.masked(),
        "user": profile.user.masked(),
        "priority": profile.priority,
        "retry": profile.retry,
        "expire": profile.expire,
        "sound": profile.sound,
        "device": profile.device,
        "to": shown_recipient(profile.to),
        "api_url": active.api_url,
    }
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
    ctx.out.line(f"config   {ctx.config.path}")
    ctx.out.line(
        f"profile  {profile.name} (of {', '.join(p.name for p in ctx.config.profiles) or '-'})"
    )
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
        ctx.out.line(str(ctx.args.config or config_path(ctx.env)))
    else:
        ctx.out.line(str(data_dir(ctx.env)))
    return EXIT_OK
