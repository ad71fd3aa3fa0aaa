"""TLS stays verified wherever it can be used; only a plain-http loopback API reached without a
proxy skips building a TLS context (the CA bundle costs 20-50 ms of every `send`)."""

from __future__ import annotations

import ssl

import pytest

from pushover_tui.api.client import PushoverClient


def tls_context(client: PushoverClient) -> ssl.SSLContext:
    pool = client._http._transport._pool  # httpx's default transport, as every request uses it
    return pool._ssl_context


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


async def test_the_real_api_verifies_certificates():
    async with PushoverClient("t" * 30) as client:
        assert tls_context(client).verify_mode is ssl.CERT_REQUIRED


async def test_a_plain_http_loopback_api_builds_no_verifying_context():
    async with PushoverClient("t" * 30, base_url="http://127.0.0.1:8080/1") as client:
        assert tls_context(client).verify_mode is ssl.CERT_NONE


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"])
async def test_with_a_proxy_tls_stays_verified(monkeypatch, variable):
    monkeypatch.setenv(variable, "https://proxy.example:3128")
    async with PushoverClient("t" * 30, base_url="http://127.0.0.1:8080/1") as client:
        assert tls_context(client).verify_mode is ssl.CERT_REQUIRED
