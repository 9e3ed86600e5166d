"""lmgrd -v / vendor -v: parsing, the manual's comparison rule, and which binaries may run."""
from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from lmdoctor.checks.findings import Status
from lmdoctor.checks.flexnet.daemon import (
    VersionProbe,
    check_versions,
    compare_versions,
    find_vendor_daemon,
    parse_version,
    probe_version,
)


def exe(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def version_script(path: Path, line: str, marker: Path = None) -> Path:
    mark = f"touch '{marker}'\n" if marker else ""
    return exe(path, f"#!/bin/sh\n{mark}printf '%s\\n' '{line}'\nprintf 'Copyright (c) 1988-2023 Flexera.\\n'\n")


def lic(tmp_path: Path, daemon_line: str = "DAEMON sigasi") -> Path:
    p = tmp_path / "sigasi.lic"
    p.write_text(f"SERVER localhost ANY 27000\n{daemon_line}\nINCREMENT com.sigasi.hdt sigasi 4.0 1-jan-0 4 SIGN=0\n")
    return p


def test_parse_version_forms():
    assert parse_version("lmgrd v11.16.4.0 build 275384 x64_lsb ( build 275384 (ipv6))") == (11, 16, 4, 0)
    assert parse_version("sigasi v11.13.1.2 build 1") == (11, 13, 1, 2)
    assert parse_version("  sigasi: UP v11.16") == (11, 16)
    assert parse_version("FlexNet Licensing (v11.16.4.0 build 1) started") == (11, 16, 4, 0)
    assert parse_version("no version here, 11.16.4.0 alone") is None
    assert parse_version("") is None
    assert parse_version(None) is None  # type: ignore[arg-type]


@given(st.text())
def test_parse_version_never_raises(text):
    v = parse_version(text)
    assert v is None or (isinstance(v, tuple) and 2 <= len(v) <= 4)


def _probe(v, path="/x/sigasi"):
    return VersionProbe(path, v, "")


def test_compare_same_newer_older_unknown():
    same = compare_versions(_probe((11, 16, 4, 0), "/x/lmgrd"), _probe((11, 16, 4, 0)))
    assert (same.id, same.status) == ("daemon.version-match", Status.OK)
    newer = compare_versions(_probe((11, 16, 4, 0), "/x/lmgrd"), _probe((11, 13, 1, 2)))
    assert (newer.id, newer.status) == ("daemon.version-match", Status.OK) and "newer" in newer.title
    # 11.16 == 11.16.0.0: missing parts are zeros
    short = compare_versions(_probe((11, 16), "/x/lmgrd"), _probe((11, 16, 0, 0)))
    assert short.id == "daemon.version-match"
    older = compare_versions(_probe((11, 13, 1, 2), "/x/lmgrd"), _probe((11, 16, 4, 0)))
    assert (older.id, older.status) == ("daemon.version-mismatch", Status.FAIL)
    assert older.seed_ref == "Troubleshooting > Floating licenses"
    unknown = compare_versions(_probe(None, "/x/lmgrd"), _probe((11, 16, 4, 0)))
    assert (unknown.id, unknown.status) == ("daemon.version-unknown", Status.INFO)
    nov = compare_versions(_probe((11, 16, 4, 0), "/x/lmgrd"), None, "no sigasi next to lmgrd")
    assert nov.id == "daemon.version-unknown" and "no sigasi" in nov.detail


def test_probe_version_runs_the_binary(tmp_path):
    p = version_script(tmp_path / "lmgrd", "lmgrd v11.16.4.0 build 275384 x64_lsb")
    r = probe_version(str(p))
    assert r.version == (11, 16, 4, 0) and not r.error


def test_probe_version_of_a_hanging_binary_times_out(tmp_path):
    p = exe(tmp_path / "lmgrd", "#!/bin/sh\nexec sleep 1000\n")
    r = probe_version(str(p), timeout=0.3)
    assert r.version is None and "did not finish" in r.error


def test_probe_version_of_a_missing_binary(tmp_path):
    r = probe_version(str(tmp_path / "nope"))
    assert r.version is None and "could not run" in r.error


def test_versions_from_binaries_next_to_lmgrd(tmp_path):
    lm = version_script(tmp_path / "bin" / "lmgrd", "lmgrd v11.13.1.2 build 1 x64_lsb")
    version_script(tmp_path / "bin" / "sigasi", "sigasi v11.16.4.0 build 1 x64_lsb")
    fs = check_versions(str(lic(tmp_path)), str(lm))
    assert [(f.id, f.status) for f in fs] == [("daemon.version-mismatch", Status.FAIL)]


def test_daemon_line_path_next_to_lmgrd_is_used(tmp_path):
    lm = version_script(tmp_path / "bin" / "lmgrd", "lmgrd v11.16.4.0 build 1")
    vd = version_script(tmp_path / "bin" / "sigasi_daemon", "sigasi v11.16.4.0 build 1")
    found = find_vendor_daemon(str(lic(tmp_path, f"DAEMON sigasi {vd} port=27001")), str(lm))
    assert [(x.path, x.how) for x in found] == [(str(vd), "DAEMON line, next to lmgrd")]
    fs = check_versions(str(lic(tmp_path, f"DAEMON sigasi {vd} port=27001")), str(lm))
    assert [f.id for f in fs] == ["daemon.version-match"]


def test_daemon_line_path_elsewhere_is_never_run(tmp_path):
    lm = version_script(tmp_path / "bin" / "lmgrd", "lmgrd v11.16.4.0 build 1")
    marker = tmp_path / "ran"
    other = version_script(tmp_path / "elsewhere" / "sigasi", "sigasi v11.16.4.0", marker=marker)
    # a same-named binary next to lmgrd must not be swapped in either: the DAEMON line names another file
    version_script(tmp_path / "bin" / "sigasi", "sigasi v11.16.4.0", marker=marker)
    license_path = lic(tmp_path, f"DAEMON sigasi {other}")
    fs = check_versions(str(license_path), str(lm))
    assert [(f.id, f.status) for f in fs] == [("daemon.version-unknown", Status.INFO)]
    assert "--vendor-daemon" in fs[0].detail
    assert not marker.exists(), "a binary named in the license file was executed"


def test_vendor_daemon_given_by_the_user_is_run(tmp_path):
    lm = version_script(tmp_path / "bin" / "lmgrd", "lmgrd v11.16.4.0 build 1")
    marker = tmp_path / "ran"
    other = version_script(tmp_path / "elsewhere" / "sigasi", "sigasi v11.13.1.2", marker=marker)
    fs = check_versions(str(lic(tmp_path, f"DAEMON sigasi {other}")), str(lm), vendor_daemon=str(other))
    assert [f.id for f in fs] == ["daemon.version-match"] and "newer" in fs[0].title
    assert marker.exists()


def test_no_vendor_line(tmp_path):
    lm = version_script(tmp_path / "lmgrd", "lmgrd v11.16.4.0")
    p = tmp_path / "x.lic"
    p.write_text("SERVER h ANY 27000\n")
    fs = check_versions(str(p), str(lm))
    assert [f.id for f in fs] == ["daemon.version-unknown"]


def test_unreadable_license_never_raises(tmp_path):
    lm = version_script(tmp_path / "lmgrd", "lmgrd v11.16.4.0")
    p = tmp_path / "bin.lic"
    p.write_bytes(bytes(range(256)) * 10)
    fs = check_versions(str(p), str(lm))
    assert fs and all(f.id.startswith("daemon.version") for f in fs)
    assert sys.version_info >= (3, 9)
