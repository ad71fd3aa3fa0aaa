"""`pushover-tui serve` in a real browser (the machine's Chromium, through Playwright): the
access token, one dashboard process per tab and no more than --max-sessions, a message sent from
the browser with ctrl+s, no key in the page, and no dashboard process left after SIGTERM."""

from __future__ import annotations

import asyncio
import re
import signal
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from served import (
    Server,
    alive,
    launch_options,
    new_tab,
    stop_processes,
    tab_in,
    wait_for,
    why_no_browser,
)

from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER

if TYPE_CHECKING:
    from playwright.async_api import Response

pytestmark = pytest.mark.skipif(
    why_no_browser() is not None, reason=f"browser tests: {why_no_browser()}"
)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(**launch_options())
        yield chromium
        await chromium.close()


@pytest.fixture
def serve(isolated_env) -> Iterator[object]:
    """serve(*options) starts `pushover-tui serve` on a free port; killed after the test."""
    servers: list[Server] = []

    def start(*options: str) -> Server:
        server = Server(options, isolated_env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        dashboards = server.dashboards()
        server.close()
        stop_processes(*dashboards)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def test_without_the_token_403_and_no_dashboard_starts(serve, browser) -> None:
    server = serve("--demo")
    tab = await new_tab(browser)
    for url in (server.base, f"{server.base}?token=wrong-{server.token}"):
        response = await tab.page.goto(url)
        assert response is not None and response.status == 403
        assert "access token" in await tab.page.content()
    # The websocket and the downloads want it too (a browser would send its cookie: none here).
    ws = server.base.replace("http://", "ws://") + "ws"
    for url in (server.base + "ws", server.base + "download/anything"):
        assert status_of(url) == 403
    socket_error = await tab.page.evaluate(
        """url => new Promise(done => {
            const socket = new WebSocket(url);
            socket.onopen = () => done("opened");
            socket.onerror = () => done("refused");
        })""",
        ws,
    )
    assert socket_error == "refused"
    assert server.dashboards() == []


async def test_a_message_sent_with_ctrl_s_in_the_browser_reaches_the_simulator(
    serve, browser, demo_config, simulator
) -> None:
    # The global options reach every dashboard process.
    server = serve("--config", str(demo_config.path), "--api-url", simulator.base_url)
    tab = await new_tab(browser)
    await tab.open(server.url)
    assert len(server.dashboards()) == 1
    await tab.page.mouse.click(200, 150)  # into the message box, as a user would
    await tab.page.keyboard.type("Disk full on nas01")
    await tab.wait_for_text("nas01")
    await tab.page.keyboard.press("Control+s")
    await wait_for(lambda: simulator.messages, "the simulator to receive the message")
    assert simulator.messages[-1]["message"] == "Disk full on nas01"
    # The Config screen (F2) shows the keys, masked; neither the page nor anything the
    # dashboard sent holds a key, nor the serve token.
    await tab.page.keyboard.press("F2")
    await tab.wait_for_text("Verify")
    page_source = await tab.page.content()
    for secret in (DEMO_TOKEN, DEMO_USER, server.token):
        assert secret not in page_source
    for secret in (DEMO_TOKEN, DEMO_USER):
        assert secret not in tab.text
    # The first visit set the cookie: the address without the token opens it again.
    cookies = await tab.page.context.cookies()
    (cookie,) = cookies
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    dashboard = server.dashboards()[0]
    await tab.page.close()  # a closed tab ends its dashboard
    await wait_for(lambda: server.dashboards() == [], "the dashboard to end with its tab")
    assert dashboard not in server.dashboards()
    again = await tab_in(tab.page.context)
    await again.open(server.base)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_one_tab_over_max_sessions_gets_503_and_a_signal_ends_every_dashboard(
    stop, serve, browser, monkeypatch
) -> None:
    token = "wall-screen-token-0123456789"
    monkeypatch.setenv("PUSHOVER_TUI_SERVE_TOKEN", token)
    server = serve("--demo", "--max-sessions", "1")
    assert token not in server.url  # printed as <PUSHOVER_TUI_SERVE_TOKEN>: the user set it
    url = f"{server.base}?token={token}"
    first = await new_tab(browser)
    await first.open(url)
    (dashboard,) = server.dashboards()
    assert token.encode() not in Path(f"/proc/{dashboard}/environ").read_bytes()
    second = await new_tab(browser)
    response = await second.page.goto(url)
    assert response is not None and response.status == 503
    assert "at most 1 dashboard at once" in await second.page.content()
    assert server.dashboards() == [dashboard]
    # With the first tab still open: the server and its dashboard go within 5 s.
    took = server.stop(stop)
    assert took < 5, took
    assert server.process.returncode == 0
    await wait_for(lambda: not alive(dashboard), "the dashboard process to be gone", 1)


async def test_a_screenshot_from_the_palette_is_a_download_in_the_browser(serve, browser) -> None:
    server = serve("--demo")
    tab = await new_tab(browser)
    await tab.open(server.url)
    downloads: asyncio.Queue[Response] = asyncio.Queue()
    # textual-serve opens the download's address in a new tab, which the browser downloads.
    tab.page.context.on(
        "response", lambda response: "/download/" in response.url and downloads.put_nowait(response)
    )
    await tab.page.keyboard.press("Control+p")
    await tab.wait_for_text("Search for commands")
    await tab.page.keyboard.type("Screenshot")
    await tab.wait_for_text("Save an SVG")
    await tab.page.keyboard.press("Enter")
    download = await asyncio.wait_for(downloads.get(), 20)
    assert download.status == 200
    assert download.headers["content-type"] == "image/svg+xml; charset=utf-8"
    disposition = download.headers["content-disposition"]
    assert re.fullmatch(r"attachment; filename=pushover-tui-[-0-9]+\.svg", disposition)
    # Textual's own toast once the browser has had every byte: nothing saved on the server.
    await tab.wait_for_text("Saved screenshot")


async def test_a_dashboard_that_cannot_start_ends_its_tab(serve, browser, demo_config) -> None:
    server = serve()
    demo_config.path.write_text("this is = not [toml")  # broken after serve checked it
    tab = await new_tab(browser)
    response = await tab.page.goto(server.url)
    assert response is not None and response.status == 200
    await wait_for(lambda: tab.socket_closed, "the tab's websocket to close")
    await tab.page.wait_for_selector("body.-closed", state="attached")  # "Session ended."
    assert server.dashboards() == []


async def test_read_only_sends_nothing_and_says_so(serve, browser, demo_config, simulator) -> None:
    server = serve("--read-only")
    tab = await new_tab(browser)
    await tab.open(server.url)
    await tab.page.mouse.click(200, 150)  # into the message box
    await tab.page.keyboard.type("Disk full on nas01")
    await tab.wait_for_text("nas01")
    await tab.page.keyboard.press("Control+s")
    await tab.wait_for_text("cannot send")  # "This dashboard is read-only: it cannot send…"
    assert "read-only" in tab.text  # the status line too
    assert simulator.messages == []


def test_the_cookie_is_strict_and_another_site_cannot_use_it(serve) -> None:
    server = serve("--demo")
    with urllib.request.urlopen(server.url) as response:
        headers = response.headers
    cookie = headers["Set-Cookie"]
    name = cookie.split("=")[0]
    assert name.endswith(server.base.rsplit(":", 1)[1].strip("/"))  # one cookie per port
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert headers["Referrer-Policy"] == "no-referrer"  # the address holds the token
    assert headers["Cache-Control"] == "no-store"
    # A page of another site opening the websocket with the user's cookie: refused.
    request = urllib.request.Request(
        server.base + "ws",
        headers={"Cookie": f"{name}={server.token}", "Origin": "http://evil.example"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 403
    assert server.dashboards() == []
