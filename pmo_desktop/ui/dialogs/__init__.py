"""Dialogs: one module per dialog, each composed with its Designer form from ui/*.ui."""
