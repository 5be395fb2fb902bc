"""Python modules generated from the Designer forms in ui/ (do not edit)."""
