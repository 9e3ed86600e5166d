"""lmdoctor: diagnose and repair FlexNet (FlexLM) floating-license servers.

The repository keeps the engine in ``checks/`` and the app in ``tui/``; both are installed under this
one import name (``lmdoctor.checks``, ``lmdoctor.tui``) through setuptools' package-dir mapping, so
lmdoctor never claims generic top-level names that other distributions use.
"""

# The version lives here and only here: pyproject.toml reads it (dynamic version) and every
# report's "lmdoctor" field comes from it.
__version__ = "0.2.0"
