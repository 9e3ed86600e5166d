"""``python -m lmdoctor.checks`` still works; ``python -m lmdoctor`` is the documented form."""
from .cli import entry_point

if __name__ == "__main__":
    entry_point()
