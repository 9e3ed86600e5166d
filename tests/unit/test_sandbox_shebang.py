"""The sandbox scripts start their interpreter even when its path does not fit on a "#!" line.

Linux before 5.1 reads 127 bytes of a "#!" line; the single-file build's interpreter lives deep in
~/.cache/pex. Then /bin/sh starts it, and the interpreter must still see ``python SCRIPT ARGS``.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from lmdoctor.checks.sandbox.sandbox import SandboxError, _shebang


def test_a_short_plain_path_is_a_shebang():
    assert _shebang("/usr/bin/python3") == "#!/usr/bin/python3\n"


@pytest.mark.parametrize("path", ["/opt/" + "x" * 130 + "/bin/python", "/opt/my tools/bin/python"])
def test_long_or_spaced_paths_start_through_sh(path):
    head = _shebang(path)
    assert head.startswith("#!/bin/sh\n") and f'"{path}"' in head
    ast.parse(head + "import sys\n")  # the second and third lines are a string to Python


def test_the_sh_trampoline_runs_python_with_the_script_and_its_arguments(tmp_path):
    deep = tmp_path / ("d" * 100) / ("e" * 40)
    deep.mkdir(parents=True)
    python = deep / "python"
    os.symlink(sys.executable, python)
    assert len(str(python)) > 127
    script = tmp_path / "lmgrd"
    script.write_text(_shebang(str(python)) + "import sys\nprint(repr(sys.argv))\n")
    script.chmod(0o755)
    out = subprocess.run([str(script), "-c", "/x y/sigasi.lic", "-l", "$HOME"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert ast.literal_eval(out.stdout.strip()) == [str(script), "-c", "/x y/sigasi.lic", "-l", "$HOME"]


def test_an_unquotable_path_is_refused_with_a_message():
    with pytest.raises(SandboxError, match="cannot be quoted"):
        _shebang('/opt/"odd"/' + "x" * 130 + "/python")
