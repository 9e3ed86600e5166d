"""The sandbox lmutil: lmstat, lmdiag, lmhostid, lmdown and lmver, printing output shaped
like FlexNet's (facts file, section 4). It talks to the sandbox daemons only; lmdoctor's
own probes never use it, they run whatever lmutil the user has."""
from __future__ import annotations

import datetime as _dt
import os
import re
import socket
import sys
from dataclasses import dataclass
from typing import List, Optional, Tuple

from .client import ClientError, ServerStatus, diag, features, lmdown, server_status, where
from .common import build_text, lmgrd_version, set_process_title, version_short

VERBS = ("lmstat", "lmdiag", "lmhostid", "lmdown", "lmver")
ERRNO_TEXT = {111: "Connection refused", 110: "Connection timed out", 113: "No route to host",
              101: "Network is unreachable", 104: "Connection reset by peer"}


@dataclass
class Target:
    text: str  # as the user wrote it: 27000@host or a license path
    host: str
    port: int


def _header(out: List[str]) -> None:
    out.append(f"lmutil - Copyright (c) 1989-{_dt.date.today().year} Flexera. All Rights Reserved.")


def _now_line(prefix: str) -> str:
    n = _dt.datetime.now()
    return f"{prefix} on {n.strftime('%a')} {n.month}/{n.day}/{n.year} {n.strftime('%H:%M')}"


def cannot_connect(err: ClientError) -> str:
    code = err.errno or 111
    text = ERRNO_TEXT.get(code) or str(err)
    return f'Cannot connect to license server system. (-15,570:{code} "{text}")'


def _targets(spec: Optional[str]) -> Tuple[List[Target], str]:
    """Resolve -c (or SIGASI_LM_LICENSE_FILE / LM_LICENSE_FILE) into port@host targets."""
    spec = spec or os.environ.get("SIGASI_LM_LICENSE_FILE") or os.environ.get("LM_LICENSE_FILE") or ""
    out: List[Target] = []
    for entry in re.split(r"[:;]", spec) if spec and not os.path.exists(spec) else [spec]:
        entry = entry.strip()
        m = re.match(r"^(\d*)@([^,@]+)", entry)
        if m:
            out.append(Target(entry, m.group(2), int(m.group(1)) if m.group(1) else 27000))
        elif entry and os.path.isfile(entry):
            from ..inputgate import InputError, read_license

            try:
                lic = read_license(entry)
            except InputError:
                continue
            for s in lic.servers[:1]:
                out.append(Target(entry, s.host, s.port or 27000))
    return out, spec


def _connect_host(t: Target) -> str:
    # The sandbox listens on 127.0.0.1 only; the SERVER host name of this machine reaches it there.
    try:
        from ..hostinfo import current_identity

        if current_identity().is_this_host(t.host):
            return "127.0.0.1"
    except Exception:  # identity unknown: connect to the host as the license names it
        pass
    return t.host


def _opt(args: List[str], name: str) -> Optional[str]:
    if name in args:
        i = args.index(name)
        if i + 1 < len(args):
            return args[i + 1]
    return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# -- lmstat -------------------------------------------------------------------------------------

def lmstat(args: List[str]) -> Tuple[List[str], int]:
    out: List[str] = []
    _header(out)
    out.append(_now_line("Flexible License Manager status"))
    out.append("")
    targets, spec = _targets(_opt(args, "-c"))
    if not targets:
        out.append("Error getting status: Cannot find license file. (-1,359:2 \"No such file or directory\")")
        return out, 1
    if "-i" in args:
        return _license_table(out, targets)
    want = _opt(args, "-f")
    rc = 0
    for t in targets:
        host = _connect_host(t)
        try:
            st = server_status(host, t.port)
        except ClientError as err:
            out.append(f"License server status: {t.port}@{t.host}")
            out.append(f"    License file(s) on {t.host}: {t.text}:")
            out.append("")
            out.append(f"{t.host}: {cannot_connect(err)}")
            out.append("")
            rc = 1
            continue
        out.append(f"License server status: {st.port}@{st.host}")
        out.append(f"    License file(s) on {st.host}: {st.license_path}:")
        out.append("")
        out.append(f"{st.host}: license server UP (MASTER) {version_short(st.version)}")
        out.append("")
        out.append(f"Vendor daemon status (on {st.host}):")
        out.append("")
        rc = max(rc, _vendor_usage(out, st, host, want))
    return out, rc


def _license_table(out: List[str], targets: List[Target]) -> Tuple[List[str], int]:
    """``lmstat -i``: the feature table of the license file (the server's, for a port@host)."""
    from ..inputgate import InputError, read_license

    out[:] = out[:1]  # -i prints no status line
    out += ["NOTE: lmstat -i does not give information from the server,",
            "      but only reads the license file.  For this reason,",
            "      lmstat -a is recommended instead.", ""]
    rows: List[Tuple[str, str, str, str, str]] = []
    for t in targets:
        path = t.text if os.path.isfile(t.text) else None
        if path is None:
            try:
                path = server_status(_connect_host(t), t.port).license_path
            except ClientError as err:
                out.append(f"lmstat: {cannot_connect(err)}")
                return out, 1
        try:
            lic = read_license(path)
        except InputError:
            out.append("Error getting status: Cannot find license file. (-1,359:2 \"No such file or directory\")")
            return out, 1
        rows += [(f.name, f.version, f.count_text, f.expiry.text, f.vendor) for f in lic.features]
    out.append(f"{'Feature':<32}{'Version':<12}{'#licenses':<13}{'Expires':<13}Vendor")
    out.append(f"{'_______':<32}{'_________':<12}{'_________':<13}{'__________':<13}______")
    for name, version, count, expires, vendor in rows:
        out.append(f"{name:<32}{version:<13}{count:<12} {expires:<12} {vendor}")
    return out, 0


def _vendor_usage(out: List[str], st: ServerStatus, host: str, want: Optional[str]) -> int:
    rc = 0
    for v in st.vendors:
        if not v.up:
            out.append(f"    {v.name}: The desired vendor daemon is down. (-97,121)")
            rc = 1
            continue
        out.append(f"    {v.name}: UP {version_short(v.version)}")
        try:
            feats, users = features(host, v.port)
        except ClientError:
            out.append(f"    {v.name}: Cannot read data from license server system. (-16,287)")
            rc = 1
            continue
        out.append("Feature usage info:")
        out.append("")
        if want and not any(f.name == want for f in feats):
            out.append(f"Users of {want}:  Cannot get users of {want}: No such feature exists. (-5,222)")
            out.append("")
            rc = 1
            continue
        for f in feats:
            if want and f.name != want:
                continue
            if f.total:
                out.append(f"Users of {f.name}:  (Total of {_plural(f.total, 'license')} issued;  "
                           f"Total of {_plural(f.in_use, 'license')} in use)")
            else:
                out.append(f"Users of {f.name}:  (Uncounted, node-locked)")
            out.append("")
            holders = [u for u in users if u.feature == f.name]
            if holders or want:
                out.append(f'  "{f.name}" v{f.version}, vendor: {v.name}, expiry: {f.expiry}')
                out.append("  floating license")
                out.append("")
                for u in holders:
                    t = _dt.datetime.fromtimestamp(u.start)
                    out.append(f"    {u.user} {u.host} {u.display} (v{u.version}) ({st.host}/{st.port} {u.handle}), "
                               f"start {t.strftime('%a')} {t.month}/{t.day} {t.hour}:{t.minute:02d}")
                out.append("")
    return rc


# -- lmdiag -------------------------------------------------------------------------------------

def lmdiag(args: List[str]) -> Tuple[List[str], int]:
    out: List[str] = []
    _header(out)
    out.append(_now_line("FlexNet diagnostics"))
    out.append("")
    spec = _opt(args, "-c")
    rest = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] != "-c")]
    want = rest[0] if rest else None
    targets, _ = _targets(spec)
    if not targets:
        out.append("lmdiag: Cannot find license file. (-1,359:2 \"No such file or directory\")")
        return out, 1
    rule = "-" * 53
    rc = 0
    for t in targets:
        host = _connect_host(t)
        out += [rule, f"License file: {t.text}", rule]
        try:
            st = server_status(host, t.port)
        except ClientError as err:
            _diag_down(out, err, t, want)
            out.append(rule)
            rc = 1
            continue
        for v in st.vendors:
            vport = None
            try:
                vport = where(host, t.port, v.name)
            except ClientError:
                pass
            if vport is None:
                name = want or v.name
                out += ["This license cannot be checked out because:", "\tThe desired vendor daemon is down.",
                        f"Feature:       {name}", f"License path:  {t.text}", "FlexNet Licensing error:-97,121", rule]
                rc = 1
                continue
            try:
                names = [want] if want else [f.name for f in features(host, vport)[0]]
                for name in names:
                    ans = diag(host, vport, name)
                    rc = max(rc, _diag_block(out, st, v.name, name, ans, t))
                    out.append(rule)
            except ClientError as err:
                out.append(cannot_connect(err))
                rc = 1
    return out, rc


def _diag_block(out: List[str], st: ServerStatus, vendor: str, name: str, ans: List[str], t: Target) -> int:
    # Answers: "OK version expiry total" or "NO code version|- expiry|- reason words".
    ok = bool(ans) and ans[0] == "OK"
    version = ans[1] if ok and len(ans) > 1 else (ans[2] if len(ans) > 2 else "-")
    expiry = ans[2] if ok and len(ans) > 2 else (ans[3] if len(ans) > 3 else "-")
    if version != "-":
        out.append(f'"{name}" v{version}, vendor: {vendor}, expiry: {expiry}')
        out.append(f"License server: {st.host}")
        out.append(f"floating license  expires: {expiry}")
        out.append("")
    if ok:
        out.append("This license can be checked out")
        return 0
    code = ans[1] if len(ans) > 1 else "-12,0"
    words = ans[4:]
    out.append("This license cannot be checked out because:")
    out.append("\t" + (" ".join(words) or "Invalid returned data from license server system."))
    out.append(f"Feature:       {name}")
    out.append(f"License path:  {t.text}")
    out.append(f"FlexNet Licensing error:{code}")
    return 1


def _diag_down(out: List[str], err: ClientError, t: Target, feature: Optional[str]) -> None:
    code = err.errno or 111
    out.append("This license cannot be checked out because:")
    out.append("\tCannot connect to license server system.")
    out.append(" The license server manager (lmgrd) has not been started yet,")
    out.append(" the wrong port@host or license file is being used, or the")
    out.append(" port or hostname in the license file has been changed.")
    if feature:
        out.append(f"Feature:       {feature}")
    out.append(f"Server name:   {t.host}")
    out.append(f"License path:  {t.text}")
    out.append(f'FlexNet Licensing error:-15,570.  System Error: {code} "{ERRNO_TEXT.get(code) or err}"')


# -- lmhostid, lmdown, lmver ------------------------------------------------------------------

def lmhostid(args: List[str]) -> Tuple[List[str], int]:
    from ..hostinfo import current_identity

    ident = current_identity()
    out: List[str] = []
    _header(out)
    if "-hostname" in args:
        ids = [f"HOSTNAME={ident.short_name or socket.gethostname()}"]
    elif "-internet" in args:
        ids = [f"INTERNET={a}" for a in sorted(ident.addresses) if "." in a and not a.startswith("127.")]
    else:
        ids = list(ident.macs)
    if not ids:
        out.append('The FlexNet host ID of this machine is ""')
        return out, 1
    if len(ids) == 1:
        out.append(f'The FlexNet host ID of this machine is "{ids[0]}"')
    else:
        out.append(f'The FlexNet host ID of this machine is ""{" ".join(ids)}""')
        out.append("Only use ONE from the list of hostids.")
    return out, 0


def lmdown_cmd(args: List[str]) -> Tuple[List[str], int]:
    out: List[str] = []
    _header(out)
    out.append("")
    targets, _ = _targets(_opt(args, "-c"))
    if not targets:
        out.append("lmdown: Cannot find license file. (-1,359:2 \"No such file or directory\")")
        return out, 1
    t = targets[0]
    host = _connect_host(t)
    try:
        st = server_status(host, t.port)
    except ClientError as err:
        out.append(cannot_connect(err))
        return out, 1
    out.append("    Port@Host         Vendors")
    out.append(f"1) {st.port}@{st.host}  " + " ".join(v.name for v in st.vendors))
    out.append("")
    if "-q" not in args and "-force" not in args:
        _flush(out)
        out = []
        sys.stdout.write("Are you sure (y/n)?  ")
        sys.stdout.flush()
        answer = sys.stdin.readline().strip().lower()
        if not answer.startswith("y"):
            return out, 0
    out.append(f"\tShutting down FlexNet on nodes:  {st.host}")
    try:
        lmdown(host, t.port)
    except ClientError as err:
        out.append(cannot_connect(err))
        return out, 1
    out.append("1 FlexNet License Server shut down")
    return out, 0


_VERSION_IN_BINARY = re.compile(rb"v(\d+\.\d+\.\d+\.\d+) build (\d+)")
_VERSION_IN_SCRIPT = re.compile(rb"version='(\d+\.\d+\.\d+\.\d+)'")


def lmver(args: List[str]) -> Tuple[List[str], int]:
    out: List[str] = []
    _header(out)
    files = [a for a in args if not a.startswith("-")]
    if not files:
        out.append(f"FlexNet Licensing {build_text(lmgrd_version())}")
        return out, 0
    from ..inputgate import InputError, Kind, read_input

    try:
        data = read_input(files[0], Kind.TEXT)
    except InputError as exc:
        out.append(f"lmver: cannot open {files[0]}: {exc.strerror or exc}")
        return out, 1
    m = _VERSION_IN_SCRIPT.search(data)
    if m:
        out.append(f"FlexNet Licensing {build_text(m.group(1).decode())}")
        return out, 0
    m = _VERSION_IN_BINARY.search(data)
    if m:
        out.append(f"FlexNet Licensing v{m.group(1).decode()} build {m.group(2).decode()}")
        return out, 0
    out.append(f"lmver: no FlexNet version found in {files[0]}")
    return out, 1


def _flush(lines: List[str]) -> None:
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


USAGE = """usage: lmutil lmstat [-a] [-c port@host|license] [-f feature]
       lmutil lmdiag [-c port@host|license] [-n] [feature]
       lmutil lmhostid [-ether|-hostname|-internet]
       lmutil lmdown -c port@host [-q]
       lmutil lmver [file]
(lmdoctor sandbox lmutil: imitates FlexNet's for tests and training)"""


def main(argv: Optional[List[str]] = None, *, version: Optional[str] = None, sandbox_dir: Optional[str] = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    set_process_title(argv[0] if argv else "lmutil", argv[1:])
    if version:
        os.environ.setdefault("LMDOCTOR_SANDBOX_LMGRD_VERSION", version)
    base = os.path.basename(argv[0]) if argv else "lmutil"
    args = argv[1:]
    if base in VERBS:
        verb = base
    elif args and args[0] in VERBS:
        verb, args = args[0], args[1:]
    elif args and args[0] in ("-v", "-version"):
        verb = "lmver"
        args = []
    else:
        print(USAGE, file=sys.stderr)
        return 1
    fn = {"lmstat": lmstat, "lmdiag": lmdiag, "lmhostid": lmhostid, "lmdown": lmdown_cmd, "lmver": lmver}[verb]
    try:
        lines, rc = fn(args)
    except KeyboardInterrupt:
        return 1
    _flush(lines)
    return rc
