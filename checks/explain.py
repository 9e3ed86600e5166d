"""``lmdoctor explain``: turn FlexLM error codes, exit signals and known messages into findings.

Input is anything a user pastes: a bare code (``-15``), a code with minor and errno
(``-18,327:10054``), a dialog text, or whole debug-log lines. Each distinct code, exit
signal and catalogue message becomes one finding (repeats are counted, not repeated).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from .errors import (
    BELOW_EXIT_BASE,
    ErrorRef,
    ExitRef,
    decode_exit_signal,
    errno_interpretations,
    find_error_codes,
    find_exit_signals,
    flexlm_meaning,
    flexlm_range_hint,
    practical_meaning,
    unix_signal,
)
from .findings import Finding, Status
from .flexnet.catalogue import LINE_PREFIX, CatalogueMatch, Cause, load_catalogue

MAX_EVIDENCE = 5
# Catalogue causes whose whole content is the exit decode: the exit finding covers their lines.
_EXIT_CAUSES = (Cause.DAEMON_EXIT, Cause.LMGRD_EXIT)


def _split_next(text: str) -> Tuple[str, str]:
    """PRACTICAL texts end with 'Next: ...': that part is the fix."""
    i = text.find("Next:")
    if i < 0:
        return text, ""
    return text[:i].strip(), text[i + len("Next:"):].strip()


def _code_label(ref: ErrorRef) -> str:
    s = str(ref.major)
    if ref.minor is not None:
        s += f",{ref.minor}"
    if ref.errno is not None:
        s += f":{ref.errno}"
    return s


def explain_code(ref: ErrorRef, harmless: bool = False, evidence: Optional[List[str]] = None,
                 context: str = "", sigasi: Optional[bool] = None) -> Finding:
    """One code explained. ``context``: the text it came from (the vendor's own words there count);
    ``sigasi``: add Sigasi's notes (default: when the context mentions Sigasi)."""
    meaning = flexlm_meaning(ref.major)
    lines: List[str] = []
    if meaning:
        lines.append(f"FlexLM {ref.major}: {meaning}.")
    else:
        hint = flexlm_range_hint(ref.major)
        lines.append(f"FlexLM {ref.major}: unknown - this code is not in lmdoctor's table"
                     + (f" ({hint})." if hint else ".")
                     + " Search the vendor's FlexNet documentation for it.")
    if ref.minor is not None:
        lines.append(f"Minor {ref.minor}: marks the place in the FlexNet library that raised the "
                     "error; it has no public meaning (quote it to the vendor's support).")
    if ref.errno is not None:
        lines.append(f"OS error {ref.errno}, read both ways:")
        lines.extend(f"  - {t}" for t in errno_interpretations(ref.errno))
        if ref.errno_text:
            lines.append(f"  The message printed with it: \"{ref.errno_text}\".")
    practical = practical_meaning(ref.major, context or " ".join(evidence or []), sigasi)
    fix = ""
    if practical:
        what, fix = _split_next(practical)
        lines.append(f"In practice: {what}")
    elif meaning:
        fix = ("Read the meaning above; check the license server's debug log (`lmdoctor log FILE`) "
               "around the time it happened.")
    if harmless:
        lines.append("On this line it is expected and harmless: Sigasi Studio probes "
                     "com.sigasi.hdt.custom and com.sigasi.hdt.preview.")
        fix = "Nothing to do."
    title = f"{_code_label(ref)}: {meaning}" if meaning else f"{_code_label(ref)}: unknown FlexLM error code"
    status = Status.INFO if harmless or not meaning else Status.FAIL
    return Finding(id="explain.code", status=status, title=title, detail="\n".join(lines), fix=fix,
                   evidence=tuple(evidence or [ref.raw]),
                   seed_ref="Troubleshooting > Floating licenses" if harmless else None)


def explain_signal(ref: ExitRef, lmgrd: bool, evidence: Optional[List[str]] = None) -> Finding:
    """lmgrd's own exit, or a number below both exit bases: a plain Unix signal (item 1)."""
    name, meaning, orderly = unix_signal(ref.signal)
    who = "lmgrd" if lmgrd else "The daemon"
    lines = [f"{who} exited on signal {ref.signal} = {name}: {meaning}."]
    if lmgrd:
        lines.append("lmgrd's own exit number is a Unix signal; the base + reason rule (32 Unix / 23 "
                     "Windows) applies only to vendor daemons' exits.")
    if orderly:
        status, fix = Status.INFO, "Nothing to do if the stop was intended; start lmgrd again to serve."
    elif ref.signal == 1:
        status = Status.WARN
        fix = ("Start lmgrd detached from the terminal (nohup, or as a systemd/Windows service) so that "
               "closing the session does not stop it.")
    else:
        status = Status.FAIL
        fix = "Read the debug-log lines just before the exit; a crash may need a newer FlexNet (lmgrd -v)."
    title = f"{'lmgrd' if lmgrd else 'Exit'} {'exit ' if lmgrd else ''}{ref.signal} = {name}" + (
        ": an orderly stop" if orderly else ": not an orderly stop")
    return Finding(id="explain.exit-signal", status=status, title=title,
                   detail="\n".join(lines), fix=fix, evidence=tuple(evidence or [ref.raw]))


def explain_exit(ref: ExitRef, platform_hint: Optional[str] = None,
                 evidence: Optional[List[str]] = None, lmgrd: bool = False) -> Finding:
    if lmgrd or (ref.reason is None and ref.text is None and 0 <= ref.signal < BELOW_EXIT_BASE):
        return explain_signal(ref, lmgrd, evidence)
    decodes = decode_exit_signal(ref.signal, ref.reason, platform_hint)
    lines = ["A vendor daemon's exit number is base + reason: base 32 on Unix, 23 on Windows."]
    if ref.text:
        lines.append(f"lmgrd's own words: \"{ref.text}\".")
    fixes: List[str] = []
    for d in decodes:
        where = {"unix": "Unix/Linux", "windows": "Windows"}.get(d.platform or "", "an unknown platform")
        lines.append(f"On {where}: {ref.signal} = {d.base} + {d.reason}: {d.reason_text}.")
        if d.fix and d.fix not in fixes:
            fixes.append(d.fix)
    if len(decodes) > 1:
        lines.append("Both readings are possible; the server's operating system decides which applies.")
    if decodes:
        title = f"Exit {ref.signal}: " + " / ".join(
            f"{(d.reason_text or 'unknown reason').split(' (')[0]} ({d.platform or '?'})" for d in decodes)
        status = Status.FAIL
    else:
        title = f"Exit {ref.signal}: unknown exit reason"
        lines.append(f"Neither {ref.signal} - 32 (Unix) nor {ref.signal} - 23 (Windows) is a known "
                     "exit reason; lmdoctor does not know what it means.")
        status = Status.INFO
        fixes.append("Read the debug-log lines just before the exit for the cause.")
    return Finding(id="explain.exit-signal", status=status, title=title, detail="\n".join(lines),
                   fix="\n".join(fixes), evidence=tuple(evidence or [ref.raw]),
                   seed_ref="Troubleshooting > Typical error messages")


def explain_message(m: CatalogueMatch, evidence: Optional[List[str]] = None, count: int = 1) -> Finding:
    e = m.entry
    detail = e.meaning
    if m.groups:
        detail += "\nRecognised: " + ", ".join(f"{k}={v}" for k, v in sorted(m.groups.items()))
    if count > 1:
        detail += f"\nSeen {count} times."
    return Finding(id=f"explain.message.{e.id}", status=Status(e.status), title=e.title, detail=detail,
                   fix=e.fix, evidence=tuple(evidence or [m.line.strip()]), seed_ref=e.seed_ref or None)


_WINDOWS_MARKS = ("(ibm pc)", ".exe", "c:\\", "lmtools")
_UNIX_MARKS = ("x64_lsb", "(linux)", "/usr/", "/opt/")


class Explainer:
    """``explain`` fed piece by piece, so a pasted 16 MiB log is never held whole (issue 10 item 2).

    Feed it text cut anywhere after a line feed (``feed``), then take the findings (``findings``):
    the result is what ``explain`` gives for the whole text. No marker the platform hint or the
    Sigasi test looks for spans a line feed, so reading them piece by piece finds the same.
    """

    def __init__(self) -> None:
        self.cat = load_catalogue()
        self.windows = self.unix = self.sigasi = False
        self.chars = 0  # characters fed so far
        # The first line with content, as ``text.strip().splitlines()[0]`` shows it (the command
        # quotes it when nothing is recognised), and whether more content follows it.
        self.first_line: Optional[str] = None
        self.more_content = False
        self.codes: Dict[Tuple[int, Optional[int], Optional[int]], Tuple[ErrorRef, bool, List[str]]] = {}
        self.exits: Dict[Tuple[int, Optional[int], bool], Tuple[ExitRef, List[str]]] = {}
        self.msgs: Dict[str, Tuple[CatalogueMatch, List[str], List[int]]] = {}

    def feed(self, text: str) -> None:
        """A piece of the input: all of it, or a part that ends with a line feed (the last may not)."""
        self.chars += len(text)
        low = text.lower()
        if not self.windows and any(m in low for m in _WINDOWS_MARKS):
            self.windows = True
        if not self.unix and any(m in low for m in _UNIX_MARKS):
            self.unix = True
        if not self.sigasi and "sigasi" in low:
            self.sigasi = True
        del low
        for line in text.splitlines():
            if not line.strip():
                continue
            if self.first_line is None:
                self.first_line = line.lstrip()
            else:
                self.more_content = True
            self._line(line)

    @property
    def shown(self) -> str:
        """``text.strip().splitlines()[0]`` of everything fed ('' when it was all blank)."""
        if self.first_line is None:
            return ""
        return self.first_line if self.more_content else self.first_line.rstrip()

    def _line(self, line: str) -> None:
        codes, exits, msgs = self.codes, self.exits, self.msgs
        matches = self.cat.search_text(line)
        harmless = any(m.entry.ignorable for m in matches)
        line_exits = find_exit_signals(line)
        for ref in find_error_codes(line):
            key = (ref.major, ref.minor, ref.errno)
            if key not in codes:
                codes[key] = (ref, harmless, [])
            elif not harmless and codes[key][1]:
                codes[key] = (codes[key][0], False, codes[key][2])
            if len(codes[key][2]) < MAX_EVIDENCE:
                codes[key][2].append(line.strip())
        pm = LINE_PREFIX.match(line)
        # lmgrd's own exit ("(lmgrd) EXITING DUE TO SIGNAL 15", "LICENSE DAEMON died due to signal")
        # is a Unix signal, not a vendor daemon's exit code.
        own = any(m.entry.cause is Cause.LMGRD_EXIT for m in matches) or (
            pm is not None and pm.group("daemon") == "lmgrd" and "EXITING" in line.upper())
        if own and not line_exits:  # "LICENSE DAEMON died due to signal 11": the catalogue read the number
            sig = next((m.groups.get("signal") for m in matches if m.entry.cause is Cause.LMGRD_EXIT), None)
            if sig and sig.isascii() and sig.isdigit():
                line_exits = [ExitRef(int(sig), None, None, line.strip())]
        for ex in line_exits:
            key2 = (ex.signal, ex.reason, own)
            if key2 not in exits:
                exits[key2] = (ex, [])
            if len(exits[key2][1]) < MAX_EVIDENCE:
                exits[key2][1].append(line.strip())
        for m in matches:
            if m.entry.cause in _EXIT_CAUSES and line_exits:
                continue
            if m.entry.id not in msgs:
                msgs[m.entry.id] = (m, [], [0])
            msgs[m.entry.id][2][0] += 1
            if len(msgs[m.entry.id][1]) < MAX_EVIDENCE:
                msgs[m.entry.id][1].append(line.strip())

    def findings(self) -> List[Finding]:
        if self.first_line is None:
            return []
        hint = "windows" if self.windows else "unix" if self.unix else None
        out: List[Finding] = []
        for ref, harmless, ev in self.codes.values():
            out.append(explain_code(ref, harmless, ev, context=" ".join(ev), sigasi=self.sigasi))
        for (_, _, own_exit), (ex, ev) in self.exits.items():
            out.append(explain_exit(ex, hint, ev, lmgrd=own_exit))
        for m, ev, n in self.msgs.values():
            out.append(explain_message(m, ev, n[0]))
        return out


def explain(text: str) -> List[Finding]:
    """Findings for every code, exit signal and known message in ``text``. Never raises.

    An empty list means nothing was recognised.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    ex = Explainer()
    ex.feed(text)
    return ex.findings()
