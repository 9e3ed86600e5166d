"""The license search-path parser: hypothesis properties and the cases the manual names."""
from __future__ import annotations

import os

from hypothesis import example, given, settings
from hypothesis import strategies as st

from lmdoctor.checks.findings import Status
from lmdoctor.checks.probes.context import ProbeContext
from lmdoctor.checks.probes.searchpath import (
    MAX_ENTRIES,
    MAX_VALUE_CHARS,
    collect_sources,
    first_license_file,
    parse_entry,
    parse_search_path,
    probe_searchpath,
    read_flexlmrc,
    server_targets,
)

hosts = st.from_regex(r"[a-z]([a-z0-9\-]{0,8}[a-z0-9])?(\.[a-z][a-z0-9]{0,5}){0,2}", fullmatch=True)
ports = st.integers(min_value=1, max_value=65535)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
@example("²@host")  # a Unicode digit passes str.isdigit(); int() then raised (SIGASI_LM_LICENSE_FILE='²@host')
@example("٢٧٠٠٠@host")  # Arabic-Indic digits: int() reads them, FlexNet does not
def test_any_text_parses_without_raising(value):
    for windows in (False, True):
        parsed = parse_search_path(value, windows)
        assert parsed.length == len(value)
        assert len(parsed.entries) >= 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(ports, hosts), min_size=1, max_size=6))
def test_port_at_host_entries_round_trip(pairs):
    value = ":".join(f"{p}@{h}" for p, h in pairs)
    entries = parse_search_path(value).entries
    assert [(e.servers[0].port, e.servers[0].host) for e in entries] == pairs
    assert all(e.kind == "port_at_host" and not (set(e.problems) - {"localhost"}) for e in entries)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(ports, hosts), min_size=3, max_size=3))
def test_triads_are_one_entry_of_three(pairs):
    value = ",".join(f"{p}@{h}" for p, h in pairs)
    (e,) = parse_search_path(value).entries
    assert e.kind == "triad" and len(e.servers) == 3 and "triad-size" not in e.problems


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab:@,; 0123456789/\\.", max_size=80))
def test_windows_and_unix_split_on_their_own_separator(value):
    u = parse_search_path(value, windows=False)
    w = parse_search_path(value, windows=True)
    assert len(w.entries) == value.count(";") + 1
    assert len(u.entries) <= value.count(":") + 1


def test_manual_cases():
    e = parse_entry("27000@server")
    assert e.kind == "port_at_host" and e.servers[0].port == 27000 and not e.problems
    assert parse_entry("@server").kind == "at_host"
    assert "localhost" in parse_entry("27000@localhost").problems
    assert "spaces" in parse_entry(" 27000@server").problems
    assert "spaces" in parse_entry("27000@ server").problems
    assert "bad-port" in parse_entry("70000@server").problems
    assert "bad-port" in parse_entry("abc@server").problems
    assert "triad-size" in parse_entry("27000@a,27000@b").problems
    assert "semicolon" in parse_search_path("27000@a;27000@b").entries[0].problems
    assert parse_search_path("27000@a;27000@b", windows=True).entries[1].servers[0].host == "b"
    assert "token" in parse_entry("ABCDEFGHIJKLMNOPQRSTUVWX").problems
    assert parse_entry("/opt/flex/license.dat").kind == "path"
    assert parse_entry("").kind == "empty"
    # A Windows path in a Unix variable stays one entry, so the finding can name it.
    assert [e.raw for e in parse_search_path("C:\\flexlm\\license.dat:27000@h").entries] == [
        "C:\\flexlm\\license.dat", "27000@h"]


def test_absurdly_long_values_are_cut(tmp_path):
    value = "27000@h:" * 200_000
    parsed = parse_search_path(value)
    assert parsed.truncated and len(parsed.entries) <= MAX_ENTRIES
    huge_path = "x" * (MAX_VALUE_CHARS * 4)
    assert parse_search_path(huge_path).truncated
    ctx = ProbeContext(env={"LM_LICENSE_FILE": huge_path}, home=str(tmp_path))
    found = probe_searchpath(ctx)
    long = [f for f in found if f.id == "searchpath.too-long"]
    assert long and len(long[0].evidence) < 400  # shown cut, not whole


def test_sources_order_flexlmrc_and_defaults(tmp_path):
    (tmp_path / ".flexlmrc").write_text("SIGASI_LM_LICENSE_FILE=27000@rc\n# comment\ngarbage line\n\x00\xff\n")
    env = {"LM_LICENSE_FILE": "1@generic", "SIGASI_LM_LICENSE_FILE": "2@sigasi", "ARMLMD_LICENSE_FILE": "3@arm",
           "PATH": "/bin"}
    srcs, err = collect_sources(env, str(tmp_path), ["sigasi"])
    assert err is None
    assert [s.name for s in srcs] == ["SIGASI_LM_LICENSE_FILE", "ARMLMD_LICENSE_FILE", "LM_LICENSE_FILE",
                                      "SIGASI_LM_LICENSE_FILE", "default"]
    assert srcs[3].origin == "~/.flexlmrc" and srcs[3].value == "27000@rc"
    assert [t.host for t in server_targets(srcs)] == ["sigasi", "arm", "generic", "rc"]


def test_flexlmrc_binary_and_unreadable(tmp_path):
    p = tmp_path / ".flexlmrc"
    p.write_bytes(os.urandom(2000))
    vals, err = read_flexlmrc(str(p))
    assert err is None and isinstance(vals, dict)
    vals, err = read_flexlmrc(str(tmp_path))  # a directory
    assert err is not None


def test_probe_findings_for_files_dirs_and_shadowing(tmp_path):
    lic = tmp_path / "a.lic"
    lic.write_text("SERVER h 001122334455 27000\nDAEMON sigasi port=27001\n")
    notlic = tmp_path / "notes.txt"
    notlic.write_text("hello")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    env = {"SIGASI_LM_LICENSE_FILE": f"{lic}:{tmp_path / 'missing.lic'}:{notlic}:{empty_dir}",
           "LM_LICENSE_FILE": "27000@localhost:: 27000@x"}
    ctx = ProbeContext(env=env, home=str(tmp_path))
    ids = {f.id: f for f in probe_searchpath(ctx)}
    assert "searchpath.shadowed" in ids
    assert ids["searchpath.missing"].status is Status.WARN
    assert "searchpath.not-a-license" in ids and "searchpath.empty-dir" in ids
    assert "searchpath.localhost" in ids and "searchpath.spaces" in ids and "searchpath.empty-entry" in ids
    assert first_license_file(collect_sources(env, str(tmp_path), ["sigasi"])[0])[0] == str(lic)


def test_nothing_set_is_info(tmp_path):
    found = probe_searchpath(ProbeContext(env={}, home=str(tmp_path)))
    assert [f.id for f in found] == ["searchpath.none"] and found[0].status is Status.INFO


def test_nothing_set_is_said_in_the_words_of_the_licenses_vendor(tmp_path):
    """Sigasi's variable and preference only for Sigasi; MATLAB's admin reads MLM_LICENSE_FILE."""
    from lmdoctor.checks.license import parse_license

    lic = parse_license(b"SERVER lic1 3c7c3f1e9a42 27000\nDAEMON MLM port=27010\n")
    (f,) = [x for x in probe_searchpath(ProbeContext(env={}, home=str(tmp_path), license=lic))
            if x.id == "searchpath.none"]
    assert "MLM_LICENSE_FILE" in f.title and "MLM_LICENSE_FILE=27000@<server>" in f.fix
    assert "sigasi" not in (f.title + f.detail + f.fix).lower()
    (f,) = [x for x in probe_searchpath(ProbeContext(env={}, home=str(tmp_path))) if x.id == "searchpath.none"]
    assert "SIGASI_LM_LICENSE_FILE" in f.fix
