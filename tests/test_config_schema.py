"""One table of settings (store/schema.py) drives reading, checking, writing and resolving."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pushover_tui.api.errors import ConfigurationError, FieldProblemsError
from pushover_tui.api.secret import Secret
from pushover_tui.bridge.settings import BridgeConfigError, BridgeSettings
from pushover_tui.store.config import (
    Config,
    ConfigFileError,
    Profile,
    Source,
    load_config,
    resolve,
    set_value,
)
from pushover_tui.store.schema import FILE_SETTINGS, PROFILE_SETTINGS, SETTINGS, Scope


def test_every_row_has_its_attribute_with_the_rows_default(tmp_path: Path) -> None:
    config, profile = Config(path=tmp_path / "c.toml"), Profile("p")
    for row in FILE_SETTINGS:
        assert getattr(config, row.attribute) == row.default, row.key
    for row in PROFILE_SETTINGS:
        assert getattr(profile, row.attribute) == row.default, row.key
    held = {f.name for f in dataclasses.fields(Profile)} | {
        f.name for f in dataclasses.fields(Config)
    }
    kept_raw = {row.key for row in SETTINGS if row.key.startswith("bridge.")}
    env_only = {row.key for row in SETTINGS if not row.in_file}
    for row in SETTINGS:
        assert row.attribute in held or row.key in kept_raw | env_only, row.key


def test_a_wrong_type_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n\n[profiles.home]\nsound = "bike"\nretry = "often"\n')
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, env={})
    assert caught.value.line == 5
    assert str(caught.value).startswith(f"{path}, line 5: profiles.home.retry must be a whole")


def test_the_bridge_errors_name_the_file_and_line_too(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n[bridge]\npriority = 1\nnotify_resolved = "yes"\n')
    config = load_config(path, env={})
    with pytest.raises(BridgeConfigError) as caught:
        BridgeSettings.from_config(config.bridge, {}, config.path)
    assert str(caught.value) == (f"{path}, line 4: bridge.notify_resolved must be true or false.")
    path.write_text("[bridge.levels]\nfatal = 2\nerror = 'high'\n")
    with pytest.raises(BridgeConfigError, match=r"line 3: bridge\.levels\.error must be a whole"):
        BridgeSettings.from_config(load_config(path, env={}).bridge, {}, path)


def test_the_timeout_comes_through_resolve(tmp_path: Path) -> None:
    config = Config(path=tmp_path / "c.toml")
    assert resolve(config, env={}).timeout is None
    assert resolve(config, env={"PUSHOVER_TUI_TIMEOUT": "2.5"}).timeout == 2.5
    for bad in ("0", "601", "soon"):
        with pytest.raises(ConfigurationError) as caught:
            resolve(config, env={"PUSHOVER_TUI_TIMEOUT": bad})
        assert str(caught.value) == (
            f"PUSHOVER_TUI_TIMEOUT must be seconds from 0 to 600, not {bad!r}."
        )


def test_every_environment_variable_of_the_table_overrides_the_file(tmp_path: Path) -> None:
    profile = Profile("p", token=Secret("t" * 30), user=Secret("u" * 30))
    config = Config(path=tmp_path / "c.toml", default_profile="p", profiles=(profile,))
    env = {row.env: "e" * 30 for row in SETTINGS if row.env and row.in_file}
    env["PUSHOVER_API_URL"] = "http://127.0.0.1:1/1"
    active = resolve(config, env=env)
    for row in SETTINGS:
        if row.env and row.in_file and not row.key.startswith("bridge."):
            assert active.sources[row.key] is Source.ENVIRONMENT, row.key
    assert active.profile.token == Secret("e" * 30)


def test_config_set_refuses_what_the_file_does_not_keep(tmp_path: Path) -> None:
    with pytest.raises(FieldProblemsError, match="timeout is not kept in the file"):
        set_value(Config(path=tmp_path / "c.toml"), "p", "timeout", "5")


def test_config_set_writes_a_bridge_secret_into_the_raw_table(tmp_path: Path) -> None:
    config = set_value(Config(path=tmp_path / "c.toml"), "p", "bridge.client_secret", " s3 ")
    assert dict(config.bridge) == {"client_secret": "s3"}


def test_profile_rows_and_file_rows_are_told_apart() -> None:
    assert {row.scope for row in PROFILE_SETTINGS} == {Scope.PROFILE}
    assert [row.key for row in PROFILE_SETTINGS][:3] == ["token", "user", "priority"]
