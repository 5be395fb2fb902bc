"""Spreadsheet intake in the UI: the import wizard, the import history and the template dialog.

``commands`` holds what the main window's actions call; everything else is one module per
wizard page or dialog. The work itself is ``importer.session.ImportSession`` (no Qt).
"""
