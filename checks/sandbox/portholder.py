"""A stand-in for "another program" holding a TCP port (the port-in-use scenarios)."""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from typing import List, Optional

from .common import set_process_title


def main(argv: Optional[List[str]] = None, *, sandbox_dir: Optional[str] = None, **_: object) -> int:
    argv = list(sys.argv if argv is None else argv)
    set_process_title(argv[0], argv[1:])
    if len(argv) < 2 or not argv[1].isdigit():
        print("usage: portholder PORT", file=sys.stderr)
        return 2
    port = int(argv[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(8)
    except OSError as exc:
        print(f"portholder: cannot bind 127.0.0.1:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    pid_file = None
    if sandbox_dir:
        os.makedirs(os.path.join(sandbox_dir, "pids"), exist_ok=True)
        pid_file = os.path.join(sandbox_dir, "pids", f"portholder.{os.getpid()}")
        with open(pid_file, "w", encoding="utf-8", errors="surrogateescape") as fh:
            json.dump({"pid": os.getpid(), "pgid": os.getpgrp(), "port": port}, fh)
    stop = {"sig": 0}

    def on_signal(signum, _frame):  # noqa: ANN001
        stop["sig"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"holding 127.0.0.1:{port}", flush=True)
    while not stop["sig"]:
        time.sleep(0.1)
    sock.close()
    if pid_file:
        try:
            os.unlink(pid_file)
        except OSError:
            pass
    return 0
