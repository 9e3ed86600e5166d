"""License edits: exactly the admin-editable fields change; every signed line and SIGN value stays byte for byte.

The property tests generate license files (either line order, CRLF or LF, a BOM, tabs, comments, blank
lines, continuations with any indentation, SIGN values broken across lines) and run every edit on them;
the generator itself knows which lines are signed, so the check does not trust the code under test.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lmdoctor.checks.license import parse_license
from lmdoctor.checks.license.lint import lint_license
from lmdoctor.checks.repair import license_edits as le

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "licenses"
COPY_IDS = {"license.bom", "license.mail-quote", "license.typographic-quotes", "license.space-after-backslash",
            "license.cr-line-endings", "license.missing-backslash", "license.backslash-before-blank",
            "license.joined-lines"}

# --------------------------------------------------------------------------- generator

word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12)
blank = st.sampled_from([" ", "  ", "\t", " \t"])
hex4 = st.text(alphabet="0123456789ABCDEF", min_size=4, max_size=4)


@st.composite
def feature(draw) -> List[str]:
    """One signed entry as physical lines (without line ends)."""
    kind = draw(st.sampled_from(["INCREMENT", "FEATURE", "PACKAGE"]))
    name = "com." + draw(word)
    groups = draw(st.lists(hex4, min_size=4, max_size=30))
    head = f"{kind} {name} sigasi {draw(st.sampled_from(['4.0', '2.0', '11.1']))} " \
           f"{draw(st.sampled_from(['1-jan-0', '31-dec-2030', 'permanent']))} {draw(st.integers(0, 50))}"
    parts = [f'VENDOR_STRING="company:{draw(word)};type:floating"', "HOSTID=ANY", "ISSUER=Sigasi"]
    cut = draw(st.integers(1, max(1, len(groups) - 1)))
    sign_a, sign_b = " ".join(groups[:cut]), " ".join(groups[cut:])
    pad = draw(blank)
    lines = [head + " \\"] + [pad + p + " \\" for p in parts]
    if sign_b and draw(st.booleans()):
        lines += [f'{pad}SIGN="{sign_a} \\', f'{pad}{sign_b}"']
    else:
        lines += [f'{pad}SIGN="{" ".join(groups)}"']
    return lines


@st.composite
def license_file(draw) -> Tuple[bytes, List[bytes]]:
    """(the file, the bytes of its signed physical lines in order)."""
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    host = draw(st.sampled_from(["your_server_name1", "licsrv01", "vm", "this_host"]))
    server = f"SERVER{draw(blank)}{host} 02fc00000001" + draw(st.sampled_from(["", " 27000", " 1024"]))
    daemon = draw(st.sampled_from([
        "DAEMON sigasi", "DAEMON sigasi port=27001", "VENDOR sigasi /opt/flex/sigasi port=1234",
        "DAEMON sigasi PORT=27001 OPTIONS=/opt/flex/sigasi.opt", "DAEMON\tsigasi\t/opt/flex/sigasi",
        "DAEMON sigasi 27001",
    ])) + draw(st.sampled_from(["", " ", "\t"]))
    head = [daemon, server] if draw(st.booleans()) else [server, daemon]
    lines: List[Tuple[str, bool]] = []
    if draw(st.booleans()):
        lines.append((f"# {draw(word)} license", False))
    lines += [(h, False) for h in head]
    for f in draw(st.lists(feature(), min_size=1, max_size=4)):
        if draw(st.booleans()):
            lines.append(("", False))
        lines += [(x, True) for x in f]
    bom = "\ufeff" if draw(st.booleans()) else ""
    text = bom + "".join(t + eol for t, _ in lines)
    signed = [(t + eol).encode() for t, s in lines if s]
    return text.encode("utf-8"), signed


def _signed_physical(data: bytes) -> List[bytes]:
    raw = data.splitlines(keepends=True)
    lic = parse_license(data)
    out: List[bytes] = []
    if raw and raw[0].startswith(b"\xef\xbb\xbf"):
        raw[0] = raw[0][3:]
    for e in lic.entries:
        if e.kind in le.SIGNED_KINDS:
            out += raw[e.first_line - 1:e.last_line]
    return out


def _edits(data: bytes):
    """Every edit an action makes, with what it must have done."""
    yield "set-server-host", lambda d: le.set_server_host(d, "vm"), \
        lambda lic: lic.servers[0].host == "vm"
    yield "change-port", lambda d: le.set_server_port(d, 27005), lambda lic: lic.servers[0].port == 27005
    yield "set-vendor-port", lambda d: le.set_vendor_port(d, 27007, "sigasi"), \
        lambda lic: lic.vendors[0].port == 27007
    yield "fix-daemon-path", lambda d: le.set_daemon_path(d, "sigasi", "/srv/flexnet/sigasi"), \
        lambda lic: lic.vendors[0].path == "/srv/flexnet/sigasi"
    yield "add-use-server", le.add_use_server, lambda lic: lic.has_use_server


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(license_file())
def test_every_edit_keeps_signed_lines_and_sign_values_byte_identical(case):
    data, signed = case
    assert _signed_physical(data) == signed  # the generator and the parser agree on what is signed
    before_signs = [f.sign for f in parse_license(data).features]
    for name, edit, did in _edits(data):
        try:
            out = edit(data)
        except le.EditRefused:
            continue
        assert _signed_physical(out) == signed, name
        assert [f.sign for f in parse_license(out).features] == before_signs, name
        assert le.signed_unchanged(data, out) is None, name
        assert did(parse_license(out)), name
        # Only the edited line differs: the rest of the file is the same bytes.
        changed = [i for i, (a, b) in enumerate(zip(data.splitlines(True), out.splitlines(True))) if a != b]
        assert len(changed) <= 1 or name == "add-use-server", (name, changed)


@settings(max_examples=80, deadline=None)
@given(license_file(), st.data())
def test_edits_chain_like_a_plan_and_stay_signed_safe(case, data_strategy):
    data, signed = case
    order = data_strategy.draw(st.permutations([e for _n, e, _d in _edits(data)]))
    out = data
    for edit in order:
        try:
            out = edit(out)
        except le.EditRefused:
            pass
    assert _signed_physical(out) == signed


# --------------------------------------------------------------------------- copy damage

def _damage(clean: bytes, draw) -> bytes:
    text = clean.decode()
    lines = text.split("\n")[:-1]
    if draw(st.booleans()):  # spaces after some continuation backslashes
        lines = [ln + draw(st.sampled_from([" ", "\t", "  "])) if ln.endswith("\\") and draw(st.booleans()) else ln
                 for ln in lines]
    if draw(st.booleans()):  # a word processor's quotes
        lines = [ln.replace('VENDOR_STRING="', "VENDOR_STRING=\u201c").replace(';type:floating"',
                                                                             ";type:floating\u201d")
                 for ln in lines]
    if draw(st.booleans()):  # a lost backslash before an indented continuation
        idx = [i for i, ln in enumerate(lines[:-1]) if ln.endswith("\\") and lines[i + 1][:1] in " \t"
               and "SIGN=" not in ln]
        if idx:
            i = draw(st.sampled_from(idx))
            lines[i] = lines[i][:-1].rstrip()
    if draw(st.booleans()):  # quoted in a mail reply
        lines = ["> " + ln for ln in lines]
    eol = draw(st.sampled_from(["\n", "\r"]))
    out = "".join(ln + eol for ln in lines)
    if draw(st.booleans()):
        out = "\ufeff" + out
    return out.encode()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(license_file(), st.data())
def test_copy_damage_repair_gives_back_the_key_and_changes_only_what_copying_changes(case, data_strategy):
    clean, _signed = case
    if clean.startswith(b"\xef\xbb\xbf") or b"\r" in clean or b"\t" in clean.split(b"\n")[0]:
        return  # start from a plain copy: the damage below adds BOM and line endings itself
    damaged = _damage(clean, data_strategy.draw)
    restored, what = le.restore_copy(damaged)
    assert le.signed_unchanged(damaged, restored, copy_repair=True) is None
    assert le.copy_normal_form(restored) == le.copy_normal_form(clean)
    a, b = parse_license(restored), parse_license(clean)
    assert [f.sign for f in a.features] == [f.sign for f in b.features]
    assert [(e.kind, [(t.key, t.value) for t in e.tokens]) for e in a.entries if e.kind in le.SIGNED_KINDS] == \
        [(e.kind, [(t.key, t.value) for t in e.tokens]) for e in b.entries if e.kind in le.SIGNED_KINDS]
    assert not {f.id for f in lint_license(a)} & COPY_IDS
    if damaged != restored:
        assert what


@pytest.mark.parametrize("name,finding", [
    ("mail_quoted", "license.mail-quote"), ("curly_quotes", "license.typographic-quotes"),
    ("lost_backslash", "license.missing-backslash"), ("space_after_backslash", "license.space-after-backslash"),
    ("sigasi_floating_bom", "license.bom"), ("sigasi_floating_cr", "license.cr-line-endings"),
    ("backslash_blank", "license.backslash-before-blank"), ("joined_lines", "license.joined-lines"),
])
def test_copy_damage_fixtures_are_restored(name, finding):
    data = (FIXTURES / f"{name}.lic").read_bytes()
    assert finding in {f.id for f in lint_license(parse_license(data))}
    out, what = le.restore_copy(data)
    assert what and finding not in {f.id for f in lint_license(parse_license(out))}
    assert le.signed_unchanged(data, out, copy_repair=True) is None


def test_copy_repair_refuses_to_invent_content():
    """A change outside the allowed classes is caught by the guard (it is what stops a buggy edit)."""
    data = (FIXTURES / "sigasi_floating.lic").read_bytes()
    tampered = data.replace(b"HOSTID=ANY", b"HOSTID=ANX", 1)
    assert le.signed_unchanged(data, tampered, copy_repair=True)
    assert le.signed_unchanged(data, tampered)


# --------------------------------------------------------------------------- exact edits

SIGASI = (b"DAEMON sigasi port=27001\r\n"
          b"SERVER your_server_name1 02fc00000001 27000\r\n"
          b"INCREMENT com.sigasi.hdt sigasi 4.0 1-jan-0 4 \\\r\n"
          b'\tHOSTID=ANY SIGN="0CCC 87EA"\r\n')


def test_host_edit_touches_the_host_bytes_only():
    out = le.set_server_host(SIGASI, "vm")
    assert out == SIGASI.replace(b"your_server_name1", b"vm")


def test_port_edits_replace_or_add():
    assert le.set_server_port(SIGASI, 27010) == SIGASI.replace(b"02fc00000001 27000", b"02fc00000001 27010")
    no_port = SIGASI.replace(b" 27000\r\n", b"\r\n")
    assert le.set_server_port(no_port, 27000) == SIGASI
    assert le.set_vendor_port(SIGASI, 27011) == SIGASI.replace(b"port=27001", b"port=27011")
    bare = SIGASI.replace(b"DAEMON sigasi port=27001", b"DAEMON sigasi")
    assert le.set_vendor_port(bare, 27001) == SIGASI
    upper = SIGASI.replace(b"port=27001", b"PORT=27001")
    assert le.set_vendor_port(upper, 27002) == SIGASI.replace(b"port=27001", b"PORT=27002")


def test_use_server_goes_after_the_server_and_daemon_lines_with_the_files_line_end():
    out = le.add_use_server(SIGASI)
    assert out.split(b"\r\n")[2] == b"USE_SERVER"
    with pytest.raises(le.EditRefused):
        le.add_use_server(out)


def test_refusals():
    with pytest.raises(le.EditRefused):
        le.set_server_host(SIGASI, "two words")
    with pytest.raises(le.EditRefused):
        le.set_server_port(SIGASI, 70000)
    with pytest.raises(le.EditRefused):
        le.set_daemon_path(SIGASI, "sigasi", "/path with/spaces/sigasi")
    with pytest.raises(le.EditRefused):
        le.set_vendor_port(SIGASI, 27001, vendor="other")
    with pytest.raises(le.EditRefused):
        le.LicenseBytes(b"\x00\x01\x02binary\x00")


def test_utf16_file_is_edited_in_its_own_encoding():
    data = (FIXTURES / "sigasi_floating_utf16.lic").read_bytes()
    lic = parse_license(data)
    out = le.set_server_port(data, 27009)
    assert parse_license(out).servers[0].port == 27009
    assert parse_license(out).encoding == lic.encoding and out[:2] == data[:2]
    assert le.signed_unchanged(data, out) is None


def test_diff_shows_the_changed_line():
    diff = le.unified_diff(SIGASI, le.set_server_host(SIGASI, "vm"), "sigasi.lic")
    assert "-SERVER your_server_name1 02fc00000001 27000" in diff
    assert "+SERVER vm 02fc00000001 27000" in diff
