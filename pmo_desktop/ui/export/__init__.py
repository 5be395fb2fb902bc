"""Exports started from the window: tables and packs written to files the user chooses."""
