"""The async Pushover client: one httpx.AsyncClient, form posts, bounded polite retries."""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

if "httpx" not in sys.modules:
    # httpx's __init__ imports its optional command-line tool (httpx._main), which loads click,
    # rich and pygments whenever they are installed (Textual brings rich and pygments): about
    # 60 ms on every `pushover-tui send`. We never use that tool: let httpx take its fallback,
    # then forget the marker so an explicit `import httpx._main` still works.
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
    try:
        import httpx
    finally:
        if "httpx._main" in sys.modules and sys.modules["httpx._main"] is None:
            del sys.modules["httpx._main"]
import httpx

from pushover_tui import __version__
from pushover_tui.api.beyond_messages import BeyondMessages
from pushover_tui.api.checks import (
    Problem,
    check_api_url,
    check_attachment_size,
    check_group_device,
    check_group_key,
    check_group_name,
    check_image,
    check_key,
    check_memo,
    is_key,
)
from pushover_tui.api.closing import AsyncClosing
from pushover_tui.api.errors import (
    ConfigurationError,
    FieldProblemsError,
    QuotaExceededError,
    RejectedError,
    TemporaryError,
    UnexpectedResponseError,
)
from pushover_tui.api.images import HEAD_SIZE, image_type
from pushover_tui.api.models import (
    Group,
    GroupMember,
    Message,
    Quota,
    Receipt,
    SendProgress,
    SendResult,
    UserCheck,
    find_group,
    int_or_none,
)
from pushover_tui.api.secret import Secret, redact, redact_url
from pushover_tui.safe_text import escape_controls

DEFAULT_BASE_URL = "https://api.pushover.net/1"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)  # Pushover answers in well under a second
RETRY_GAP = 5.0  # Pushover: never retry sooner than 5 seconds after the previous request
DEFAULT_RETRIES = 2
MAX_CONNECTIONS = 2  # Pushover: at most 2 concurrent connections

_PATH_KEY = re.compile(r"\{(\w+)\}")


class _RedactQueryFilter(logging.Filter):
    """httpx logs every request URL at INFO; receipt and sounds URLs carry the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


# Quiet by default, and redacted for whoever turns httpx logging on (DEBUG, a server's config).
logging.getLogger("httpx").setLevel(logging.WARNING)
if not any(isinstance(f, _RedactQueryFilter) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_RedactQueryFilter())

Sleep = Callable[[float], Awaitable[None]]
Progress = Callable[[SendProgress], None]
log = logging.getLogger(__name__)


def check_base_url(url: str) -> str:
    """The API base URL without a trailing slash; plain http only for loopback hosts."""
    url = url.strip()
    if not url:
        raise ConfigurationError("The API URL is empty: leave the setting out for the real API.")
    if problems := check_api_url(url):
        raise ConfigurationError(problems[0].text)
    # The API lives under /1: a bare host means that version.
    return url.rstrip("/") + ("/1" if urlsplit(url).path in ("", "/") else "")


_HEADER_INT = re.compile(r"[0-9]{1,19}")  # ASCII digits only: int() would take "1_0" or "١٢"


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if _HEADER_INT.fullmatch(value) else None


def quota_from_headers(headers: httpx.Headers) -> Quota:
    """Missing, malformed or out-of-range quota headers mean "unknown", never an error: the
    outcome of the request stands whatever they say (Quota drops values out of range)."""
    return Quota(
        limit=_int_header(headers, "X-Limit-App-Limit"),
        remaining=_int_header(headers, "X-Limit-App-Remaining"),
        reset=_int_header(headers, "X-Limit-App-Reset"),
    )


_HTML = re.compile(r"\s*<(!doctype html|html|head|body)\b", re.IGNORECASE)
_HTML_HEADING = re.compile(r"<h1\b[^>]*>(.*?\w.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_TITLE = re.compile(r"<title\b[^>]*>(.*?\w.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HTML_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]*>")


def _status_name(status: int) -> str:
    """ "HTTP 503 Service Unavailable": the code and its standard name."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _excerpt(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _checked(*problem_lists: list[Problem]) -> None:
    """Raise FieldProblemsError (nothing sent) when any check found a problem."""
    if problems := [problem for problems in problem_lists for problem in problems]:
        raise FieldProblemsError(problems)


def _receipt_path(receipt: str) -> str:
    if not is_key(receipt):
        raise FieldProblemsError(
            [Problem("receipt", "A receipt is 30 letters and digits, as given when sending.")]
        )
    return receipt


def _needs_tls(base_url: str) -> bool:
    """False only for a plain-http API (check_base_url allows that on loopback alone) reached
    without a proxy: no request of this client can then use TLS, so it skips building a TLS
    context, which loads the CA bundle (20-50 ms of every `pushover-tui send` to a simulator).
    Every https URL, and every proxy (which may be https), keeps verification on."""
    if not base_url.startswith("http://"):
        return True
    proxies = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    return any(os.environ.get(name) or os.environ.get(name.lower()) for name in proxies)


class PushoverClient(AsyncClosing, BeyondMessages):
    """Talks to the Pushover API. Use as `async with PushoverClient(token) as client:`.
    Glances, teams, licenses and subscriptions: api/beyond_messages.py.

    `token=None` makes a client without an application token, for the Open Client's calls, which
    authenticate with a session secret instead (api/open_client.py)."""

    def __init__(
        self,
        token: Secret | str | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        sleep: Sleep = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._token = None if token is None else Secret(token)
        self.base_url = check_base_url(base_url)
        self.retries = max(0, retries)
        self._sleep = sleep
        # TLS verification stays on (httpx's default); HTTP(S)_PROXY is honoured via trust_env.
        self._http = httpx.AsyncClient(
            verify=_needs_tls(self.base_url),
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
            ),
            headers={"User-Agent": f"pushover-tui/{__version__}"},
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- endpoints -------------------------------------------------------------------------

    async def send(
        self, user: Secret | str, message: Message, *, progress: Progress | None = None
    ) -> SendResult:
        """POST messages.json; multipart when the message has an attachment. `progress` hears
        each attempt as it starts, and each wait before a retry as it begins."""
        files = None
        if message.attachment is not None:
            try:
                content = message.attachment.read()
            except OSError as error:
                problem = f"Cannot read the attachment: {error.strerror or error}."
                raise FieldProblemsError([Problem("attachment", problem)]) from None
            # The bytes actually sent decide (the file may have changed since the check).
            head = content[:HEAD_SIZE]
            filename = message.attachment.filename
            if problems := check_attachment_size(len(content)) or check_image(filename, head):
                raise FieldProblemsError(problems)
            kind = image_type(head)
            files = {"attachment": (message.attachment.filename, content, kind)}
        body, headers = await self._call(
            "POST",
            "/messages.json",
            form=message.form(),
            user=Secret(user),
            files=files,
            progress=progress,
        )
        receipt = body.get("receipt")
        return SendResult(
            request=str(body.get("request", "")),
            # Only a string can be a receipt: anything else would be polled forever in vain.
            receipt=receipt if isinstance(receipt, str) and receipt else None,
            quota=quota_from_headers(headers),
        )

    async def validate_user(self, user: Secret | str, device: str = "") -> UserCheck:
        """POST users/validate.json; a bad key raises RejectedError naming the field."""
        form = {"device": device} if device else {}
        body, _ = await self._call("POST", "/users/validate.json", form=form, user=Secret(user))
        return UserCheck(
            devices=_texts(body.get("devices")),
            licenses=_texts(body.get("licenses")),
            group=bool(body.get("group")),
            request=str(body.get("request", "")),
        )

    async def sounds(self) -> dict[str, str]:
        body, _ = await self._call("GET", "/sounds.json")
        sounds = body.get("sounds")
        if not isinstance(sounds, dict):
            raise UnexpectedResponseError(
                "sounds.json answered without a sound list", status_code=200
            )
        return {str(name): str(description) for name, description in sounds.items()}

    async def limits(self) -> Quota:
        body, _ = await self._call("GET", "/apps/limits.json")
        return Quota(
            limit=int_or_none(body.get("limit")),
            remaining=int_or_none(body.get("remaining")),
            reset=int_or_none(body.get("reset")),
        )

    async def receipt(self, receipt: str, *, retries: int | None = None) -> Receipt:
        """GET receipts/{receipt}.json; `retries` overrides the client's (the receipt tracker
        asks for none: it schedules its own polls, and a retry here would dodge that schedule)."""
        path = f"/receipts/{_receipt_path(receipt)}.json"
        body, _ = await self._call("GET", path, retries=retries)
        return Receipt(
            receipt=receipt,
            acknowledged=bool(int_or_none(body.get("acknowledged"))),
            acknowledged_at=int_or_none(body.get("acknowledged_at")) or 0,
            # A user key: only a masked hint leaves the client.
            acknowledged_by=Secret(str(body.get("acknowledged_by") or "")).masked()
            if body.get("acknowledged_by")
            else "",
            acknowledged_by_device=str(body.get("acknowledged_by_device") or ""),
            last_delivered_at=int_or_none(body.get("last_delivered_at")) or 0,
            expired=bool(int_or_none(body.get("expired"))),
            expires_at=int_or_none(body.get("expires_at")) or 0,
            called_back=bool(int_or_none(body.get("called_back"))),
            called_back_at=int_or_none(body.get("called_back_at")) or 0,
        )

    async def cancel_receipt(self, receipt: str) -> str:
        """Stop an emergency's retries; returns the request id."""
        body, _ = await self._call("POST", f"/receipts/{_receipt_path(receipt)}/cancel.json")
        return str(body.get("request", ""))

    async def cancel_by_tag(self, tag: str) -> int:
        """Cancel every active emergency carrying `tag`; returns how many were cancelled."""
        if not tag or "," in tag:
            raise FieldProblemsError([Problem("tag", "Give one tag, without commas.")])
        path = f"/receipts/cancel_by_tag/{quote(tag, safe='')}.json"
        body, _ = await self._call("POST", path)
        return int_or_none(body.get("canceled")) or 0

    # -- delivery groups (only the owning account's app tokens may use these) --------------

    async def list_groups(self) -> tuple[Group, ...]:
        """GET groups.json: the account's groups, keys and names (members: `show_group`).
        An entry whose key is not 30 letters and digits is left out: nothing could use it."""
        body, _ = await self._call("GET", "/groups.json")
        groups = body.get("groups")
        if not isinstance(groups, list):
            raise UnexpectedResponseError(
                "groups.json answered without a group list", status_code=200
            )
        return tuple(
            Group(Secret(item["group"]), str(item.get("name") or ""))
            for item in groups
            if isinstance(item, dict)
            and isinstance(item.get("group"), str)
            and is_key(item["group"])
        )

    async def find_group(self, group: Secret | str) -> Group:
        """A group from its key or its name. 30 letters and digits are taken as a key, with no
        request (any app may send to any group key); anything else is looked up by name among
        the account's groups (GroupNameError when none or several match)."""
        text = Secret(group).reveal().strip()
        if is_key(text):
            return Group(Secret(text))
        return find_group(await self.list_groups(), text)

    async def create_group(self, name: str) -> Group:
        """POST groups.json; the new group's key."""
        _checked(check_group_name(name))
        body, _ = await self._call("POST", "/groups.json", form={"name": name})
        key = body.get("group")
        if not isinstance(key, str) or not is_key(key):
            raise UnexpectedResponseError(
                "groups.json created a group but gave no group key", status_code=200
            )
        return Group(Secret(key), name)

    async def show_group(self, group: Secret | str) -> Group:
        """GET groups/{key}.json: the name and every membership (one per device binding)."""
        key = _group(group)
        body, _ = await self._call("GET", "/groups/{group}.json", secrets={"group": key})
        users = body.get("users")
        members = tuple(
            GroupMember(
                user=Secret(str(item.get("user") or "")),
                device=str(item.get("device") or ""),
                memo=str(item.get("memo") or ""),
                disabled=bool(int_or_none(item.get("disabled"))),  # false/true or 0/1
            )
            for item in (users if isinstance(users, list) else [])
            if isinstance(item, dict) and item.get("user")
        )
        return Group(key, str(body.get("name") or ""), members)

    async def add_group_user(
        self, group: Secret | str, user: Secret | str, *, device: str = "", memo: str = ""
    ) -> str:
        """POST groups/{key}/add_user.json; returns the request id."""
        return await self._member_call("add_user", group, user, device, memo)

    async def remove_group_user(
        self, group: Secret | str, user: Secret | str, *, device: str = ""
    ) -> str:
        """POST groups/{key}/remove_user.json (the current name of the older delete_user.json):
        without a device, every binding of the user goes."""
        return await self._member_call("remove_user", group, user, device)

    async def disable_group_user(
        self, group: Secret | str, user: Secret | str, *, device: str = ""
    ) -> str:
        """POST groups/{key}/disable_user.json: the member stays listed but receives nothing."""
        return await self._member_call("disable_user", group, user, device)

    async def enable_group_user(
        self, group: Secret | str, user: Secret | str, *, device: str = ""
    ) -> str:
        """POST groups/{key}/enable_user.json."""
        return await self._member_call("enable_user", group, user, device)

    async def rename_group(self, group: Secret | str, name: str) -> str:
        """POST groups/{key}/rename.json; the key stays the same. Returns the request id."""
        _checked(check_group_name(name))
        body, _ = await self._call(
            "POST",
            "/groups/{group}/rename.json",
            form={"name": name},
            secrets={"group": _group(group)},
        )
        return str(body.get("request", ""))

    async def _member_call(
        self, action: str, group: Secret | str, user: Secret | str, device: str, memo: str = ""
    ) -> str:
        """One of the membership calls; every field checked before anything is sent."""
        key, member = Secret(group), Secret(user)
        _checked(
            check_group_key(key.reveal()),
            check_key("user", member.reveal(), "user key"),
            check_group_device(device),
            check_memo(memo),
        )
        form = {name: value for name, value in (("device", device), ("memo", memo)) if value}
        body, _ = await self._call(
            "POST",
            f"/groups/{{group}}/{action}.json",
            form=form,
            user=member,
            secrets={"group": key},
        )
        return str(body.get("request", ""))

    # -- transport -------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        user: Secret | None = None,
        files: dict[str, Any] | None = None,
        secrets: Mapping[str, Secret] | None = None,
        retries: int | None = None,
        progress: Progress | None = None,
    ) -> tuple[dict[str, Any], httpx.Headers]:
        """One API call with the retry policy: only temporary failures are retried, 5 s apart.

        `user` and `secrets` are merged in only as the request is built (a secret named in the
        path as `{name}` goes there, the others into the form), and redacted from every error."""
        keys = {**(secrets or {}), **({} if user is None else {"user": user})}
        attempts = (self.retries if retries is None else max(0, retries)) + 1
        failure = ""
        status: int | None = None  # the last attempt's HTTP answer
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                _report(progress, SendProgress(attempt, attempts, RETRY_GAP, failure))
                await self._sleep(RETRY_GAP)
            _report(progress, SendProgress(attempt, attempts, 0.0, failure))
            try:
                # Built and sent in one expression: no local variable holds the bare token.
                response = await self._http.send(self._build(method, path, form, keys, files))
            except httpx.TimeoutException:
                failure, status = "Pushover did not answer in time", None
                continue
            except httpx.RequestError as error:  # transport errors, and a body that will not decode
                status = None
                failure = (
                    f"Cannot reach {urlsplit(self.base_url).hostname}: "
                    f"{_describe(error, self._token, *keys.values())}"
                )
                continue
            status = response.status_code
            if status < 300 or 400 <= status < 500:
                return self._parse(response, keys), response.headers
            failure = self._describe_status(response, keys)
        raise TemporaryError(
            f"{failure}; gave up after {attempts} attempt{'s' if attempts > 1 else ''}",
            attempts=attempts,
            status_code=status,
        )

    def _build(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None,
        keys: Mapping[str, Secret],
        files: dict[str, Any] | None,
    ) -> httpx.Request:
        # The keys are merged in by helpers so that no local variable here holds them; if
        # building fails, the error is re-raised without httpx's frames (which hold the form).
        in_path = {name for name in keys if f"{{{name}}}" in path}
        try:
            if method == "GET":
                return self._http.build_request(
                    method, self._url(path, keys), params=self._with_keys(form, keys, in_path)
                )
            return self._http.build_request(
                method,
                self._url(path, keys),
                data=self._with_keys(form, keys, in_path),
                files=files,
            )
        except Exception as error:
            raise UnexpectedResponseError(
                f"Could not build the request to {path}: {type(error).__name__}", status_code=0
            ) from None

    def _url(self, path: str, keys: Mapping[str, Secret]) -> str:
        def fill(match: re.Match[str]) -> str:
            key = keys.get(match.group(1))
            return match.group() if key is None else quote(key.reveal(), safe="")

        return self.base_url + _PATH_KEY.sub(fill, path)

    def _with_keys(
        self, form: dict[str, str] | None, keys: Mapping[str, Secret], in_path: set[str]
    ) -> dict[str, str]:
        token = {} if self._token is None else {"token": self._token.reveal()}
        extra = {name: key.reveal() for name, key in keys.items() if name not in in_path}
        return {**(form or {}), **token, **extra}

    def _describe_status(self, response: httpx.Response, keys: Mapping[str, Secret]) -> str:
        status = response.status_code
        if 300 <= status < 400:
            location = redact_url(response.headers.get("Location", "(no location)"))
            location = redact(location, self._token, *keys.values())
            return f"Pushover answered HTTP {status}, a redirect to {location} (not followed)"
        return f"Pushover answered {_status_name(status)}{self._excerpt(response, keys)}"

    def _excerpt(self, response: httpx.Response, keys: Mapping[str, Secret]) -> str:
        """What the body says, after the status: ": <text>", or for a web page (a proxy's or a
        maintenance page) its title only, never its markup."""
        try:
            text = response.text
        except (UnicodeError, LookupError):  # e.g. "charset=utf-16" on a body without a BOM
            text = response.content.decode("utf-8", "replace")
        # Redact before cutting: a secret cut in half by the excerpt would no longer match.
        text = redact(text, self._token, *keys.values())
        if "html" in response.headers.get("Content-Type", "") or _HTML.match(text):
            # Its heading, else its title, else the start of its words (a captive portal's
            # "please log in"), tags removed.
            named_by = _HTML_HEADING.search(text) or _HTML_TITLE.search(text)
            words = named_by.group(1) if named_by else _HTML_HIDDEN.sub(" ", text)
            named = _excerpt(html.unescape(_HTML_TAG.sub(" ", words)), 60)
            page = f"a web page “{escape_controls(named)}”" if named else "a web page"
            return f" with {page}, not the API's answer"
        return f": {_excerpt(text)}"

    def _parse(self, response: httpx.Response, keys: Mapping[str, Secret]) -> dict[str, Any]:
        status = response.status_code
        try:
            body = response.json()
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
            body = None
        if not isinstance(body, dict):
            text = f"Unexpected response from Pushover: {_status_name(status)}"
            text += self._excerpt(response, keys)
            if status == 429:
                reset = quota_from_headers(response.headers).reset
                raise QuotaExceededError(text, reset=reset, status_code=status)
            if status >= 400:
                raise RejectedError(text, status_code=status)
            raise UnexpectedResponseError(text, status_code=status)
        if status < 300 and body.get("status") == 1:
            return body
        hidden = (self._token, *keys.values())
        raw_errors = body.get("errors")
        by_field = raw_errors if isinstance(raw_errors, dict) else {}
        # Usually a list of sentences; device registration answers {field: [sentences]} instead.
        errors = () if by_field else tuple(redact(e, *hidden) for e in _texts(raw_errors))
        fields = {
            key: redact(str(value), *hidden)
            for key, value in body.items()
            if key not in ("status", "request", "errors") and isinstance(value, str | int)
        }
        fields.update(
            (str(key), redact("; ".join(_texts(value)), *hidden)) for key, value in by_field.items()
        )
        details = {
            "status_code": status,
            "errors": errors,
            "fields": fields,
            "request_id": str(body.get("request", "")),
        }
        if status == 429:
            reset = quota_from_headers(response.headers).reset
            raise QuotaExceededError("Monthly message quota used up", reset=reset, **details)
        raise RejectedError("Pushover rejected the request", **details)  # type: ignore[arg-type]


def _report(progress: Progress | None, event: SendProgress) -> None:
    """Tell `progress` (a display, usually): a broken one must not stop the request."""
    if progress is not None:
        try:
            progress(event)
        except Exception:
            log.exception("send progress callback failed")


def _describe(error: httpx.RequestError, *secrets: Secret | None) -> str:
    text = str(error) or type(error).__name__
    return _excerpt(redact(text, *secrets))


def _group(group: Secret | str) -> Secret:
    """A group key for a path: checked before anything is sent (a name is not a key)."""
    key = Secret(group)
    _checked(check_group_key(key.reveal()))
    return key


def _texts(value: Any) -> tuple[str, ...]:
    """A list of strings from the API (errors, devices...), whatever shape the body gave it."""
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value if item not in (None, ""))
    return (str(value),) if value not in (None, "") else ()
