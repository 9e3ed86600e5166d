"""lmdoctor's Textual front end. Presentation only: every decision is made in ``checks``."""
