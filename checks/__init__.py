"""lmdoctor's engine: parsers, probes, the decision tree, repairs and reports.

Nothing in this package may import Textual; ``tests/unit/test_layering.py``
enforces it so the headless CLI stays fast and usable over SSH.
"""

from .. import __version__  # noqa: F401  (one place: lmdoctor/__init__.py)
