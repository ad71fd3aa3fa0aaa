"""How the Groups mode words things: pure functions, no widgets.

Every text Pushover gave (group names, memos, devices) passes `escape_controls` here, once.
Keys are shown masked (`uQiR••••`), a group's own key too: only `group list` and `group create`
on the command line print it in full (issue 16). The screen's header shows the selected group's
key in full only while asked to (groups.reveal), on a line of its own, to copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pushover_tui.api.checks import Problem, check_group_device, check_key, check_memo
from pushover_tui.api.errors import (
    APIError,
    FieldProblemsError,
    NoCredentialsError,
    PushoverError,
    QuotaExceededError,
)
from pushover_tui.api.models import Group, GroupMember
from pushover_tui.api.secret import Secret
from pushover_tui.oncall import OnCallError, OnCallPlan
from pushover_tui.safe_text import escape_controls
from pushover_tui.tui.wording import masked_key, quota_reset

ALL_DEVICES = "all devices"


def group_name(group: Group) -> str:
    """A group for people: its name, else its masked key."""
    return escape_controls(group.name) or group_key(group)


def group_key(group: Group, *, full: bool = False) -> str:
    """A group's key: masked, or (`full`) as Pushover gave it."""
    return group.key.reveal() if full else masked_key(group.key.masked())


def who(member: GroupMember) -> str:
    """A membership for people: "Bob (all devices)", or the masked key when there is no memo."""
    name = escape_controls(member.memo) or masked_key(member.user.masked())
    return f"{name} ({escape_controls(member.device) or ALL_DEVICES})"


def state(member: GroupMember) -> str:
    """Readable without colour: the word is the state."""
    return "disabled" if member.disabled else "enabled"


def member_cells(member: GroupMember) -> tuple[str, str, str, str]:
    """State, memo, device and masked user key: a row of the member table."""
    return (
        state(member),
        escape_controls(member.memo) or "—",
        escape_controls(member.device) or ALL_DEVICES,
        masked_key(member.user.masked()),
    )


def summary(group: Group) -> str:
    count = len(group.members)
    if not count:
        return "no members yet"
    enabled = sum(not member.disabled for member in group.members)
    return f"{count} member{'s' if count != 1 else ''}, {enabled} enabled"


def people(members: Sequence[GroupMember]) -> str:
    return ", ".join(who(member) for member in members) or "nobody"


def oncall_text(plan: OnCallPlan) -> str:
    """The confirmation: who is on call now, who will be, and the changes that get there."""
    changes = ", ".join(escape_controls(step.describe()) for step in plan.steps)
    return (
        f"On call now: {people(plan.before)}.\n"
        f"After: {people(plan.now)}.\n"
        f"Changes: {changes}.\n"
        "All or nothing: if a change fails, the ones already made are undone."
    )


def member_problems(
    user: str, device: str, memo: str, members: Sequence[GroupMember] = ()
) -> list[Problem]:
    """The add-member form's checks (the client's own), and a membership already there."""
    problems = check_key("user", user, "user key") + check_group_device(device) + check_memo(memo)
    if not problems and any(m.user == Secret(user) and m.device == device for m in members):
        where = f"on {device}" if device else f"on {ALL_DEVICES}"
        problems.append(Problem("user", f"This user is already in the group {where}."))
    return problems


def failure_text(error: PushoverError, key: Callable[[str], str]) -> str:
    """The sentence under a failure's title ("Could not add Dave (ipad)"): Pushover's (or the
    check's) reason, what was undone, and what to do next. `key(binding_id)` names a key as it
    is bound now."""
    if isinstance(error, OnCallError):
        reason = f"{_reason(error.cause)}; {error.undo.text()} {_advice(error.cause, key)}"
    else:
        reason = f"{_reason(error)}. {_advice(error, key)}"
    return reason[:1].upper() + reason[1:]


def _reason(error: PushoverError) -> str:
    if isinstance(error, NoCredentialsError):
        return "this profile has no application token and user key yet"
    if isinstance(error, FieldProblemsError):
        return " ".join(problem.text for problem in error.problems).rstrip(".")
    if isinstance(error, APIError) and error.errors and not isinstance(error, QuotaExceededError):
        return "Pushover says " + "; ".join(escape_controls(e) for e in error.errors)
    return escape_controls(str(error)).rstrip(".")


def _advice(error: PushoverError, key: Callable[[str], str]) -> str:
    if isinstance(error, QuotaExceededError):
        return f"{quota_reset(error.reset)} Try again then."
    if isinstance(error, APIError) and "token" in error.fields:
        return f"Check the application token in Config ({key('mode.config')})."
    if isinstance(error, APIError):
        return f"Press {key('groups.reload')} to see the group as Pushover has it, then try again."
    if isinstance(error, FieldProblemsError):
        return "Correct it and try again."
    if isinstance(error, NoCredentialsError):
        return f"Set them up in Config ({key('mode.config')})."
    return f"Try again in a moment ({key('groups.reload')} reloads)."
