"""``lmdoctor lmstat FILE|-``: read saved ``lmstat -a`` / ``lmstat -i`` output (e.g. from a ticket)."""
from __future__ import annotations

import argparse
from typing import List

from ._common import add_format_option

HELP = "read saved lmstat -a / -i output and report servers, quorum, daemons, features and users"
DESCRIPTION = (
    "Read the output of `lmutil lmstat -a` (or -i, -f, -v) that was saved to a file or pasted into a "
    "ticket, and report: license servers (UP, MASTER, down with the error explained), triad quorum, "
    "vendor daemons, features with issued / in use / expiry, and who holds which license. Lines that "
    "could not be understood are listed, never dropped. Exit codes: 0 fine, 1 warnings, 2 failures, "
    "3 the input could not be read or is not lmstat output."
)


def _days(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("--warn-days must be 0 or more")
    return n


def _date(text: str):
    import datetime

    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE|-", help="saved lmstat output; '-' reads standard input")
    p.add_argument("--warn-days", type=_days, default=30, metavar="N",
                   help="warn about features that expire within N days (default 30)")
    p.add_argument("--today", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="judge expiry dates as of this day (default: the day the output was taken, from its "
                        "'status on' line, else today)")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    from ..findings import Report
    from ..flexnet.lmstat import parse_lmstat
    from ..flexnet.lmutil import lmstat_findings
    from ._common import InputError, Kind, emit, fail_input, read_input

    try:
        data = read_input(args.file, Kind.LMSTAT)
    except InputError as exc:
        return fail_input(str(exc))
    from ..filekind import FileKind, wrong_kind_message

    wrong = wrong_kind_message(data, FileKind.LMSTAT, args.file)
    if wrong:
        return fail_input(wrong)
    if b"\x00" in data[:65536]:
        return fail_input(f"{args.file} is a binary file, not lmstat output (save the text that "
                          "`lmutil lmstat -a -c 27000@server` prints and pass that)")
    result = parse_lmstat(data)
    name = "<stdin>" if args.file == "-" else args.file
    if not result.looks_like_lmstat:
        return fail_input(
            f"{name} does not look like lmstat output: no 'License server status', 'Users of', lmstat -i "
            "table or lmutil header was found (expected what `lmutil lmstat -a -c 27000@server` prints)"
        )
    from ..flexnet.lmutil import lmstat_as_of

    findings = lmstat_findings(result, warn_days=args.warn_days, today=args.today, source=name)
    report = Report(command="lmstat", findings=findings)
    report.meta["heading"] = listing(result)
    report.meta["source"] = name
    # Expiry is judged as of the output's own date unless --today says otherwise (issue 13 item 15).
    report.meta["as_of"] = lmstat_as_of(result, args.today).to_dict()
    report.meta["lmstat"] = result.to_dict()
    return emit(report, args)


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def listing(result) -> str:
    """A compact, table-like picture of the lmstat output for the text and markdown reports."""
    out = [_header_line(result.header)]
    for e in result.errors:
        out += _error_lines(e)
    for b in result.blocks:
        out.append("")
        out += _block_lines(b)
    if result.license_table:
        out.append("")
        out.append("License file contents (lmstat -i; read from the file, not from the server):")
        fw = min(40, max(len(r.feature) for r in result.license_table) + 2)
        out.append(f"  {'feature':<{fw}} {'version':<10} {'count':>6}  {'vendor':<10} expires")
        for r in result.license_table:
            out.append(f"  {r.feature:<{fw}} {r.version:<10} {r.count:>6}  {r.vendor:<10} {r.expires}")
    if result.placeholders:
        out.append("")
        out.append(f"({result.placeholders} '...' line(s): the output was shortened before it was pasted)")
    if result.unparsed:
        out.append("")
        out.append("Not understood:")
        for n, t in result.unparsed[:50]:
            out.append(f"  line {n}: {_short(t, 100)}")
        if len(result.unparsed) + result.unparsed_more > 50:
            out.append(f"  ... {len(result.unparsed) + result.unparsed_more - 50} more")
    return "\n".join(out)


def _header_line(h) -> str:
    head = "lmstat output"
    if h.tool or h.company:
        head += f" from {h.tool or 'lmutil'}" + (f" ({h.company}, {h.copyright})" if h.company else "")
    if h.version:
        head += f", version {h.version}"
        head += (f" build {h.build}" if h.build else "") + (f" {h.platform}" if h.platform else "")
    if h.status_time:
        head += f", status on {h.status_time}"
    return head


def _error_lines(e) -> List[str]:
    from ..flexnet.lmstat import explain_ref

    out = [f"  ERROR  {_short(e.text, 100)}"]
    out += [f"         {ex}" for ex in map(explain_ref, e.refs) if ex]
    return out


def _block_lines(b) -> List[str]:
    """One server block: its servers, errors, vendor daemons, features and who holds them."""
    from ..flexnet.lmstat import explain_ref

    out = []
    q = b.quorum
    title = f"License server status: {b.spec or '(not shown)'}"
    if q is not None:
        title += f"   [triad: {q.up} of 3 up, " + ("quorum held" if q.has_quorum else "QUORUM LOST") + "]"
    out.append(title)
    for lf in b.license_files:
        out.append(f"  license file on {lf.host}: {lf.path}")
    # One column width for server and vendor names, so the UP/DOWN column lines up in the block.
    width = max([len(s.host) for s in b.servers] + [len(v.name) for v in b.vendors] + [8])
    for s in b.servers:
        if s.up:
            out.append(f"  {s.host:<{width}}  UP{' MASTER' if s.master else '       '}  {s.version or ''}".rstrip())
        else:
            out.append(f"  {s.host:<{width}}  DOWN       {_short(s.text, 90)}")
            out += [f"  {'':<{width}}             {ex}" for ex in map(explain_ref, s.error.refs if s.error else [])
                    if ex]
    for e in b.errors:
        out.append(f"  ERROR  {_short(e.text, 100)}")
    if b.vendors:
        out.append(f"  vendor daemons (on {b.vendors[0].on_host or '?'}):")
        for v in b.vendors:
            if v.up:
                out.append(f"    {v.name:<{width}}  UP  {v.version or ''}".rstrip())
            else:
                out.append(f"    {v.name:<{width}}  DOWN  {_short(v.text, 90)}")
    if b.features:
        out += _feature_table(b.features)
    holders = [f for f in b.features if f.users or f.users_more or f.reservations]
    if holders:
        out.append("  who holds what:")
        for f in holders:
            out += _holder_lines(f)
    return out


def _feature_table(features) -> List[str]:
    fw = min(40, max(len(f.name) for f in features) + 2)
    out = [f"  {'feature':<{fw}} {'issued':>7} {'in use':>7}  expiry"]
    for f in features:
        if f.uncounted:
            issued, used = "uncounted", ""
        elif f.issued is None:
            issued, used = "?", "?"
        else:
            issued, used = str(f.issued), str(f.in_use)
        exps = sorted({(v.expiry or "") for v in f.versions if v.expiry})
        exp = ", ".join(exps)
        note = f"  ({f.error})" if f.error else ""
        out.append(f"  {_short(f.name or '(no name)', fw):<{fw}} {issued:>7} {used:>7}  {exp}{note}".rstrip())
    return out


def _holder_lines(f) -> List[str]:
    """A feature's reservations and users, one line each: who, how many, since when, which process."""
    out = [f"    {f.name}: {rsv.count} reserved for {rsv.kind} {rsv.name}" for rsv in f.reservations]
    for u in f.users:
        who = f"{u.user}@{u.host}" + (f" ({_short(u.display, 30)})" if u.display else "")
        bits = []
        if u.extra:
            bits.append(" ".join(u.extra))
        if u.queued:
            bits.append(f"QUEUED for {u.count}")
        else:
            bits.append(f"{u.count} license{'s' if u.count != 1 else ''}")
        if u.start:
            bits.append(f"since {u.start}")
        if u.client_version:
            bits.append(u.client_version)
        if u.pid is not None:
            bits.append(f"PID {u.pid}")
        if u.linger:
            bits.append(f"linger {u.linger[0]}")
        out.append(f"    {f.name or '?'}: {who}  " + ", ".join(bits))
    if f.users_more:
        out.append(f"    {f.name or '?'}: ... {f.users_more} more user line(s), counted but not listed")
    return out
