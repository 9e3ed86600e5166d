"""The daemon runner: start lmgrd with ``-z`` under pexpect, read and classify what it says.

The manual's first troubleshooting step for floating licenses is "Start the FlexLM
daemon with the -z option to see what is going wrong". This module does exactly
that for the user: lmgrd (real or sandbox) runs in the foreground on a pty of its
own, in its own session and process group; every line it and its vendor daemons
print is timestamped, classified with the shared catalogue and streamed to a
callback; after ``seconds`` (or Ctrl-C, or a CancelToken) the whole tree is stopped
with :func:`checks.procs.kill_tree`; and the transcript becomes findings.

Which binaries run (the "never launch a binary named in a license file" rule):

* lmgrd comes from ``--lmgrd``, else the directory of the license file, else PATH.
  It is never taken from the license file. Running it *is* the user's request, and
  lmgrd then starts the vendor daemon the DAEMON line names, exactly as it would
  when the admin starts it by hand.
* For the ``-v`` version probe lmdoctor itself would launch the vendor daemon, so it
  only does so for a file the user passed (``--vendor-daemon``) or a file named
  after the vendor that sits in the same directory as the chosen lmgrd (the layout
  of Sigasi's zip, and where lmgrd looks itself). A DAEMON-line path elsewhere is
  reported, not executed.
"""
from __future__ import annotations

import codecs
import datetime as _dt
import enum
import errno as _errno
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..findings import Finding, Status
from ..procs import ProcessRole
from ..runtime import CancelToken, FindingSink
from .catalogue import Cause

SEED_FLOATING = "Troubleshooting > Floating licenses"
SEED_DOWNLOAD = "License server setup > Download the FlexNet daemons"
SEED_ERRORS = "Troubleshooting > Typical error messages"

DEFAULT_SECONDS = 10.0
DEFAULT_GRACE = 3.0
MAX_LINE = 8192        # a daemon printing without newlines must not grow memory without bound
MAX_LINES = 20000      # transcript cap; later lines are counted, not kept
RECORD_EVERY = 0.25    # how often descendants are recorded while lmgrd runs
DRAIN_AFTER_EXIT = 0.5  # output still arriving from vendor daemons after lmgrd exited

_VERSION_RE = re.compile(r"\bv(\d+(?:\.\d+){1,3})\b")


class StopReason(str, enum.Enum):
    """Why the daemon runner stopped lmgrd (or never started it)."""

    SECONDS = "seconds"               # --seconds ran out
    CANCELLED = "cancelled"           # the CancelToken (the app left the screen)
    INTERRUPTED = "interrupted"       # Ctrl-C, SIGTERM or SIGHUP to lmdoctor
    EXITED = "exited"                 # lmgrd exited by itself
    STOP_CONDITION = "stop-condition"  # stop_when(line) said enough
    LAUNCH_FAILED = "launch-failed"   # lmgrd could not be started
    ERROR = "error"                   # a bug in a callback; lmgrd was still stopped
    NOT_STARTED = ""                  # before the run

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:
        return hash(self.value)


# ----------------------------------------------------------------------------- data
@dataclass
class TranscriptLine:
    offset: float            # seconds since lmgrd was started
    time: str                # local wall-clock time, ISO 8601 with milliseconds
    text: str
    id: Optional[str] = None       # catalogue entry id, None when the line is not in the catalogue
    kind: Optional[str] = None
    status: Optional[str] = None
    title: Optional[str] = None
    fix: Optional[str] = None
    groups: Dict[str, str] = field(default_factory=dict)
    ignorable: bool = False
    daemon: Optional[str] = None   # "lmgrd", "sigasi" ... from the line's "(name)" prefix
    # Printed after lmdoctor began stopping lmgrd: "EXITING DUE TO SIGNAL 15" then is our doing,
    # so these lines stay in the transcript but do not count in the verdict.
    after_stop: bool = False

    def to_dict(self) -> Dict[str, Any]:
        d: Dict[str, Any] = {"offset": round(self.offset, 3), "time": self.time, "text": self.text}
        if self.id:
            d.update({"id": self.id, "kind": self.kind, "status": self.status, "title": self.title})
            if self.groups:
                d["groups"] = dict(self.groups)
        if self.after_stop:
            d["after_stop"] = True
        return d

    def render(self) -> str:
        tag = f"[{self.status} {self.id}]" if self.id else ""
        if self.after_stop:
            tag = (tag + " " if tag else "") + "(while stopping)"
        return f"{self.time[11:23]} +{self.offset:6.2f}s  {self.text}" + (f"  {tag}" if tag else "")


@dataclass
class DaemonRun:
    argv: List[str]
    license: str
    pid: Optional[int] = None
    started_at: str = ""
    exit_status: Optional[int] = None    # lmgrd's exit status, when it exited normally
    exit_signal: Optional[int] = None    # the signal that ended lmgrd, when one did
    lines: List[TranscriptLine] = field(default_factory=list)
    dropped_lines: int = 0
    duration: float = 0.0
    stopped_by_us: bool = False
    stop_reason: StopReason = StopReason.NOT_STARTED
    launch_error: Optional[str] = None
    launch_errno: Optional[int] = None
    escalated: bool = False               # SIGTERM was not enough; SIGKILL was sent
    signalled: List[int] = field(default_factory=list)  # pids lmdoctor signalled at stop
    leftovers: List[int] = field(default_factory=list)  # pids still running after the stop
    descendants: List[int] = field(default_factory=list)  # pids seen below lmgrd while it ran

    @property
    def exited_by_itself(self) -> bool:
        return self.pid is not None and not self.stopped_by_us

    def ids(self) -> List[str]:
        return [ln.id for ln in self.lines if ln.id]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "argv": list(self.argv), "license": self.license, "pid": self.pid, "started_at": self.started_at,
            "exit_status": self.exit_status, "exit_signal": self.exit_signal,
            "duration": round(self.duration, 3), "stopped_by_us": self.stopped_by_us,
            "stop_reason": StopReason(self.stop_reason).value, "launch_error": self.launch_error,
            "escalated": self.escalated, "leftovers": list(self.leftovers),
            "dropped_lines": self.dropped_lines,
        }


LineSink = Callable[[TranscriptLine], None]


# ----------------------------------------------------------------------------- classification
def classify_line(text: str) -> Tuple[Optional[Any], Optional[str]]:
    """(catalogue match or None, error text). The catalogue is another module; never let it stop a run."""
    try:
        from .catalogue import classify
        return classify(text), None
    except Exception as exc:  # a broken catalogue must not leave a daemon running
        return None, f"{type(exc).__name__}: {exc}"


def make_line(text: str, offset: float, now: Optional[_dt.datetime] = None) -> TranscriptLine:
    now = now or _dt.datetime.now()
    ln = TranscriptLine(offset=offset, time=now.isoformat(timespec="milliseconds"), text=text)
    m, _err = classify_line(text)
    if m is not None:
        e = m.entry
        ln.id, ln.kind, ln.status, ln.title, ln.fix = e.id, e.kind, e.status, e.title, e.fix
        ln.groups = dict(m.groups)
        ln.ignorable = bool(e.ignorable)
        ln.daemon = m.daemon
    return ln


class _LineSplitter:
    """Bytes-free line assembly from pty text: CRLF, lone CR and over-long lines handled."""

    def __init__(self) -> None:
        self.buf = ""

    def feed(self, chunk: str) -> List[str]:
        self.buf += chunk
        out: List[str] = []
        while True:
            i = self.buf.find("\n")
            if i < 0:
                break
            out.append(self.buf[:i])
            self.buf = self.buf[i + 1:]
        while len(self.buf) > MAX_LINE:
            out.append(self.buf[:MAX_LINE])
            self.buf = self.buf[MAX_LINE:]
        return [_clean(s) for s in out]

    def flush(self) -> List[str]:
        rest, self.buf = self.buf, ""
        return [_clean(rest)] if rest.strip() else []


def _clean(s: str) -> str:
    # A pty turns "\n" into "\r\n"; a lone "\r" (progress output) keeps the last rewrite.
    s = s.rstrip("\r")
    if "\r" in s:
        s = s.rsplit("\r", 1)[-1]
    return s


# ----------------------------------------------------------------------------- locating binaries
@dataclass
class Located:
    path: Optional[str]
    how: str   # "given", "next to the license", "PATH", "next to lmgrd", "not found", ...
    note: str = ""


def find_lmgrd(license_path: str, given: Optional[str] = None) -> Located:
    """lmgrd from ``--lmgrd``, else next to the license file, else PATH. Never from the license text."""
    if given:
        return Located(os.path.abspath(given), "given")
    lic_dir = os.path.dirname(os.path.abspath(license_path))
    for name in ("lmgrd", "lmgrd.exe"):
        cand = os.path.join(lic_dir, name)
        if os.path.isfile(cand):
            return Located(cand, "next to the license")
    on_path = shutil.which("lmgrd")
    if on_path:
        return Located(os.path.abspath(on_path), "PATH")
    return Located(None, "not found", f"no lmgrd in {lic_dir} and none on PATH")


def _daemon_lines(license_path: str) -> List[Tuple[str, Optional[str], int]]:
    """(vendor name, path as written or None, line) for each DAEMON/VENDOR line. Never raises."""
    try:
        from ..license import parse_license_file
        lic = parse_license_file(license_path)
        vendors = lic.vendors() if callable(lic.vendors) else lic.vendors
        return [(v.name, v.path, v.line) for v in vendors]
    except Exception:
        return []


def find_vendor_daemon(license_path: str, lmgrd: Optional[str], given: Optional[str] = None
                       ) -> List[Located]:
    """The vendor daemon(s) lmdoctor may run with ``-v``: given, or named after the vendor next to lmgrd."""
    if given:
        return [Located(os.path.abspath(given), "given")]
    out: List[Located] = []
    lm_dir = os.path.realpath(os.path.dirname(lmgrd)) if lmgrd else None
    for name, path, line in _daemon_lines(license_path):
        written = path
        if path and not os.path.isabs(path):
            # lmgrd resolves a relative DAEMON path against its working directory; lmdoctor
            # runs it from the license's directory, so resolve it there.
            path = os.path.join(os.path.dirname(os.path.abspath(license_path)), path)
        if path and lm_dir and os.path.isfile(path) and os.path.realpath(os.path.dirname(path)) == lm_dir:
            out.append(_if_trusted(Located(os.path.abspath(path), "DAEMON line, next to lmgrd")))
            continue
        cand = os.path.join(lm_dir, name) if lm_dir else None
        if cand and os.path.isfile(cand) and not written:
            out.append(_if_trusted(Located(cand, "next to lmgrd")))
            continue
        if written:
            out.append(Located(None, "not next to lmgrd",
                               f"DAEMON {name} (line {line}) names {written}, which is not in lmgrd's "
                               "directory; lmdoctor does not run binaries named in a license file. "
                               "Pass --vendor-daemon PATH to check its version."))
        else:
            out.append(Located(None, "not found", f"no {name} next to lmgrd"
                               + (f" in {lm_dir}" if lm_dir else "")))
    return out


def _if_trusted(loc: Located) -> Located:
    """As root, a found vendor daemon another user could have changed is named, not run (``procs.untrusted``)."""
    from ..procs import untrusted

    why = untrusted(loc.path) if loc.path else None
    if why is None:
        return loc
    return Located(None, "not safe to run as root", f"{why.text()}; pass --vendor-daemon {why.path} to check "
                   "its version anyway")


# ----------------------------------------------------------------------------- versions
def parse_version(text: str) -> Optional[Tuple[int, ...]]:
    """The first ``vN.N[.N[.N]]`` in text (``lmgrd v11.16.4.0 build ...``) as a tuple, or None."""
    if not isinstance(text, str):
        return None
    m = _VERSION_RE.search(text)
    if not m:
        return None
    try:
        return tuple(int(x) for x in m.group(1).split("."))
    except ValueError:  # pragma: no cover - the regex admits digits only
        return None


def version_text(v: Optional[Tuple[int, ...]]) -> str:
    return "v" + ".".join(str(x) for x in v) if v else "unknown"


def _pad(v: Tuple[int, ...]) -> Tuple[int, ...]:
    return tuple(v) + (0,) * (4 - len(v))


@dataclass
class VersionProbe:
    path: str
    version: Optional[Tuple[int, ...]]
    output: str
    error: str = ""


def probe_version(path: str, timeout: float = 5.0, cancel: Optional[CancelToken] = None) -> VersionProbe:
    """Run ``PATH -v`` (argv list, own group, timeout, tree killed) and parse the version."""
    from ..procs import run
    r = run([path, "-v"], timeout=timeout, cancel=cancel, grace=0.5, max_output=64 * 1024)
    text = r.output.strip()
    if r.error is not None:
        return VersionProbe(path, None, "", f"could not run {path}: {r.error.strerror or r.error}")
    if r.timed_out:
        return VersionProbe(path, parse_version(text), text, f"{path} -v did not finish within {timeout:g} s")
    return VersionProbe(path, parse_version(text), text, "" if parse_version(text) else "no version in its output")


def compare_versions(lmgrd: VersionProbe, vendor: Optional[VersionProbe], vendor_note: str = "") -> Finding:
    """The manual: the two from the same zip, or lmgrd (FlexNet) newer than the vendor daemon."""
    if vendor is None or lmgrd.version is None or vendor.version is None:
        parts = []
        if lmgrd.version is None:
            parts.append(f"lmgrd: {lmgrd.error or 'version unknown'}")
        if vendor is None:
            parts.append(vendor_note or "the vendor daemon was not found next to lmgrd")
        elif vendor.version is None:
            parts.append(f"{os.path.basename(vendor.path)}: {vendor.error or 'version unknown'}")
        ev = [x for x in ((lmgrd.output.splitlines() or [""])[0], (vendor.output.splitlines() or [""])[0]
                          if vendor else "") if x]
        return Finding("daemon.version-unknown", Status.INFO, "lmgrd / vendor daemon versions not compared",
                       detail="; ".join(parts), evidence=ev,
                       fix="Check both with `lmgrd -v` and `<vendor> -v`: they should come from the same zip, "
                           "or lmgrd must be the newer one.", seed_ref=SEED_FLOATING)
    lv, vv = _pad(lmgrd.version), _pad(vendor.version)
    vname = os.path.basename(vendor.path)
    ev = [f"{lmgrd.path} -v: {version_text(lmgrd.version)}", f"{vendor.path} -v: {version_text(vendor.version)}"]
    if lv == vv:
        return Finding("daemon.version-match", Status.OK,
                       f"lmgrd and {vname} are the same version ({version_text(lmgrd.version)})",
                       evidence=ev, seed_ref=SEED_FLOATING)
    if lv > vv:
        return Finding("daemon.version-match", Status.OK,
                       f"lmgrd {version_text(lmgrd.version)} is newer than {vname} {version_text(vendor.version)} "
                       "(allowed)",
                       detail="The manual allows mixing versions when the FlexNet daemon (lmgrd) is equal to "
                              "or newer than the vendor daemon.", evidence=ev, seed_ref=SEED_FLOATING)
    return Finding("daemon.version-mismatch", Status.FAIL,
                   f"lmgrd {version_text(lmgrd.version)} is older than {vname} {version_text(vendor.version)}",
                   detail="The FlexNet daemon (lmgrd) must be the same version as the vendor daemon or newer.",
                   fix="Install lmgrd and the Sigasi daemon from the same zip on the Sigasi download server "
                       "(FlexNet 11.16.4.0 is the current one).",
                   evidence=ev, seed_ref=SEED_FLOATING)


def check_versions(license_path: str, lmgrd: str, vendor_daemon: Optional[str] = None,
                   cancel: Optional[CancelToken] = None, timeout: float = 5.0) -> List[Finding]:
    """``lmgrd -v`` and ``<vendor> -v`` compared; one finding per vendor daemon."""
    lm = probe_version(lmgrd, timeout=timeout, cancel=cancel)
    vendors = find_vendor_daemon(license_path, lmgrd, vendor_daemon)
    if not vendors:
        return [compare_versions(lm, None, "the license has no DAEMON/VENDOR line to name a vendor daemon")]
    out = []
    for loc in vendors:
        if loc.path is None:
            out.append(compare_versions(lm, None, loc.note))
        else:
            out.append(compare_versions(lm, probe_version(loc.path, timeout=timeout, cancel=cancel)))
    return out


# ----------------------------------------------------------------------------- ELF loader
def elf_interpreter(path: str) -> Optional[str]:
    """PT_INTERP of an ELF file (the loader the kernel needs), or None. Never raises."""
    try:
        from ..probes.elf import read_elf
        info = read_elf(path)
    except Exception:
        return None
    return info.interpreter if info.is_elf else None


def _shebang_interpreter(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    parts = head[2:].split(b"\n", 1)[0].strip().split()
    return parts[0].decode("utf-8", "replace") if parts else None


# ----------------------------------------------------------------------------- launch problems
def preflight(lmgrd: str) -> Optional[Finding]:
    """Why lmgrd cannot be executed, found before trying (missing, directory, no x bit)."""
    if not os.path.exists(lmgrd):
        return Finding("daemon.lmgrd-not-found", Status.FAIL, f"lmgrd not found: {lmgrd}",
                       fix="Pass the path of lmgrd with --lmgrd PATH, or put lmgrd next to the license file.",
                       seed_ref="License server setup > Starting the FlexNet and Sigasi daemon on Linux")
    if os.path.isdir(lmgrd):
        return Finding("daemon.not-executable", Status.FAIL, f"{lmgrd} is a directory, not lmgrd",
                       fix="Pass the lmgrd program itself with --lmgrd PATH.")
    if os.name == "posix" and not os.access(lmgrd, os.X_OK):
        return Finding("daemon.not-executable", Status.FAIL, f"{os.path.basename(lmgrd)} is not executable",
                       detail=f"{lmgrd} exists but has no execute permission for this user "
                              "(typical after unpacking a zip, which drops the mode bits).",
                       fix=f"chmod +x {lmgrd} (and the vendor daemon next to it, e.g. sigasi)",
                       evidence=_mode_text(lmgrd))
    return None


def _mode_text(path: str) -> str:
    try:
        import stat
        return f"{stat.filemode(os.stat(path).st_mode)} {path}"
    except OSError:
        return path


def launch_failure(lmgrd: str, exc: BaseException) -> Finding:
    """Turn an exec error into the finding that names its real cause."""
    code = getattr(exc, "errno", None)
    msg = getattr(exc, "strerror", None) or str(exc)
    if code == _errno.ENOENT and os.path.isfile(lmgrd):
        interp = elf_interpreter(lmgrd)
        if interp and not os.path.exists(interp):
            lsb = "ld-lsb" in interp
            return Finding(
                "daemon.lsb-loader-missing" if lsb else "daemon.loader-missing", Status.FAIL,
                f"lmgrd needs the program loader {interp}, which is not installed",
                detail=f"Starting {lmgrd} fails with 'No such file or directory' although the file exists: "
                       f"the kernel cannot find its ELF interpreter {interp}."
                       + (" FlexNet's x64_lsb builds need the LSB loader." if lsb else ""),
                fix=("Install your distribution's LSB package (sudo apt-get install lsb-core; zypper in lsb; "
                     "yum install lsb / redhat-lsb.i686), or as root: "
                     "cd /lib64 && ln -s ld-linux-x86-64.so.2 ld-lsb-x86-64.so.3") if lsb else
                    f"Install the loader {interp} (the package providing it for this architecture), "
                    "or use an lmgrd built for this system.",
                evidence=[f"{lmgrd}: {msg}", f"ELF interpreter: {interp} (missing)"], seed_ref=SEED_FLOATING)
        shebang = _shebang_interpreter(lmgrd)
        if shebang and not os.path.exists(shebang):
            return Finding("daemon.loader-missing", Status.FAIL,
                           f"lmgrd is a script whose interpreter {shebang} is missing",
                           evidence=[f"{lmgrd}: {msg}", f"#!{shebang}"],
                           fix=f"Install {shebang} or correct the script's first line.")
    if code in (_errno.EACCES, _errno.EPERM):
        return Finding("daemon.not-executable", Status.FAIL, f"{os.path.basename(lmgrd)} cannot be executed",
                       detail=f"{lmgrd}: {msg}. The file or a directory above it lacks execute permission, "
                              "or its file system is mounted noexec.",
                       fix=f"chmod +x {lmgrd}; if that does not help, move it off a noexec mount.",
                       evidence=_mode_text(lmgrd))
    if code == _errno.ENOEXEC:
        return Finding("daemon.not-executable", Status.FAIL, f"{os.path.basename(lmgrd)} is not a program for "
                       "this system", detail=f"{lmgrd}: {msg} (wrong architecture, a Windows .exe, or damaged).",
                       fix="Download the Linux 64-bit FlexNet daemons for this machine.", seed_ref=SEED_DOWNLOAD)
    return Finding("daemon.launch-failed", Status.FAIL, f"lmgrd could not be started: {msg}",
                   evidence=f"{lmgrd}: {msg}", fix="Check the path given with --lmgrd and its permissions.")


# ----------------------------------------------------------------------------- running
@dataclass
class DaemonRunner:
    """Runs ``lmgrd -z -c LICENSE`` for up to ``seconds``, then stops its whole tree.

    ``DaemonRunner(license, lmgrd, seconds=10).run(on_line=..., cancel=..., stop_when=...)``
    streams each output line to ``on_line`` as it arrives and returns early when lmgrd exits,
    ``cancel`` is cancelled, ``stop_when(line)`` is true, or Ctrl-C is pressed (the run is then
    marked ``interrupted`` and returned, not raised). Whatever happens, nothing started here is
    left running when ``run`` returns (``leftovers`` lists any pid that survived SIGKILL, which only
    happens for processes in uninterruptible sleep). lmgrd gets SIGTERM if lmdoctor itself dies
    (PR_SET_PDEATHSIG), and while it runs a record of what was started (pid, pgid, argv) sits in the
    state directory, so even after a SIGKILL of lmdoctor `check` can name the leftovers and
    `daemon --cleanup` can stop them.
    """

    license_path: str
    lmgrd: str
    seconds: float = DEFAULT_SECONDS
    grace: float = DEFAULT_GRACE
    extra_args: Sequence[str] = ()
    cwd: Optional[str] = None
    env: Optional[Dict[str, str]] = None
    keep_record: bool = True  # write the state record of what was started

    def argv(self) -> List[str]:
        return [os.path.abspath(self.lmgrd), "-z", "-c", os.path.abspath(self.license_path)] + list(self.extra_args)

    def run(self, on_line: Optional[LineSink] = None, cancel: Optional[CancelToken] = None,
            stop_when: Optional[Callable[[TranscriptLine], bool]] = None) -> DaemonRun:
        run = DaemonRun(argv=self.argv(), license=self.license_path)
        run.started_at = _dt.datetime.now().isoformat(timespec="milliseconds")
        child = self._spawn(run)
        if child is None:
            return run
        return _Session(self, run, child, on_line, cancel, stop_when).go()

    def _spawn(self, run: DaemonRun) -> Any:
        if os.name != "posix":
            run.stop_reason = StopReason.LAUNCH_FAILED
            run.launch_error = "the daemon runner needs a POSIX system (pexpect); on Windows use lmtools"
            return None
        import pexpect

        from ..procs import die_with_parent

        argv = run.argv
        cwd = self.cwd or os.path.dirname(os.path.abspath(self.license_path))
        try:
            # ignore_sighup=False: lmgrd is told when its terminal goes away, as a real one is.
            # A non-UTF-8 path is a str with surrogate escapes here: pexpect must not encode it (its
            # encoding= would fail on them), os.execv turns it back into the original bytes. The output
            # is read as bytes and decoded by the session.
            return pexpect.spawn(argv[0], argv[1:], cwd=cwd, env=self.env, encoding=None,
                                 echo=False, timeout=None, ignore_sighup=False,
                                 preexec_fn=die_with_parent(signal.SIGTERM))
        except pexpect.ExceptionPexpect as exc:
            run.stop_reason, run.launch_error = StopReason.LAUNCH_FAILED, str(exc)
            run.launch_errno = _errno.EACCES if os.path.exists(argv[0]) else _errno.ENOENT
        except OSError as exc:
            run.stop_reason, run.launch_error, run.launch_errno = StopReason.LAUNCH_FAILED, exc.strerror or str(exc), \
                exc.errno
        return None


class _Session:
    """One run of a spawned lmgrd: read, classify, stop, record. Kept apart from the runner's settings."""

    def __init__(self, runner: DaemonRunner, run: DaemonRun, child: Any, on_line: Optional[LineSink],
                 cancel: Optional[CancelToken], stop_when: Optional[Callable[[TranscriptLine], bool]]) -> None:
        from ..procs import CHILDREN, Descendants

        self.runner, self.run, self.child = runner, run, child
        self.on_line, self.cancel, self.stop_when = on_line, cancel, stop_when
        self.start = time.monotonic()
        run.pid = child.pid
        # pty.fork makes the child a session leader, so its pid is its process group.
        self.pgid = child.pid
        self.tracker = Descendants(child.pid)
        self.splitter = _LineSplitter()
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.stopping = False
        self.children = CHILDREN
        CHILDREN.add(child.pid, self.pgid)
        self.record = StartedRecord.begin(run, self.pgid) if runner.keep_record else None
        self._known: set = set()

    # -- the loop -----------------------------------------------------------------------
    def go(self) -> DaemonRun:
        run = self.run
        try:
            run.stop_reason = self._loop()
        except KeyboardInterrupt:
            run.stop_reason = StopReason.INTERRUPTED
        except BaseException:
            run.stop_reason = StopReason.ERROR
            self._stop()
            raise
        # Whatever lmgrd said before the stop is its own doing: read it before signalling.
        if run.stop_reason != StopReason.EXITED:
            self._drain(64)
            self.stopping = True
        self._stop()
        # What lmgrd printed while being stopped ("lmgrd exiting ...") belongs in the transcript too.
        self._drain(None)
        for text in self.splitter.feed(self.decoder.decode(b"", final=True)) + self.splitter.flush():
            self._emit(text)
        self._close()
        run.duration = time.monotonic() - self.start
        return run

    def _loop(self) -> StopReason:
        import pexpect

        child = self.child
        deadline = self.start + max(0.0, self.runner.seconds)
        exited_at: Optional[float] = None
        last_record = 0.0
        while True:
            now = time.monotonic()
            if now - last_record >= RECORD_EVERY:
                self._track()
                last_record = now
            if self.cancel is not None and self.cancel.cancelled:
                return StopReason.CANCELLED
            if now >= deadline:
                return StopReason.SECONDS
            if exited_at is None and not child.isalive():
                exited_at = now
            if exited_at is not None and now - exited_at >= DRAIN_AFTER_EXIT:
                return StopReason.EXITED
            try:
                chunk = child.read_nonblocking(65536, timeout=min(0.1, max(0.01, deadline - now)))
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                # Every holder of the pty is gone; wait for lmgrd's status briefly.
                if exited_at is None:
                    exited_at = time.monotonic()
                if not child.isalive():
                    return StopReason.EXITED
                time.sleep(0.02)
                continue
            stop = False
            for text in self.splitter.feed(self.decoder.decode(chunk)):
                stop = self._emit(text) or stop
            if stop:
                return StopReason.STOP_CONDITION

    def _emit(self, text: str) -> bool:
        run = self.run
        ln = make_line(text, time.monotonic() - self.start)
        ln.after_stop = self.stopping
        if len(run.lines) < MAX_LINES:
            run.lines.append(ln)
        else:
            run.dropped_lines += 1
        if self.on_line is not None:
            self.on_line(ln)
        return bool(self.stop_when and self.stop_when(ln))

    def _drain(self, limit: Optional[int]) -> None:
        n = 0
        try:
            while limit is None or n < limit:
                n += 1
                chunk = self.child.read_nonblocking(65536, timeout=0)
                for text in self.splitter.feed(self.decoder.decode(chunk)):
                    self._emit(text)
        except KeyboardInterrupt:
            pass
        except Exception:  # noqa: BLE001 - EOF/TIMEOUT/closed pty: nothing more to read
            pass

    def _track(self) -> None:
        self.tracker.record()
        if self.record is not None and set(self.tracker.seen) != self._known:
            self._known = set(self.tracker.seen)
            self.record.update(self.tracker.alive())

    def _reap(self) -> None:
        # isalive() waits (WNOHANG) on lmgrd, which records its status and frees the zombie.
        try:
            self.child.isalive()
        except Exception:  # noqa: BLE001 - already reaped or pty closed
            pass

    # -- stopping -------------------------------------------------------------------------
    def _stop(self) -> None:
        # Impatient Ctrl-C presses must not leave lmgrd behind: start over without the grace period.
        for attempt in range(5):
            try:
                self._stop_once(self.runner.grace if attempt == 0 else 0.0)
                break
            except KeyboardInterrupt:
                continue
        self.children.discard(self.child.pid)
        if self.record is not None and not self.run.leftovers:
            self.record.clear()

    def _stop_once(self, grace: float) -> None:
        from ..procs import kill_tree

        run, child = self.run, self.child
        try:
            self.tracker.record()
        except Exception:  # noqa: BLE001 - psutil races with exiting processes
            pass
        alive_before = False
        try:
            alive_before = child.isalive()
        except Exception:  # noqa: BLE001 - pty closed or child reaped: count it as not alive
            pass
        tracked = self.tracker.alive()
        run.descendants = sorted(self.tracker.seen)
        run.stopped_by_us = run.stopped_by_us or alive_before
        try:
            res = kill_tree(self.pgid, tracked, grace=grace, reap=self._reap)
        except KeyboardInterrupt:
            # A second Ctrl-C: skip the grace period, but still leave nothing behind.
            res = kill_tree(self.pgid, tracked, grace=0.0, reap=self._reap)
        run.escalated = res.escalated
        run.signalled = res.signalled
        run.leftovers = res.survivors
        self._reap()
        for _ in range(100):
            if child.exitstatus is not None or child.signalstatus is not None:
                break
            self._reap()
            time.sleep(0.02)
        run.exit_status = child.exitstatus
        run.exit_signal = child.signalstatus

    def _close(self) -> None:
        try:
            # lmgrd is reaped already; ptyprocess would otherwise sleep 0.1 s "to let it exit".
            self.child.delayafterclose = 0.0
            self.child.ptyproc.delayafterclose = 0.0
            self.child.close(force=True)
        except Exception:  # noqa: BLE001 - closing a dead pty
            pass


# ----------------------------------------------------------------------------- what was started
RECORD_PREFIX = "daemon-"


def _create_time(pid: int) -> Optional[float]:
    try:
        import psutil

        return psutil.Process(pid).create_time()
    except Exception:  # noqa: BLE001 - gone or not ours to see
        return None


@dataclass
class StartedProcess:
    pid: int
    pgid: Optional[int]
    argv: List[str]
    role: ProcessRole
    create_time: Optional[float] = None

    def to_dict(self) -> Dict[str, Any]:
        return {"pid": self.pid, "pgid": self.pgid, "argv": list(self.argv), "role": self.role.value,
                "create_time": self.create_time}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "StartedProcess":
        role = d.get("role")
        return cls(int(d["pid"]), int(d["pgid"]) if d.get("pgid") is not None else None,
                   [str(a) for a in d.get("argv") or []],
                   ProcessRole(role) if role in {r.value for r in ProcessRole} else ProcessRole.OTHER,
                   float(d["create_time"]) if d.get("create_time") is not None else None)

    def running(self) -> bool:
        """Still the same process (pid and start time), not a zombie."""
        try:
            import psutil

            p = psutil.Process(self.pid)
            if self.create_time is not None and abs(p.create_time() - self.create_time) > 0.01:
                return False
            return p.status() != psutil.STATUS_ZOMBIE
        except Exception:  # noqa: BLE001 - gone
            return False


@dataclass
class StartedRecord:
    """What one ``lmdoctor daemon`` run started, kept in the state directory while it runs.

    A record whose lmdoctor is gone but whose processes still run is a leftover: `check` reports it
    and `lmdoctor daemon --cleanup` stops it. Writing it never stops a run (a read-only home is fine).
    """

    name: str
    license: str
    started_at: str
    owner_pid: int
    owner_create_time: Optional[float]
    processes: List[StartedProcess] = field(default_factory=list)

    @classmethod
    def begin(cls, run: DaemonRun, pgid: int) -> Optional["StartedRecord"]:
        assert run.pid is not None
        rec = cls(f"{RECORD_PREFIX}{run.pid}.json", run.license, run.started_at, os.getpid(),
                  _create_time(os.getpid()),
                  [StartedProcess(run.pid, pgid, list(run.argv), ProcessRole.LMGRD, _create_time(run.pid))])
        return rec if rec.save() else None

    def update(self, alive: List[Any]) -> None:
        known = {p.pid for p in self.processes}
        for p in alive:
            if p.pid in known:
                continue
            try:
                argv, pgid, ctime = p.cmdline(), os.getpgid(p.pid), p.create_time()
            except Exception:  # noqa: BLE001 - exited meanwhile
                continue
            self.processes.append(StartedProcess(p.pid, pgid, argv, ProcessRole.VENDOR, ctime))
        self.save()

    def save(self) -> bool:
        from ..statedir import StateDirError, write_state

        try:
            write_state(self.name, self.to_dict())
            return True
        except (StateDirError, OSError):
            return False

    def clear(self) -> None:
        from ..statedir import remove_state

        remove_state(self.name)

    def to_dict(self) -> Dict[str, Any]:
        return {"license": self.license, "started_at": self.started_at, "owner_pid": self.owner_pid,
                "owner_create_time": self.owner_create_time,
                "processes": [p.to_dict() for p in self.processes]}

    @classmethod
    def load(cls, name: str) -> Optional["StartedRecord"]:
        from ..statedir import read_state

        d = read_state(name)
        if not d:
            return None
        try:
            return cls(name, str(d.get("license") or ""), str(d.get("started_at") or ""), int(d["owner_pid"]),
                       d.get("owner_create_time"), [StartedProcess.from_dict(p) for p in d.get("processes") or []])
        except (KeyError, TypeError, ValueError):
            return None

    def owner_running(self) -> bool:
        return StartedProcess(self.owner_pid, None, [], ProcessRole.OTHER, self.owner_create_time).running()

    def running(self) -> List[StartedProcess]:
        return [p for p in self.processes if p.running()]

    def stop_command(self) -> str:
        return "lmdoctor daemon --cleanup"

    def manual_stop_command(self) -> str:
        groups = sorted({p.pgid for p in self.running() if p.pgid and p.pgid > 1})
        pids = sorted(p.pid for p in self.running())
        parts = [f"kill -TERM -- -{g}" for g in groups] or [f"kill -TERM {' '.join(map(str, pids))}"]
        return "; ".join(parts)


def leftover_records() -> List[StartedRecord]:
    """Records of daemon runs whose lmdoctor is gone while something it started still runs."""
    from ..statedir import list_state

    out = []
    for name in list_state(RECORD_PREFIX):
        rec = StartedRecord.load(name)
        if rec is not None and not rec.owner_running() and rec.running():
            out.append(rec)
    return out


def cleanup(grace: float = DEFAULT_GRACE) -> Tuple[List[StartedRecord], List[int], List[int]]:
    """Stop every leftover of earlier daemon runs. (records handled, pids signalled, survivors)."""
    import psutil

    from ..procs import kill_tree
    from ..statedir import list_state

    handled: List[StartedRecord] = []
    signalled: List[int] = []
    survivors: List[int] = []
    for name in list_state(RECORD_PREFIX):
        rec = StartedRecord.load(name)
        if rec is None:
            continue
        if rec.owner_running():
            continue  # a daemon run in progress: not ours to stop
        live = rec.running()
        if live:
            handles = []
            for p in live:
                try:
                    handles.append(psutil.Process(p.pid))
                except psutil.Error:
                    continue
            # Signal by pid (checked against the start time), and the recorded groups whose leader is ours.
            groups = {p.pgid for p in live if p.pgid and p.pgid == p.pid}
            res = kill_tree(None, handles, grace=grace)
            for g in groups:
                kill_tree(g, [], grace=0.0)
            signalled.extend(res.signalled)
            survivors.extend(res.survivors)
        if not survivors:
            rec.clear()
        handled.append(rec)
    return handled, signalled, survivors


# ----------------------------------------------------------------------------- verdict
def _ev(lines: List[TranscriptLine], limit: int = 8) -> List[str]:
    return [ln.text.strip() for ln in lines[:limit]]


def _platform_hint() -> str:
    return "windows" if sys.platform.startswith("win") else "unix"


def _decode_exit(signal_no: int, reason: Optional[int] = None) -> Tuple[Optional[int], str, str]:
    """(reason number, reason text, fix) for a vendor-daemon exit signal/status."""
    try:
        from ..errors import decode_exit_signal
        ds = decode_exit_signal(signal_no, reason, platform_hint=_platform_hint())
    except Exception:
        ds = []
    if ds:
        d = ds[0]
        return d.reason, d.reason_text or "", d.fix or ""
    return None, "", ""


def _signal_name(n: int) -> str:
    try:
        return signal.Signals(n).name
    except (ValueError, AttributeError):
        return f"signal {n}"


@dataclass(frozen=True)
class _CauseFinding:
    """How the transcript lines of some causes (catalogue.toml's ``cause``) become one finding.

    Texts may name ``{port}``, ``{path}``, ``{features}``, ``{count}``, ``{vendor}`` (the vendor
    daemon seen, or "the vendor daemon") and ``{issuer}`` ("Sigasi" for the sigasi daemon, else
    "the software vendor"): Sigasi's wording only for Sigasi.
    """

    causes: Tuple[Cause, ...]
    id: str
    status: Status
    title: str
    detail: str = ""
    fix: str = ""
    seed_ref: Optional[str] = None
    license_file: bool = False       # the finding names the license lmgrd was given
    evidence: int = 8
    sigasi_detail: str = ""          # appended to the detail for the sigasi daemon only


_EXITS = "exits"  # where the decoded vendor-daemon exits go among the rows (after their causes)
# The daemon verdict: message causes to findings, in the order they are reported. A cause
# comes before the exit it leads to, which says less.
_VERDICT_TABLE: Tuple[Any, ...] = (
    _CauseFinding((Cause.NO_SERVER_LINES,), "daemon.no-server-lines", Status.FAIL,
                  "lmgrd refused the license: no SERVER lines (-13,66)",
                  detail="lmgrd only serves a floating license: the file it was given has no SERVER line "
                         "(a node-locked key, or the wrong file).",
                  fix="Use the floating key with its SERVER and DAEMON lines (clients need USE_SERVER); "
                      "`lmdoctor lint FILE` shows what the file holds.",
                  seed_ref=SEED_ERRORS, license_file=True),
    _CauseFinding((Cause.PORT_IN_USE, Cause.CONFLICTING_PORTS), "daemon.port-in-use", Status.FAIL,
                  "{port_title}",
                  detail="lmgrd cannot bind the TCP port from the SERVER line: another program (often an "
                         "lmgrd that is already running) holds it. lmgrd retries for about 5 minutes, "
                         "then gives up.",
                  fix="Stop the other lmgrd (lmutil lmdown -c PORT@HOST) or find the holder with "
                      "`ss -ltnp`; or change the port on the SERVER line (allowed without breaking the "
                      "signature).",
                  seed_ref="License server setup > Customize License Server settings"),
    _CauseFinding((Cause.WRONG_HOSTNAME,), "daemon.wrong-host", Status.FAIL,
                  "the SERVER line does not name this machine",
                  detail="lmgrd only starts when the host name on the SERVER line is this machine's.",
                  sigasi_detail=" (Sigasi's keys ship with the placeholder your_server_name1.)",
                  fix="Replace the host name on the SERVER line with this machine's name (`hostname`); "
                      "that does not break the signature.",
                  seed_ref="License server setup > Starting the FlexNet and Sigasi daemon on Windows",
                  license_file=True),
    _CauseFinding((Cause.WRONG_HOSTID,), "daemon.wrong-hostid", Status.FAIL,
                  "the SERVER line's hostid is not this machine's",
                  detail="lmgrd and the vendor daemon only serve a license whose SERVER hostid (MAC) is "
                         "one of this machine's.",
                  fix="Compare `lmutil lmhostid` with the SERVER hostid and ask {issuer} for a key for this "
                      "machine's MAC if they differ (in a container: give it the licensed MAC).",
                  seed_ref=SEED_FLOATING, license_file=True),
    _CauseFinding((Cause.ANOTHER_SERVER,), "daemon.another-server", Status.FAIL,
                  "another license server for this vendor is running",
                  detail="The vendor daemon exited because another copy of it (another lmgrd) already "
                         "serves this vendor on this machine.",
                  fix="Stop every other lmgrd and vendor daemon first (lmtools.exe, lmgrd, {vendor}); "
                      "`lmdoctor check` lists them. On Windows, a C:\\FlexLM\\ install folder can cause "
                      "this too: rename it (e.g. C:\\LMFlex\\) and update lmtools.",
                  seed_ref=SEED_ERRORS),
    _CauseFinding((Cause.LOCK_DIR,), "daemon.lock-dir", Status.FAIL,
                  "lmgrd cannot create its lock directory {path}",
                  detail="lmgrd writes status/lock files under /usr/tmp/.flexlm and needs write access "
                         "to /usr/tmp.",
                  fix="As root: ln -s /tmp /usr/tmp (when /usr/tmp does not exist), or make it "
                      "writable for the user running lmgrd.",
                  seed_ref=SEED_FLOATING),
    _EXITS,
    _CauseFinding((Cause.SIGASI_PROBE,), "daemon.unsupported-harmless", Status.INFO,
                  "{count} UNSUPPORTED line(s) for Sigasi's probe features (harmless)",
                  detail="Sigasi Studio pre-emptively asks for {features}; the manual says these messages "
                         "can be safely ignored.",
                  seed_ref=SEED_FLOATING, evidence=4),
    _CauseFinding((Cause.UNSUPPORTED_FEATURE,), "daemon.unsupported", Status.WARN,
                  "clients asked for feature(s) this server does not serve: {features}",
                  fix="Compare the features clients ask for with the INCREMENT lines of the key."),
    _CauseFinding((Cause.DENIED,), "daemon.denied", Status.WARN, "checkouts were DENIED: {features}",
                  detail="The reason in brackets says why (e.g. -4: all seats in use).",
                  fix="`lmdoctor explain CODE` for the code in the line."),
)


def _values(lines: List[TranscriptLine], vendor: str) -> Dict[str, str]:
    port = next((ln.groups.get("port") for ln in lines if ln.groups.get("port")), None)
    conflicting = any(_cause_of(ln) is Cause.CONFLICTING_PORTS for ln in lines)
    return {
        "port": port or "", "count": str(len(lines)),
        "port_title": ("license files have conflicting port numbers" if conflicting and not port
                       else f"the SERVER port{(' ' + port) if port else ''} is already in use"),
        "path": next((ln.groups["path"] for ln in lines if ln.groups.get("path")), "/usr/tmp/.flexlm"),
        "features": ", ".join(sorted({ln.groups.get("feature", "") for ln in lines} - {""}) or ["them"]),
        "vendor": vendor or "the vendor daemon",
        "issuer": "Sigasi" if vendor.lower() == "sigasi" else "the software vendor",
    }


def _cause_of(ln: TranscriptLine) -> Cause:
    try:
        from .catalogue import load_catalogue
        e = load_catalogue().by_id.get(ln.id or "")
    except Exception:  # a broken catalogue must not stop the verdict of a run that happened
        return Cause.NONE
    return e.cause if e is not None else Cause.NONE


def _exit_reason_9(ln: TranscriptLine) -> bool:
    n = ln.groups.get("signal") or ln.groups.get("status")
    r = ln.groups.get("reason")
    if not (n and n.isdigit()):
        return False
    return _decode_exit(int(n), int(r) if r and r.isdigit() else None)[0] == 9


def verdict(run: DaemonRun) -> List[Finding]:
    """The findings a transcript supports, worst first within the daemon area: message lines
    grouped by their catalogue cause and turned into findings by _VERDICT_TABLE."""
    if run.launch_error is not None and run.pid is None:
        return [launch_failure(run.argv[0], OSError(run.launch_errno or 0, run.launch_error))]
    own = [ln for ln in run.lines if not ln.after_stop]
    by_cause: Dict[Cause, List[TranscriptLine]] = {}
    for ln in own:
        if ln.id:
            by_cause.setdefault(_cause_of(ln), []).append(ln)
    out, handled = _table_findings(run, own, by_cause)
    _add_started(run, own, out)
    out += _passed_through(own, handled)
    out += _run_notes(run, own)
    return out


def _table_findings(run: DaemonRun, own: List[TranscriptLine], by_cause: Dict[Cause, List[TranscriptLine]]
                    ) -> Tuple[List[Finding], Set[Cause]]:
    """One finding per _VERDICT_TABLE row whose causes the transcript shows; and the causes handled."""
    out: List[Finding] = []
    vendor = next((ln.daemon for ln in own if ln.daemon and ln.daemon != "lmgrd"), "") or ""
    exits = [ln for ln in by_cause.get(Cause.DAEMON_EXIT, []) if ln.groups.get("signal") or ln.groups.get("status")]
    another = [ln for ln in exits if _exit_reason_9(ln)]   # exit reason 9: another server was running
    handled = {Cause.DAEMON_EXIT}
    for row in _VERDICT_TABLE:
        if row == _EXITS:
            # The exit comes after its cause (no SERVER lines, port, host, lock dir), which says more.
            other_exits = [ln for ln in exits if ln not in another]
            if other_exits or run.exited_by_itself:
                out.append(_exited_finding(run, other_exits))
            continue
        handled.update(row.causes)
        lines = [ln for c in row.causes for ln in by_cause.get(c, [])]
        if Cause.ANOTHER_SERVER in row.causes:
            lines += another
        if not lines:
            continue
        lines.sort(key=lambda ln: ln.offset)
        v = _values(lines, vendor)
        detail = row.detail.format(**v) + (row.sigasi_detail if vendor.lower() == "sigasi" else "")
        out.append(Finding(row.id, row.status, row.title.format(**v), detail=detail, fix=row.fix.format(**v),
                           evidence=_ev(lines, row.evidence), file=run.license if row.license_file else None,
                           seed_ref=row.seed_ref))
    return out, handled


def _add_started(run: DaemonRun, own: List[TranscriptLine], out: List[Finding]) -> None:
    """A run lmdoctor stopped with no failure: serving (OK, put first) or no vendor daemon seen (WARN)."""
    started_lmgrd = [ln for ln in own if ln.id in ("log.startup", "log.lmgrd-port", "log.starting-vendors",
                                                   "log.license-files")]
    served = [ln for ln in own if ln.id == "log.server-started"]
    fails = [f for f in out if f.status is Status.FAIL]
    if run.stopped_by_us and served and not fails:
        out.insert(0, Finding("daemon.started", Status.OK,
                              "lmgrd started and the vendor daemon is serving licenses",
                              detail=f"lmgrd ran for {run.duration:.1f} s until lmdoctor stopped it.",
                              evidence=_ev(sorted(started_lmgrd + served, key=lambda x: x.offset), 6)))
    elif run.stopped_by_us and not fails and run.stop_reason != "interrupted":
        ev = _ev(started_lmgrd, 4)
        out.append(Finding("daemon.vendor-not-started", Status.WARN,
                           "lmgrd kept running but no vendor daemon reported 'Server started'",
                           detail=f"Nothing in {run.duration:.1f} s said the vendor daemon serves its features "
                                  "(it may need longer, or it failed without a known message).",
                           fix="Run again with a larger --seconds, and read the unrecognised lines below.",
                           evidence=ev))


def _passed_through(own: List[TranscriptLine], handled: Set[Cause]) -> List[Finding]:
    """Other catalogue lines that carry a warning or a failure: passed through, one per cause."""
    rest: Dict[str, List[TranscriptLine]] = {}
    for ln in own:
        c = _cause_of(ln)
        if ln.id and c not in handled and ln.status in ("warn", "fail"):
            rest.setdefault(ln.id if c is Cause.NONE else c.value, []).append(ln)
    out = []
    for ls in rest.values():
        first = ls[0]
        status = max((Status(ln.status) for ln in ls if ln.status), key=lambda s: s.rank)
        out.append(Finding("daemon.message." + (first.id or "").split(".", 1)[-1], status,
                           first.title or first.id or "", fix=first.fix or "", evidence=_ev(ls)))
    return out


def _run_notes(run: DaemonRun, own: List[TranscriptLine]) -> List[Finding]:
    """What the run itself left to say: unknown lines, an interrupt, survivors, silence."""
    out = []
    unknown = [ln for ln in own if not ln.id and ln.text.strip()]
    if unknown:
        out.append(Finding("daemon.unrecognised-lines", Status.INFO,
                           f"{len(unknown)} line(s) lmdoctor's catalogue does not know",
                           detail="Listed so nothing lmgrd said is lost; read them for anything unusual.",
                           evidence=_ev(unknown, 20)))
    if run.stop_reason == "interrupted":
        out.append(Finding("daemon.interrupted", Status.INFO, "stopped with Ctrl-C",
                           detail=f"The verdict covers the {run.duration:.1f} s captured before the interrupt."))
    if run.leftovers:
        out.append(Finding("daemon.leftover-processes", Status.FAIL,
                           f"{len(run.leftovers)} process(es) survived SIGKILL",
                           detail="They are probably stuck in the kernel (uninterruptible I/O).",
                           fix="Check them with `ps -o pid,stat,cmd -p " + ",".join(map(str, run.leftovers)) + "`.",
                           evidence=[str(p) for p in run.leftovers]))
    if not run.lines and run.pid is not None:
        out.append(Finding("daemon.no-output", Status.WARN if run.stopped_by_us else Status.FAIL,
                           "lmgrd printed nothing",
                           detail="With -z lmgrd logs to the terminal; no output at all suggests it is not "
                                  "FlexNet's lmgrd, or it writes its log elsewhere.",
                           fix="Check the --lmgrd path; run it by hand with -z -c LICENSE."))
    return out


def _exited_finding(run: DaemonRun, exits: List[TranscriptLine]) -> Finding:
    parts: List[str] = []
    fixes: List[str] = []
    for ln in exits:
        n = ln.groups.get("signal") or ln.groups.get("status")
        r = ln.groups.get("reason")
        vendor = ln.groups.get("vendor") or ln.daemon
        if n and n.isdigit():
            reason, text, fix = _decode_exit(int(n), int(r) if r and r.isdigit() else None)
            lmgrd_text = ln.groups.get("text")
            what = text or (lmgrd_text or "unknown reason")
            parts.append(f"{vendor or 'the vendor daemon'} exited with {n}: {what}"
                         + (f" (exit reason {reason})" if reason is not None else ""))
            if fix and fix not in fixes:
                fixes.append(fix)
    if run.exited_by_itself:
        if run.exit_signal is not None:
            parts.append(f"lmgrd was killed by {_signal_name(run.exit_signal)} after {run.duration:.1f} s")
        else:
            parts.append(f"lmgrd exited by itself with status {run.exit_status} after {run.duration:.1f} s")
    title = parts[0] if parts else "the daemon exited"
    if run.exited_by_itself and not exits:
        title = parts[-1]
    return Finding("daemon.exited", Status.FAIL, title, detail="; ".join(parts),
                   fix="\n".join(fixes) or "Read the transcript above for the last message before the exit; "
                                          "`lmdoctor explain` decodes error codes.",
                   evidence=_ev(exits), seed_ref=SEED_FLOATING)


def diagnose_daemon(license_path: str, lmgrd: str, seconds: float = DEFAULT_SECONDS,
                    on_line: Optional[LineSink] = None, on_finding: Optional[FindingSink] = None,
                    cancel: Optional[CancelToken] = None, vendor_daemon: Optional[str] = None,
                    versions: bool = True, grace: float = DEFAULT_GRACE) -> Tuple[DaemonRun, List[Finding]]:
    """Versions, then the run, then the verdict: what ``lmdoctor daemon`` and the TUI call."""
    findings: List[Finding] = []

    def add(f: Finding) -> None:
        findings.append(f)
        if on_finding is not None:
            on_finding(f)

    pre = preflight(lmgrd)
    if pre is not None:
        add(pre)
        return DaemonRun(argv=[lmgrd, "-z", "-c", license_path], license=license_path,
                         stop_reason=StopReason.LAUNCH_FAILED, launch_error=pre.title), findings
    run = DaemonRunner(license_path, lmgrd, seconds=seconds, grace=grace).run(on_line=on_line, cancel=cancel)
    for f in verdict(run):
        add(f)
    if versions and run.pid is not None and not (cancel is not None and cancel.cancelled):
        for f in check_versions(license_path, lmgrd, vendor_daemon, cancel=cancel):
            add(f)
    return run, findings
