"""`lmdoctor serve` / `check --config` refuse bad input with exit 3 and one line naming the problem.

Most cases run the CLI in this process (cli.main: the same parser and command code, without an
interpreter start per case); one of each kind runs as a real subprocess.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .checkhelp import clean_env

GOOD = '[[target]]\nname = "a"\nservers = ["27000@127.0.0.1"]\n'


def lmdoctor(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmdoctor", *args], capture_output=True, text=True,
                          env=clean_env(home), timeout=60, cwd=str(home))


class Ran:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def in_process(capsys, *args: str) -> Ran:
    from lmdoctor.checks import cli

    try:
        rc = cli.main(list(args))
    except SystemExit as exc:  # argparse errors
        rc = int(exc.code or 0)
    out = capsys.readouterr()
    return Ran(rc, out.out, out.err)


def one_line_error(cp) -> str:
    assert cp.returncode == 3, (cp.returncode, cp.stdout, cp.stderr)
    assert "Traceback" not in cp.stderr and cp.stdout == ""
    lines = cp.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lmdoctor: "), cp.stderr
    return lines[0]


@pytest.mark.parametrize("text, words", [
    (GOOD + "timout = 3\n", ["line 4", "unknown key 'timout'", "did you mean 'timeout'"]),
    (GOOD + "timeout = 0\n", ["line 4", "timeout"]),
    ('[[target]]\nname = "a"\nservers = ["27000@lic1", "99999@lic2"]\n', ["line 3", "port must be a number"]),
    ('[[target]]\nname = "a"\nservers = ["27000@lic1"\n', ["line 3", "not valid TOML"]),
    ("SERVER lic1 ANY 27000\nVENDOR sigasi\n", ["looks like a license file"]),
])
def test_bad_configs_exit_3_naming_the_line(tmp_path, capsys, text, words):
    cfg = tmp_path / "serve.toml"
    cfg.write_text(text)
    msg = one_line_error(in_process(capsys, "serve", "--config", str(cfg)))
    assert str(cfg) in msg
    for w in words:
        assert w in msg, msg


@pytest.mark.parametrize("fmt", ["openmetrics", "text"])
def test_check_reads_the_config_the_same_way(tmp_path, fmt):
    cfg = tmp_path / "serve.toml"
    cfg.write_text(GOOD + "timout = 3\n")
    msg = one_line_error(lmdoctor(tmp_path, "check", "--config", str(cfg), "--format", fmt))
    assert f"{cfg} line 4: unknown key 'timout'" in msg


def test_check_config_and_example(tmp_path):
    cfg = tmp_path / "serve.toml"
    cfg.write_text(GOOD)
    cp = lmdoctor(tmp_path, "serve", "--config", str(cfg), "--check-config")
    assert cp.returncode == 0 and "1 target(s)" in cp.stderr and "a: 27000@127.0.0.1" in cp.stderr
    example = lmdoctor(tmp_path, "serve", "--example-config")
    assert example.returncode == 0 and "[[target]]" in example.stdout
    # The example is a valid config once its license file exists.
    lic = tmp_path / "license.dat"
    lic.write_text("SERVER lic1 ANY 27000\nVENDOR MLM\n")
    cfg.write_text(example.stdout.replace("/opt/matlab/etc/license.dat", str(lic)))
    cp = lmdoctor(tmp_path, "serve", "--config", str(cfg), "--check-config")
    assert cp.returncode == 0, cp.stderr
    assert "sigasi: 27000@licserver" in cp.stderr and f"matlab: {lic}" in cp.stderr


@pytest.mark.parametrize("args, words", [
    (["serve", "--config", "{cfg}", "--listen", "localhost"], ["--listen", "HOST:PORT"]),
    (["serve", "--config", "{cfg}", "--listen", "::1:9319"], ["brackets"]),
    (["serve", "--config", "{cfg}", "--lmutil", "/nonexistent/lmutil"], ["not an executable"]),
    (["serve", "--config", "{home}/nope.toml"], ["config file not found"]),
    (["check", "--format", "json", "-o", "{home}/x.prom"], ["-o/--output is for --format openmetrics"]),
    (["check", "--config", "{cfg}", "--license", "{cfg}"], ["--config probes the config's targets"]),
    (["check", "--config", "{cfg}", "--format", "openmetrics", "-o", "{home}/no/dir/x.prom"],
     ["does not exist", "textfile"]),
    (["check", "--config", "{cfg}", "--format", "openmetrics", "-o", "{home}"], ["is a directory"]),
])
def test_bad_arguments_exit_3(tmp_path, capsys, args, words):
    cfg = tmp_path / "serve.toml"
    cfg.write_text('[[target]]\nname = "a"\nservers = ["1@127.0.0.1"]\ntimeout = 0.5\n')
    argv = [a.format(cfg=cfg, home=tmp_path) for a in args]
    msg = one_line_error(in_process(capsys, *argv))
    for w in words:
        assert w in msg, msg


def test_serve_without_any_config_says_where_to_put_one(tmp_path, capsys):
    if Path("/etc/lmdoctor/serve.toml").exists():
        pytest.skip("this machine has a system-wide lmdoctor config")
    msg = one_line_error(in_process(capsys, "serve"))
    assert "--config FILE" in msg and "/etc/lmdoctor/serve.toml" in msg and "--example-config" in msg
