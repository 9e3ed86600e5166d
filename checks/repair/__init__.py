"""Repairs: plans from the check's findings, safe license edits, links, server start/restart, journal and undo.

``session.plan_repair`` checks and plans; ``session.apply_repair`` applies (asking per action
through a callback), verifies and journals; ``apply.undo_run`` takes a journaled run back.
"""
