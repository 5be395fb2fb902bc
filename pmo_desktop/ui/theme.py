"""Colours shared by tables, charts and the stylesheet, readable in light and dark palettes."""

from __future__ import annotations

RAG_COLOURS = {"R": "#d9534f", "A": "#f0ad4e", "G": "#5cb85c"}
RAG_LABELS = {"R": "Red", "A": "Amber", "G": "Green"}


def rag_text_colour(rag: str) -> str:
    """Text colour with enough contrast on the RAG fill."""
    return "#1f1f1f" if rag == "A" else "#ffffff"


# Utilisation bands: under, healthy, full, over (heat maps).
UTILISATION_BANDS = ((0.0, "#dbe9f6"), (0.6, "#a8d5a2"), (0.9, "#f6d36b"), (1.05, "#e07b6a"))
