"""PORT@HOST in one place: the parser and validator every --server, the app and the search path use."""
from __future__ import annotations

import argparse

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lmdoctor.checks.cli import build_parser
from lmdoctor.checks.exceptions import LmdoctorError
from lmdoctor.checks.serverspec import (
    ServerSpecError,
    argparse_server,
    check_server_argument,
    parse_port,
    parse_server_spec,
)

hosts = st.from_regex(r"[a-z]([a-z0-9\-]{0,8}[a-z0-9])?(\.[a-z][a-z0-9]{0,5}){0,2}", fullmatch=True)


@pytest.mark.parametrize("text,port", [
    ("27000", 27000), ("1", 1), ("65535", 65535), ("027000", 27000), (" 27001 ", 27001),
    ("0", None), ("65536", None), ("99999", None), ("", None), ("-1", None), ("+1", None), ("2 7", None),
    ("²", None), ("٢٧٠٠٠", None), ("２７０００", None), ("1234567", None), ("27000x", None),
])
def test_a_port_is_ascii_digits_from_1_to_65535(text, port):
    assert parse_port(text) == port


@pytest.mark.parametrize("text,kind,servers", [
    ("27000@licbox", "port_at_host", [(27000, "licbox")]),
    ("@licbox", "at_host", [(None, "licbox")]),
    ("27000@a,27000@b,27000@c", "triad", [(27000, "a"), (27000, "b"), (27000, "c")]),
    ("  27000@licbox.corp.example ", "port_at_host", [(27000, "licbox.corp.example")]),
])
def test_accepted_forms(text, kind, servers):
    assert check_server_argument(text) == text.strip()
    spec = parse_server_spec(text.strip())
    assert spec is not None and spec.kind == kind
    assert [(s.port, s.host) for s in spec.servers] == servers


@pytest.mark.parametrize("text,why", [
    ("nonsense", "is not PORT@HOST"), ("/opt/flexlm/license.dat", "is not PORT@HOST"),
    ("²@host", "1 to 65535"), ("99999@licbox", "1 to 65535"), ("0@licbox", "1 to 65535"),
    ("27000@", "host"), ("27000@lic box", "spaces"), ("27000@a;27000@b", ";"),
    ("27000@a,27000@b", "exactly three"), ("27000@http://licbox", "is not PORT@HOST"),
])
def test_refused_forms_say_why_in_one_line(text, why):
    with pytest.raises(ServerSpecError) as err:
        check_server_argument(text)
    assert why in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, LmdoctorError) and isinstance(err.value, ValueError)
    with pytest.raises(argparse.ArgumentTypeError):
        argparse_server(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
@example("²@host")  # str.isdigit() accepts '²' and int() then raised a traceback
@example("²7000@host")
@example("@")
@example(",,")
def test_any_text_is_accepted_or_refused_never_crashes(text):
    try:
        ok = check_server_argument(text)
    except ServerSpecError:
        return
    spec = parse_server_spec(ok)
    assert spec is not None and not spec.problems or set(spec.problems) == {"localhost"}
    for s in spec.servers:
        assert s.port is None and s.port_text == "" or 1 <= s.port <= 65535 and s.port_text.isascii()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 65535), hosts), min_size=1, max_size=3).filter(lambda x: len(x) != 2))
def test_what_is_written_is_what_is_read(pairs):
    text = ",".join(f"{p}@{h}" for p, h in pairs)
    assert check_server_argument(text) == text
    assert [(s.port, s.host) for s in parse_server_spec(text).servers] == pairs


def test_every_server_option_uses_the_one_validator():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    seen = []
    for name, p in sub.choices.items():
        for action in p._actions:
            if "--server" in action.option_strings:
                assert action.type is argparse_server, name
                seen.append(name)
    assert {"check", "diagnose", "tui"} <= set(seen)
