"""Modal screens: help (F1), confirm, save (ctrl+s), open (ctrl+o), inputs (i)."""
