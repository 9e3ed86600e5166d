"""lmdoctor's engine: parsers, probes, the decision tree, repairs and reports.

Nothing in this package may import Textual; ``tests/unit/test_layering.py``
enforces it so the headless CLI stays fast and usable over SSH.
"""

__version__ = "0.1.0"
