"""A firewalled port for the benches: a listener whose accept queue is full, so connects time out."""
from __future__ import annotations

import socket
from typing import List, Tuple


def blackhole() -> Tuple[int, List[socket.socket]]:
    """(port, sockets to keep open): connects to the port time out while the sockets are held."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    held = [s]
    for _ in range(4):  # fill the accept queue: further connects time out
        c = socket.socket()
        c.settimeout(0.2)
        try:
            c.connect(("127.0.0.1", port))
            held.append(c)
        except OSError:
            c.close()
            break
    return port, held
