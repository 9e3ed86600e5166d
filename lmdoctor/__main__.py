"""``python -m lmdoctor``: the same entry point as the ``lmdoctor`` console script."""
from lmdoctor.checks.cli import entry_point

if __name__ == "__main__":
    entry_point()
