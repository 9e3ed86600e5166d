"""`lmdoctor serve`: a Prometheus exporter for many license servers: usage and the why, per target."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Dict

from ._common import fail_input

HELP = "Prometheus exporter: license usage and lmdoctor's findings for many servers, on /metrics"
DEFAULT_CONFIG = "/etc/lmdoctor/serve.toml"
DESCRIPTION = (
    "Serve /metrics for Prometheus. Each scrape probes every target of the config in parallel: a TCP "
    "connect to its lmgrd ports (shared by all targets: a firewalled server costs one timeout), "
    "lmutil lmstat -a against the servers that answered, and when the server runs on this machine the "
    "check engine's listener, debug-log and license checks. The metrics are flexlm_exporter's "
    "(flexlm_server_status, flexlm_feature_used, ...; same names and labels, so its dashboards keep "
    "working) plus lmdoctor_finding{target,id,area,status} for every warn/fail finding, "
    "lmdoctor_target_up, lmdoctor_quorum and lmdoctor_feature_expiry_timestamp_seconds. "
    "A scrape answers within the config's deadline (or Prometheus' scrape timeout, if sooner). "
    "SIGHUP reloads the config. Run 'lmdoctor serve --example-config' for a commented config."
)

EXAMPLE = """\
# lmdoctor serve: one [[target]] table per license service. Check it with
#   lmdoctor serve --config FILE --check-config
# and see what it finds once with
#   lmdoctor check --config FILE

# lmutil = "/opt/flexlm/bin/lmutil"   # default: beside license_file, beside a running lmgrd, on PATH
# parallel = 8                        # targets probed at once (so at most 8 lmutil processes)
# deadline = 9                        # seconds a scrape may take (Prometheus' scrape_timeout, if
#                                     # lower, wins); slower targets are reported as overrun

[[target]]
name = "sigasi"                       # the 'target' label (and flexlm_exporter's 'app')
servers = ["27000@licserver"]         # PORT@HOST; a redundant triad is ONE entry:
                                      #   ["27000@lic1,27000@lic2,27000@lic3"]
vendor = "sigasi"                     # optional: the vendor daemon's name
timeout = 5                           # seconds for the connect, and for lmutil

[[target]]
name = "matlab"
license_file = "/opt/matlab/etc/license.dat"   # instead of servers: the file's SERVER lines
exclude_features = ["MATLAB_Distrib_Comp_Engine"]
per_user = false                      # true adds flexlm_feature_used_users (user names: personal data)
"""


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help=f"the targets, a TOML file (default {DEFAULT_CONFIG})")
    p.add_argument("--listen", metavar="HOST:PORT", default=None,
                   help="address to serve on (default 127.0.0.1:9319, this machine only; 0.0.0.0:9319 or "
                        "[::]:9319 for Prometheus on another host)")
    p.add_argument("--lmutil", metavar="PATH", help="the lmutil to run (overrides the config's)")
    p.add_argument("--redact", action="store_true",
                   help="replace host and user label values by stable salted hashes (host-3fa1..., user-...)")
    p.add_argument("--check-config", action="store_true",
                   help="read and check the config, print a summary, and exit (0 fine, 3 not)")
    p.add_argument("--example-config", action="store_true", help="print a commented example config and exit")


def needs_linux(args: argparse.Namespace) -> bool:
    """Serving runs lmutil and this machine's probes; printing or checking a config does not (checks/platforms.py)."""
    return not (getattr(args, "example_config", False) or getattr(args, "check_config", False))


def run(args: argparse.Namespace) -> int:
    if args.example_config:
        sys.stdout.write(EXAMPLE)
        return 0
    from ..metrics.config import ConfigError, load_config
    from ..metrics.listen import DEFAULT_LISTEN, ListenError, is_loopback, parse_listen

    path = args.config or DEFAULT_CONFIG
    if args.config is None and not os.path.exists(DEFAULT_CONFIG):
        return fail_input(f"no config: pass --config FILE or write {DEFAULT_CONFIG} "
                          "(lmdoctor serve --example-config prints one to start from)")
    try:
        config = load_config(path)
    except ConfigError as exc:
        return fail_input(str(exc))
    if args.lmutil and not (os.path.isfile(args.lmutil) and os.access(args.lmutil, os.X_OK)):
        return fail_input(f"--lmutil {args.lmutil} is not an executable file (give the full path of lmutil)")
    try:
        host, port = parse_listen(args.listen or DEFAULT_LISTEN)
    except ListenError as exc:
        return fail_input(f"--listen: {exc}")
    if args.check_config:
        print(f"{path}: {len(config.targets)} target(s), parallel {config.parallel}, deadline {config.deadline:g} s",
              file=sys.stderr)
        for t in config.targets:
            where = t.license_file or ", ".join(e.text for e in t.servers)
            print(f"  {t.name}: {where} (timeout {t.timeout:g} s{', per user' if t.per_user else ''})",
                  file=sys.stderr)
        return 0
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        return fail_input("prometheus_client is not installed: pip install prometheus_client "
                          "(it comes with lmdoctor; a broken install may lack it)")
    return _serve(config, path, host, port, args, is_loopback(host))


def _serve(config, path: str, host: str, port: int, args: argparse.Namespace, loopback: bool) -> int:
    import signal
    import threading

    from ..metrics.families import Collector, LabelHasher
    from ..metrics.scheduler import Exporter
    from ..metrics.server import PerRequest, make_app, serve_http

    exporter = Exporter(config, lmutil=args.lmutil)
    per_request = PerRequest()
    collector = Collector(exporter, LabelHasher() if args.redact else None, deadline=per_request.get)
    try:
        httpd = serve_http(make_app(collector, per_request), host, port)
    except OSError as exc:
        exporter.close(wait_for_probes=False)
        hint = " (another lmdoctor serve? choose another with --listen)" if exc.errno == 98 else ""
        return fail_input(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}")
    bound = httpd.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"lmdoctor serve: {len(config.targets)} target(s) from {path}; metrics at http://{shown}:{bound}/metrics",
          file=sys.stderr, flush=True)
    missing = [t.name for t in config.targets if exporter.shared.lmutil_for(t) is None]
    if missing:
        print(f"lmdoctor serve: lmutil not found for {', '.join(missing[:5])}: only reachability and local checks "
              "for them (set lmutil = \"/path/to/lmutil\" in the config)", file=sys.stderr, flush=True)
    if not loopback:
        print(f"lmdoctor serve: listening on {host}, not only this machine: whoever reaches port {bound} sees "
              "license usage; allow only Prometheus in the firewall", file=sys.stderr, flush=True)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        print("lmdoctor serve: running as root, so lmutil runs as root too; run it as a dedicated user "
              "(see the systemd unit in the README)", file=sys.stderr, flush=True)

    stop = threading.Event()
    reason = ["stopped"]

    def on_stop(signum, _frame) -> None:
        reason[0] = signal.Signals(signum).name
        stop.set()

    def on_hup(_signum, _frame) -> None:
        threading.Thread(target=_reload, args=(exporter, path), daemon=True).start()

    old: Dict[Any, Any] = {}
    for sig, fn in ((signal.SIGTERM, on_stop), (signal.SIGINT, on_stop), (getattr(signal, "SIGHUP", None), on_hup)):
        if sig is not None:
            old[sig] = signal.signal(sig, fn)
    server = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                              name="lmdoctor-serve")
    server.start()
    try:
        while not stop.wait(0.5):
            if not server.is_alive():
                reason[0] = "the HTTP server stopped"
                break
    finally:
        httpd.shutdown()
        httpd.server_close()
        exporter.close()  # running lmutil process groups are killed, nothing is left behind
        for sig, fn in old.items():
            signal.signal(sig, fn)
    print(f"lmdoctor serve: {reason[0]}, shut down", file=sys.stderr, flush=True)
    return 0


def _reload(exporter, path: str) -> None:
    from ..metrics.config import ConfigError, load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        print(f"lmdoctor serve: SIGHUP: config not reloaded, keeping the old one: {exc}", file=sys.stderr, flush=True)
        return
    exporter.reload(config)
    print(f"lmdoctor serve: SIGHUP: {len(config.targets)} target(s) from {path}", file=sys.stderr, flush=True)
