"""Workbooks the office sends out: PM templates now, the executive pack later (no Qt)."""
