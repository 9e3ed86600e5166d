"""The base of lmdoctor's own error classes.

Every error lmdoctor raises on purpose derives from ``LmdoctorError`` (usually together with the
built-in class its callers already catch, such as ValueError), so a caller can tell "lmdoctor
refused this, with a message for the user" from a bug, and catch all of them in one place.
"""
from __future__ import annotations


class LmdoctorError(Exception):
    """An error lmdoctor raises on purpose; its message is one line for the user."""
