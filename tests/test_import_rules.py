"""Import rules: the API layer (and the command line) never pull in Textual or sqlite3."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

API_MODULES = (
    "pushover_tui.api",
    "pushover_tui.api.client",
    "pushover_tui.api.checks",
    "pushover_tui.api.models",
    "pushover_tui.api.errors",
    "pushover_tui.api.secret",
)


def loaded_forbidden(modules: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    """Import `modules` in a fresh interpreter; return the loaded modules under `forbidden`.

    A prefix matches the module itself and its submodules ("textual" matches "textual.app"
    but not "textualize")."""
    script = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    return [
        name
        for name in loaded
        if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden)
    ]


def test_helper_detects_a_forbidden_module() -> None:
    # Guards the helper itself: a rule that can never fail proves nothing.
    assert loaded_forbidden(("json",), ("json",)) == [
        "json",
        "json.decoder",
        "json.encoder",
        "json.scanner",
    ]


@pytest.mark.parametrize("module", API_MODULES)
def test_api_module_loads_no_textual_nor_sqlite(module: str) -> None:
    assert loaded_forbidden((module,), ("textual", "sqlite3", "_sqlite3")) == []


def test_whole_api_layer_together() -> None:
    assert loaded_forbidden(API_MODULES, ("textual", "sqlite3", "_sqlite3")) == []


def test_cli_does_not_import_textual() -> None:
    if importlib.util.find_spec("pushover_tui.cli") is None:
        pytest.skip("pushover_tui.cli does not exist yet")
    assert loaded_forbidden(("pushover_tui.cli",), ("textual",)) == []
