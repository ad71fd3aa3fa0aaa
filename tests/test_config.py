"""Configuration file, environment overrides, atomic private writes."""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pushover_tui.api.errors import FieldProblemsError
from pushover_tui.api.inbox import InboxSession
from pushover_tui.api.secret import Secret
from pushover_tui.store import config as config_module
from pushover_tui.store.config import (
    DEFAULT_API_URL,
    ActiveProfile,
    Config,
    ConfigFileError,
    Profile,
    Source,
    check_profile,
    config_path,
    data_dir,
    load_config,
    move_aside,
    resolve,
    save_config,
    set_value,
)

TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"  # Pushover's documentation examples
USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
ENV_TOKEN = "A" * 30
ENV_USER = "B" * 30


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "config.toml"


@pytest.fixture
def umask_zero() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def full_config(path: Path) -> Config:
    return Config(
        path=path,
        default_profile="work",
        profiles=(
            Profile(
                "personal",
                token=Secret(TOKEN),
                user=Secret(USER),
                priority=-1,
                retry=30,
                expire=10800,
                sound="cosmic",
                device="phone,tablet",
            ),
            Profile("work", token=Secret(ENV_TOKEN), priority=2, sound="siren"),
            Profile("with spaces & ünïcode"),
        ),
        theme="nord",
        api_url="http://127.0.0.1:8080/1",
        keymap={"send": "ctrl+s", "history": "f3"},
        bridge={
            "listen": "127.0.0.1:9000",
            "secret_env": "SENTRY_SECRET",
            "routes": {"critical": {"priority": 2, "tags": ["a", "b"]}},
            "rules": [{"level": "error"}, {"level": "fatal"}],
        },
    )


# ---------------------------------------------------------------------------------------------
# Round trips


def test_missing_file_gives_defaults(path: Path) -> None:
    config = load_config(path, env={})
    assert config == Config(path=path)
    assert config.profile() == Profile("default")
    assert not path.exists()  # loading never creates the file


def test_round_trip_every_field(path: Path) -> None:
    config = full_config(path)
    save_config(config)
    loaded = load_config(path, env={})
    assert loaded == config
    assert loaded.profile("personal").token.reveal() == TOKEN
    assert [p.name for p in loaded.profiles] == ["personal", "work", "with spaces & ünïcode"]
    assert dict(loaded.keymap) == {"send": "ctrl+s", "history": "f3"}


def test_bridge_table_written_back_untouched(path: Path) -> None:
    path.parent.mkdir()
    path.write_text(
        'theme = "nord"\n'
        "[bridge]\n"
        'listen = "0.0.0.0:9000"\n'
        "when = 2024-01-02T03:04:05Z\n"
        "ratio = 0.5\n"
        "[bridge.routes.critical]\n"
        "priority = 2\n"
        'tags = ["a", "b"]\n'
    )
    original = tomllib.loads(path.read_text())["bridge"]
    config = load_config(path, env={})
    save_config(set_value(config, "default", "priority", "1"))
    assert tomllib.loads(path.read_text())["bridge"] == original


def test_file_is_documented_shape(path: Path) -> None:
    save_config(full_config(path))
    data = tomllib.loads(path.read_text())
    assert data["default_profile"] == "work"
    assert data["profiles"]["personal"] == {
        "token": TOKEN,
        "user": USER,
        "priority": -1,
        "retry": 30,
        "expire": 10800,
        "sound": "cosmic",
        "device": "phone,tablet",
    }
    assert data["keymap"]["send"] == "ctrl+s"


def test_unknown_keys_are_ignored_and_kept(path: Path) -> None:
    path.parent.mkdir(mode=0o700)
    text = 'colour = "red"\n[profiles.a]\nnickname = "x"\npriority = 1\n[other]\nx = 1\n'
    path.write_text(text)
    config = load_config(path, env={})
    assert config.profile("a").priority == 1
    save_config(config)
    assert path.read_text() == text  # nothing changed, nothing rewritten
    save_config(set_value(config, "a", "priority", "2"))
    assert path.read_text() == text.replace("priority = 1", "priority = 2")


def test_secrets_are_masked_in_reprs(path: Path) -> None:
    config = full_config(path)
    assert TOKEN not in repr(config)
    assert USER not in repr(resolve(config, "personal", env={}))


def test_profile_accepts_plain_strings_but_keeps_secrets() -> None:
    profile = Profile("p", token=TOKEN, user=USER)  # type: ignore[arg-type]
    assert isinstance(profile.token, Secret) and profile.token.reveal() == TOKEN
    assert TOKEN not in repr(profile)


# ---------------------------------------------------------------------------------------------
# Profiles


def test_profile_lookup_and_edits(path: Path) -> None:
    config = full_config(path)
    assert config.profile().name == "work"
    assert config.profile("nope") == Profile("nope")
    replaced = config.with_profile(Profile("personal", priority=1))
    assert [p.name for p in replaced.profiles] == [p.name for p in config.profiles]
    assert replaced.profile("personal").priority == 1
    added = config.with_profile(Profile("new"))
    assert added.profiles[-1].name == "new"
    dropped = config.without_profile("personal")
    assert "personal" not in dropped.profile_names and dropped.default_profile == "work"
    dropped_default = config.without_profile("work")
    assert dropped_default.default_profile == "personal"
    assert Config(path=path).without_profile("default").default_profile == "default"


def test_rename_keeps_default_pointing_right(path: Path) -> None:
    config = full_config(path)
    renamed = config.renamed_profile("work", "office")
    assert renamed.default_profile == "office"
    assert renamed.profile("office").token.reveal() == ENV_TOKEN
    assert "work" not in renamed.profile_names
    other = config.renamed_profile("personal", "home")
    assert other.default_profile == "work"
    assert other.profile_names[0] == "home"  # position kept
    with pytest.raises(FieldProblemsError, match="already exists"):
        config.renamed_profile("personal", "work")
    with pytest.raises(FieldProblemsError, match="no profile"):
        config.renamed_profile("ghost", "x")
    assert config.renamed_profile("work", "work") is config


def test_config_mappings_are_read_only(path: Path) -> None:
    keymap = {"send": "ctrl+s"}
    config = Config(path=path, keymap=keymap)
    keymap["send"] = "x"
    assert config.keymap["send"] == "ctrl+s"
    with pytest.raises(TypeError):
        config.keymap["send"] = "y"  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# Environment and command line


def test_sources_from_file_and_defaults(path: Path) -> None:
    active = resolve(full_config(path), "personal", env={})
    assert isinstance(active, ActiveProfile)
    assert active.has_keys
    assert active.api_url == "http://127.0.0.1:8080/1"
    assert active.sources["token"] is Source.FILE
    assert active.sources["priority"] is Source.FILE
    assert active.sources["api_url"] is Source.FILE
    assert active.sources["name"] is Source.OPTION
    blank = resolve(Config(path=path), env={})
    assert not blank.has_keys
    assert blank.api_url == DEFAULT_API_URL
    expected = {"name", "token", "user", "priority", "retry", "expire", "sound", "device", "to"}
    expected |= {"team_token"}
    assert set(blank.sources) == expected | {"api_url", "store.url"}
    assert all(source is Source.DEFAULT for source in blank.sources.values())


def test_environment_overrides_file(path: Path) -> None:
    env = {"PUSHOVER_TOKEN": ENV_TOKEN, "PUSHOVER_USER": f" {ENV_USER}\n"}
    active = resolve(full_config(path), "personal", env=env)
    assert active.profile.token.reveal() == ENV_TOKEN
    assert active.profile.user.reveal() == ENV_USER
    assert active.sources["token"] is Source.ENVIRONMENT
    assert active.sources["user"] is Source.ENVIRONMENT
    assert active.profile.sound == "cosmic"  # the rest still comes from the file
    # An empty variable does not blank a key from the file.
    active = resolve(full_config(path), "personal", env={"PUSHOVER_TOKEN": ""})
    assert active.profile.token.reveal() == TOKEN
    assert active.sources["token"] is Source.FILE


def test_environment_gives_keys_without_a_file(path: Path) -> None:
    env = {"PUSHOVER_TOKEN": ENV_TOKEN, "PUSHOVER_USER": ENV_USER}
    active = resolve(load_config(path, env=env), env=env)
    assert active.has_keys
    assert active.profile.name == "default"


def test_api_url_precedence(path: Path) -> None:
    config = full_config(path)
    env = {"PUSHOVER_API_URL": "http://localhost:9999/1/"}
    active = resolve(config, env=env)
    assert (active.api_url, active.sources["api_url"]) == (
        "http://localhost:9999/1",
        Source.ENVIRONMENT,
    )
    active = resolve(config, api_url="https://example.test/1", env=env)
    assert (active.api_url, active.sources["api_url"]) == ("https://example.test/1", Source.OPTION)
    # An explicit blank option means the real API, even over the file and the environment.
    active = resolve(config, api_url="", env=env)
    assert (active.api_url, active.sources["api_url"]) == (DEFAULT_API_URL, Source.OPTION)


def test_environment_values_never_written_back(path: Path) -> None:
    config = full_config(path)
    save_config(config)
    env = {"PUSHOVER_TOKEN": "C" * 30, "PUSHOVER_USER": "D" * 30, "PUSHOVER_API_URL": "https://x"}
    loaded = load_config(path, env=env)
    active = resolve(loaded, "personal", env=env)
    assert active.profile.token.reveal() == "C" * 30
    save_config(set_value(loaded, "personal", "sound", "bike"))
    text = path.read_text()
    assert "C" * 30 not in text and "D" * 30 not in text and "https://x" not in text
    assert TOKEN in text


def test_config_path_and_data_dir(tmp_path: Path) -> None:
    explicit = {"PUSHOVER_TUI_CONFIG": str(tmp_path / "c.toml")}
    assert config_path(explicit) == tmp_path / "c.toml"
    assert data_dir({"PUSHOVER_TUI_DATA": str(tmp_path / "d")}) == tmp_path / "d"
    if sys.platform.startswith(("win", "darwin")):
        pytest.skip("XDG folders are a Unix convention")
    xdg = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data")}
    assert config_path(xdg) == tmp_path / "cfg" / "pushover-tui" / "config.toml"
    assert data_dir(xdg) == tmp_path / "data" / "pushover-tui"
    assert config_path({}).name == "config.toml"
    assert config_path({}).parent.name == "pushover-tui"


def test_load_config_uses_config_path_from_env(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.toml"
    target.write_text('theme = "gruvbox"\n')
    config = load_config(env={"PUSHOVER_TUI_CONFIG": str(target)})
    assert config.path == target and config.theme == "gruvbox"


# ---------------------------------------------------------------------------------------------
# Writing: permissions and atomicity


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_permissions_under_umask_zero(path: Path, umask_zero: None) -> None:
    nested = path.parent / "deeper" / "config.toml"
    save_config(full_config(nested))
    assert stat.S_IMODE(nested.stat().st_mode) == 0o600
    assert stat.S_IMODE(nested.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # every folder we created
    # Rewriting an existing world-readable file makes it private too.
    os.chmod(nested, 0o644)
    save_config(full_config(nested))
    assert stat.S_IMODE(nested.stat().st_mode) == 0o600


def test_failed_write_keeps_old_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_config(full_config(path))
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config_module.os, "replace", broken_replace)
    with pytest.raises(ConfigFileError, match="No space left"):
        save_config(Config(path=path, theme="changed"))
    assert path.read_bytes() == before
    # No temp file left behind (the lock file saves share stays).
    assert sorted(os.listdir(path.parent)) == [".config.toml.lock", "config.toml"]


def test_interrupted_write_keeps_old_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_config(full_config(path))
    before = path.read_bytes()

    def crash(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(config_module.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        save_config(Config(path=path, theme="changed"))
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == [".config.toml.lock", "config.toml"]


def test_a_save_keeps_what_another_process_saved_meanwhile(path: Path) -> None:
    save_config(full_config(path))
    dashboard = load_config(path, env={})  # loaded first, saved last
    # Meanwhile, from other terminals: `config set theme` and `inbox login` (each loads anew).
    save_config(set_value(load_config(path, env={}), "work", "theme", "gruvbox"))
    other = load_config(path, env={})
    session = InboxSession(secret=Secret("s" * 30), device_id=Secret("d" * 25), device_name="tui")
    save_config(other.with_profile(replace(other.profile("personal"), inbox=session)))
    save_config(set_value(load_config(path, env={}), "work", "sound", "bike"))
    # The dashboard saves its own edits: a priority, a new profile, a keymap entry gone.
    edited = set_value(dashboard, "personal", "priority", "1").with_profile(Profile("new"))
    save_config(replace(edited, keymap={"send": "ctrl+s"}))
    saved = load_config(path, env={})
    assert saved.theme == "gruvbox"
    assert saved.profile("personal").inbox == session
    assert saved.profile("work").sound == "bike"
    assert saved.profile("personal").priority == 1
    assert saved.has_profile("new") and dict(saved.keymap) == {"send": "ctrl+s"}


def test_a_save_after_another_process_removed_a_profile_does_not_bring_it_back(path: Path) -> None:
    save_config(full_config(path))
    dashboard = load_config(path, env={})
    save_config(load_config(path, env={}).without_profile("with spaces & ünïcode"))
    save_config(set_value(dashboard, "personal", "retry", "90"))
    saved = load_config(path, env={})
    assert saved.profile_names == ("personal", "work")
    assert saved.profile("personal").retry == 90


def test_a_saved_config_counts_as_loaded_for_its_next_save(path: Path) -> None:
    config = load_config(path, env={})
    saved = save_config(config.with_profile(Profile("extra", priority=1)))
    save_config(saved.without_profile("extra"))  # the dashboard keeps the Config it saved
    assert not load_config(path, env={}).has_profile("extra")


def test_the_file_is_read_and_written_under_the_lock(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    save_config(full_config(path))
    lock_file = path.with_name(".config.toml.lock")
    read = config_module._document
    held: list[bool] = []

    def checked(target: Path):
        fd = os.open(lock_file, os.O_RDWR)  # another open file: refused while the save holds it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.append(True)
        else:
            held.append(False)
        finally:
            os.close(fd)
        return read(target)

    monkeypatch.setattr(config_module, "_document", checked)
    save_config(set_value(load_config(path, env={}), "work", "sound", "bike"))
    assert held == [True]


def test_unwritable_folder_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigFileError, match="cannot write"):
        save_config(Config(path=blocker / "config.toml"))


# ---------------------------------------------------------------------------------------------
# Broken files


def test_corrupt_file_untouched_with_path_and_line(path: Path) -> None:
    path.parent.mkdir()
    text = 'theme = "nord"\n\n[profiles.work\ntoken = "x"\n'
    path.write_text(text)
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, env={})
    error = caught.value
    assert error.path == path and error.line == 3
    assert str(path) in str(error) and "line 3" in str(error)
    assert "left untouched" in str(error)
    assert path.read_text() == text


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        (
            'theme = "x"\n[profiles.work]\ntoken = "a"\npriority = "high"\n',
            "profiles.work.priority",
            4,
        ),
        ("[profiles.home]\nretry = 1.5\n", "profiles.home.retry", 2),
        ("[profiles.home]\nexpire = true\n", "profiles.home.expire", 2),
        ('[profiles."my phone"]\ndevice = 3\n', 'profiles."my phone".device', 2),
        ("theme = 3\n", "theme", 1),
        ("\ndefault_profile = []\n", "default_profile", 2),
        ("api_url = {x = 1}\n", "api_url", 1),
        ("profiles = 1\n", "profiles", 1),
        ("[profiles]\nwork = 1\n", "profiles.work", 2),
        ('keymap = "ctrl+s"\n', "keymap", 1),
        ("bridge = 1\n", "bridge", 1),
        ('theme = "x"\nbell = "yes"\n', "bell", 2),
        ("profiles.work.priority = 1.0\n", "profiles.work.priority", 1),
    ],
)
def test_wrong_types_name_the_key(path: Path, text: str, key: str, line: int) -> None:
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, env={})
    assert key in str(caught.value)
    assert caught.value.line == line
    assert path.read_text() == text


def test_not_utf8_and_unreadable(path: Path) -> None:
    path.parent.mkdir()
    path.write_bytes(b'theme = "a"\ntitle = "\xff"\n')
    with pytest.raises(ConfigFileError, match="UTF-8") as caught:
        load_config(path, env={})
    assert caught.value.line == 2
    with pytest.raises(ConfigFileError, match="cannot read"):
        load_config(path.parent, env={})  # a folder, not a file


def test_move_aside(path: Path) -> None:
    path.parent.mkdir()
    path.write_text("not = [toml")
    first = move_aside(path)
    assert not path.exists()
    assert first.parent == path.parent
    assert first.name.startswith("config.toml.broken-")
    assert first.read_text() == "not = [toml"
    path.write_text("again = [")
    second = move_aside(path)  # same second: must not overwrite the first copy
    assert second != first and first.exists() and second.exists()
    assert load_config(path, env={}) == Config(path=path)


# ---------------------------------------------------------------------------------------------
# set_value and check_profile


def test_set_value_profile_keys(path: Path) -> None:
    config = Config(path=path)
    config = set_value(config, "home", "token", f"  {TOKEN} ")
    config = set_value(config, "home", "user", USER)
    config = set_value(config, "home", "priority", "2")
    config = set_value(config, "home", "retry", "45")
    config = set_value(config, "home", "expire", "600")
    config = set_value(config, "home", "sound", "siren")
    config = set_value(config, "home", "device", "phone")
    home = config.profile("home")
    assert home == Profile("home", Secret(TOKEN), Secret(USER), 2, 45, 600, "siren", "phone")
    cleared = set_value(config, "home", "token", "")
    assert not cleared.profile("home").token


def test_set_value_top_level(path: Path) -> None:
    config = Config(path=path)
    config = set_value(config, "ignored", "theme", "nord")
    config = set_value(config, "ignored", "api_url", "http://127.0.0.1:8080/1/")
    config = set_value(config, "ignored", "default_profile", "work")
    assert (config.theme, config.api_url, config.default_profile) == (
        "nord",
        "http://127.0.0.1:8080/1",
        "work",
    )
    assert set_value(config, "x", "api_url", "").api_url == ""
    assert config.profiles == ()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("priority", "high"),
        ("priority", "5"),
        ("retry", "10"),
        ("retry", "1.5"),
        ("expire", "0"),
        ("expire", "10801"),
        ("token", "short"),
        ("user", "x" * 31),
        ("device", "bad device!"),
        ("sound", "no spaces"),
        ("api_url", "http://example.com/1"),
        ("api_url", "ftp://127.0.0.1"),
        ("theme", " "),
        ("default_profile", ""),
        ("bell", "loud"),
        ("colour", "red"),
    ],
)
def test_set_value_rejects_bad_values(path: Path, key: str, value: str) -> None:
    with pytest.raises(FieldProblemsError) as caught:
        set_value(Config(path=path), "home", key, value)
    assert caught.value.problems[0].field == key
    assert key in str(caught.value)


def test_check_profile() -> None:
    assert check_profile(Profile("blank")) == []
    good = Profile("p", Secret(TOKEN), Secret(USER), 2, 30, 10800, "cosmic", "phone,tab-2")
    assert check_profile(good) == []
    bad = Profile("p", Secret("short"), Secret("u" * 29), 3, 10, 20000, "a b", "x y")
    fields = [problem.field for problem in check_profile(bad)]
    # In the settings table's order (store/schema.py).
    assert fields == ["token", "user", "priority", "retry", "expire", "sound", "device"]
    # retry/expire are emergency defaults: checked at any priority.
    assert {p.field for p in check_profile(Profile("p", priority=0, retry=5))} == {"retry"}
    assert {p.field for p in check_profile(Profile("p", expire=0))} == {"expire"}
    assert {p.field for p in check_profile(Profile(" "))} == {"name"}
    assert TOKEN not in str(check_profile(Profile("p", Secret(TOKEN + "x"))))


# ---------------------------------------------------------------------------------------------
# Property: nothing but ConfigFileError escapes load_config


_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
_KNOWN_KEYS = ["profiles", "keymap", "bridge", "theme", "api_url", "default_profile", "token"]
_KNOWN_KEYS += ["user", "priority", "retry", "expire", "sound", "device", "work", "x y"]
_keys = st.sampled_from(_KNOWN_KEYS) | st.text(max_size=8)
_toml_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=12,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_arbitrary_text_only_raises_config_file_error(tmp_path: Path, text: str) -> None:
    target = tmp_path / "fuzz.toml"
    target.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(target, env={})
    except ConfigFileError as error:
        assert str(target) in str(error)


@settings(
    max_examples=150,
    deadline=None,
    # Duplicate keys drawn for a dictionary count as filtered: many, by design of _keys.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(data=st.dictionaries(_keys, _toml_values, max_size=6))
def test_arbitrary_toml_only_raises_config_file_error(tmp_path: Path, data: dict) -> None:
    target = tmp_path / "fuzz.toml"
    target.write_text(tomlkit.dumps(data), encoding="utf-8")
    try:
        config = load_config(target, env={})
    except ConfigFileError:
        return
    # Whatever loaded must save and load back to the same thing.
    save_config(config)
    assert load_config(target, env={}) == config


def test_profile_to_round_trips_and_is_written_only_when_set(path: Path) -> None:
    group = "gznej3rKEVAvPUxu9vvNnqpmZpokzF"
    config = Config(path=path, profiles=(Profile("a", to=group), Profile("b")))
    save_config(config)
    loaded = load_config(path, env={})
    assert loaded == config
    assert isinstance(loaded.profile("a").to, Secret) and group not in repr(loaded)
    assert tomllib.loads(path.read_text())["profiles"]["b"].keys().isdisjoint({"to"})
    assert resolve(loaded, "a", env={}).sources["to"] is Source.FILE


@pytest.mark.parametrize(
    ("to", "problems"),
    [
        ("", []),
        ("ops", []),
        ("On-Call team", []),
        ("g" * 30, []),
        (" ", ["to"]),
        ("n" * 251, ["to"]),
    ],
)
def test_profile_to_is_a_key_or_a_group_name(to: str, problems: list[str]) -> None:
    assert [p.field for p in check_profile(Profile("p", to=to))] == problems


def test_bell_round_trips_and_is_written_only_when_set(path: Path) -> None:
    assert load_config(path, env={}).bell is False
    save_config(Config(path=path))
    assert "bell" not in tomllib.loads(path.read_text())  # files without it stay as they were
    config = set_value(Config(path=path), "ignored", "bell", "true")
    save_config(config)
    assert tomllib.loads(path.read_text())["bell"] is True
    assert load_config(path, env={}).bell is True
    assert set_value(config, "ignored", "bell", "False").bell is False


def test_a_value_the_file_spells_out_is_the_files_even_when_it_is_the_default(
    path: Path,
) -> None:
    path.parent.mkdir(mode=0o700)
    path.write_text(
        '[profiles.p]\ntoken = "t"\npriority = 0\n[profiles.q]\npriority = 1\n', encoding="utf-8"
    )
    config = load_config(path)
    assert resolve(config, "p", env={}).sources["priority"] is Source.FILE
    assert resolve(config, "p", env={}).sources["retry"] is Source.DEFAULT
    # Set back to the default and saved: the file says `priority = 0`, so does the source.
    p, q = config.profiles
    saved = save_config(replace(config, profiles=(p, replace(q, priority=0))))
    assert "priority = 0" in path.read_text(encoding="utf-8").split("[profiles.q]")[1]
    assert resolve(saved, "q", env={}).sources["priority"] is Source.FILE
