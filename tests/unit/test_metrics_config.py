"""The exporter's TOML config: every target key read, every mistake named with its line."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.metrics.config import (
    DEFAULT_DEADLINE,
    DEFAULT_PARALLEL,
    DEFAULT_TIMEOUT,
    ConfigError,
    load_config,
    parse_config,
    parse_server_entry,
)


def lmutil_in(tmp_path: Path) -> str:
    p = tmp_path / "lmutil"
    p.write_text("#!/bin/sh\nexit 0\n")
    p.chmod(0o755)
    return str(p)


def write(tmp_path: Path, text: str, name: str = "serve.toml") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as ei:
        load_config(write(tmp_path, text))
    return str(ei.value)


def test_a_full_config_is_read(tmp_path):
    lic = tmp_path / "matlab.lic"
    lic.write_text("SERVER lic1 ANY 27000\nVENDOR MLM\n")
    lm = lmutil_in(tmp_path)
    cfg = load_config(write(tmp_path, f'''
lmutil = "{lm}"
parallel = 4
deadline = 7.5

[[target]]
name = "sigasi"
servers = ["27000@lic1", "27001@lic2.example.com"]
vendor = "sigasi"
timeout = 2

[[target]]
name = "triad"
servers = ["28000@a,28000@b,28000@c"]
per_user = true
exclude_features = ["f1", "f2"]

[[target]]
name = "matlab"
license_file = "matlab.lic"
lmutil = "lmutil"
'''))
    assert (cfg.lmutil, cfg.parallel, cfg.deadline) == (lm, 4, 7.5)
    sig, triad, matlab = cfg.targets
    assert [e.text for e in sig.servers] == ["27000@lic1", "27001@lic2.example.com"]
    assert sig.endpoints == [("lic1", 27000), ("lic2.example.com", 27001)]
    assert sig.spec == "27000@lic1:27001@lic2.example.com"  # a search path: lmstat prints one block each
    assert (sig.vendor, sig.timeout, sig.per_user, sig.exclude_features) == ("sigasi", 2.0, False, frozenset())
    assert triad.servers[0].is_triad and len(triad.endpoints) == 3
    assert triad.per_user is True and triad.exclude_features == {"f1", "f2"}
    assert triad.timeout == DEFAULT_TIMEOUT
    # Relative paths start at the config's folder.
    assert matlab.license_file == str(lic) and matlab.lmutil == lm and matlab.spec == str(lic)
    assert sig.line == 6 and triad.line == 12 and matlab.line == 18


def test_defaults(tmp_path):
    cfg = load_config(write(tmp_path, '[[target]]\nname = "a"\nservers = "27000@h"\n'))
    assert (cfg.parallel, cfg.deadline, cfg.lmutil) == (DEFAULT_PARALLEL, DEFAULT_DEADLINE, None)
    (t,) = cfg.targets
    assert t.per_user is False and t.timeout == DEFAULT_TIMEOUT and t.servers[0].text == "27000@h"


@pytest.mark.parametrize("text, line, words", [
    ('[[target]]\nname = "a"\nservers = ["27000@h"]\ntimout = 3\n', 4,
     ["unknown key 'timout'", "did you mean 'timeout'"]),
    ('colour = 1\n[[target]]\nname = "a"\nservers = ["27000@h"]\n', 1, ["unknown key 'colour'"]),
    ('[[target]]\nname = "a"\nservers = ["27000@h"]\ntimeout = -1\n', 4, ["timeout", "more than 0"]),
    ('[[target]]\nname = "a"\nservers = ["27000@h"]\ntimeout = 500\n', 4, ["at most 120"]),
    ('[[target]]\nname = "a"\nservers = ["27000@h"]\ntimeout = true\n', 4, ["number of seconds"]),
    ('[[target]]\nname = "a"\nservers = ["27000@h"]\ntimeout = "5"\n', 4, ["number of seconds"]),
    ('[[target]]\nname = "a"\n\nservers = ["99999@h"]\n', 4, ["port must be a number from 1 to 65535"]),
    ('[[target]]\nname = "a"\nservers = ["lic1"]\n', 3, ["not PORT@HOST"]),
    ('[[target]]\nname = "a"\nservers = ["1@a,1@b"]\n', 3, ["exactly three"]),
    ('[[target]]\nname = "a"\nservers = []\n', 3, ["list of"]),
    ('[[target]]\nname = "a"\nservers = [27000]\n', 3, ["list of"]),
    ('[[target]]\nname = "a"\nservers = ["1@h"]\nper_user = "yes"\n', 4, ["per_user", "true or false"]),
    ('[[target]]\nname = "a"\nservers = ["1@h"]\nvendor = "a b"\n', 4, ["vendor daemon name"]),
    ('[[target]]\nname = "a"\nservers = ["1@h"]\nexclude_features = 3\n', 4, ["exclude_features"]),
    ('[[target]]\nservers = ["1@h"]\n', 1, ["needs a name"]),
    ('[[target]]\nname = "a"\n', 1, ["needs servers"]),
    ('[[target]]\nname = "a"\nservers = ["1@h"]\n\n[[target]]\nname = "b"\nservers = ["1@h"]\n'
     'license_file = "x"\n', 8, ["both servers and license_file"]),
    ('[[target]]\nname = "a"\nservers = ["1@h"]\n[[target]]\nname = "a"\nservers = ["2@h"]\n', 5,
     ["used twice", "first at line 2"]),
    ('parallel = 0\n[[target]]\nname = "a"\nservers = ["1@h"]\n', 1, ["parallel"]),
    ('deadline = 0\n[[target]]\nname = "a"\nservers = ["1@h"]\n', 1, ["deadline"]),
    ('lmutil = "/nonexistent/lmutil"\n[[target]]\nname = "a"\nservers = ["1@h"]\n', 1, ["not an executable"]),
    ('[[target]]\nname = "a"\nlicense_file = "missing.lic"\n', 3, ["is not a file"]),
])
def test_bad_values_are_named_with_their_line(tmp_path, text, line, words):
    msg = error(tmp_path, text)
    assert re.search(rf"serve\.toml line {line}: ", msg), msg
    for w in words:
        assert w in msg, msg
    assert "\n" not in msg or "[[target]]" in msg  # one line, unless it shows an example


def test_toml_syntax_errors_name_the_line(tmp_path):
    msg = error(tmp_path, '[[target]]\nname = "a"\nservers = ["1@h"\n')
    assert "serve.toml line 3: not valid TOML: Unclosed array (at the end of the file)" in msg
    msg = error(tmp_path, '[[target]]\nname = "a\nservers = ["1@h"]\n')
    assert re.search(r"serve\.toml line 2: not valid TOML: .* \(column \d+\)$", msg), msg


def test_no_targets(tmp_path):
    msg = error(tmp_path, "parallel = 2\n")
    assert "no [[target]] tables" in msg and "servers = " in msg


def test_single_brackets_are_explained(tmp_path):
    msg = error(tmp_path, '[target]\nname = "a"\nservers = ["1@h"]\n')
    assert "double brackets" in msg and "line 1" in msg


def test_a_license_file_given_as_config_says_what_it_is(tmp_path):
    msg = error(tmp_path, "SERVER lic1 ANY 27000\nVENDOR sigasi\nINCREMENT a sigasi 1.0 permanent 1 SIGN=0\n")
    assert "looks like a license file" in msg and "license_file" in msg


def test_unreadable_missing_binary_and_directory(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(str(tmp_path))
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\x00\x01\x02")
    with pytest.raises(ConfigError, match="binary"):
        load_config(str(p))
    p = tmp_path / "latin1.toml"
    p.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(str(p))
    if os.geteuid() != 0:
        q = tmp_path / "secret.toml"
        q.write_text("x = 1\n")
        q.chmod(0)
        with pytest.raises(ConfigError, match="permission denied"):
            load_config(str(q))
        q.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_server_entries_follow_the_server_option_rules():
    assert parse_server_entry(" 27000@lic1 ").members == (("lic1", 27000),)
    assert parse_server_entry("@lic1").members == (("lic1", None),)
    t = parse_server_entry("1@a,2@b,3@c")
    assert t.is_triad and [p for _h, p in t.members] == [1, 2, 3]
    for bad in ("lic1", "/opt/license.dat", "0@h", "27000@", "27000@bad host", "1@a,2@b"):
        with pytest.raises(ValueError):
            parse_server_entry(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_a_config_or_a_config_error(text):
    try:
        cfg = parse_config(text, "x.toml")
    except ConfigError as exc:
        assert str(exc).startswith("x.toml")
    else:
        assert cfg.targets


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "servers", "timeout", "per_user", "vendor", "exclude_features",
                                         "bogus"]),
                       st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.booleans(),
                                 st.lists(st.text(max_size=12), max_size=3)), max_size=6))
def test_any_target_table_is_a_target_or_a_named_error(table):
    import json

    lines = ["[[target]]"] + [f"{k} = {json.dumps(v)}" for k, v in table.items()
                              if not (isinstance(v, float) and v != v) and v not in (float("inf"), float("-inf"))]
    text = "\n".join(lines) + "\n"
    try:
        cfg = parse_config(text, "x.toml")
    except ConfigError as exc:
        assert re.match(r"x\.toml( line \d+)?: ", str(exc)), str(exc)
    else:
        (t,) = cfg.targets
        assert t.name and t.servers
