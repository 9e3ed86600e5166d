"""lmdoctor's Textual front end. Presentation only: every decision is made in ``checks``."""
from __future__ import annotations
