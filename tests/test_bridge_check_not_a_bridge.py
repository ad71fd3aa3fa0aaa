"""`bridge --check` against a port where something other than the bridge answers JSON: one
sentence on stderr, nothing on stdout, exit 8 (issue 26 item 8)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pushover_tui import cli


class _OtherService(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"status": "ok", "version": "9.9", "secret_stuff": [1, 2]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def other_service() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtherService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_check_of_something_that_is_not_a_bridge_is_exit_8_and_one_sentence(
    isolated_env, other_service
):
    out, err = io.StringIO(), io.StringIO()
    argv = ["bridge", "--check", "--port", str(other_service)]
    code = cli.main(argv, env=isolated_env, stdout=out, stderr=err, stdin=io.StringIO())
    assert code == cli.EXIT_BRIDGE_DOWN
    assert out.getvalue() == ""
    assert err.getvalue().count("\n") == 1
    assert "not as a Sentry bridge" in err.getvalue() and "secret_stuff" not in err.getvalue()
