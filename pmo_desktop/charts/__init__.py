"""matplotlib Figure builders: data in, Figure out (no Qt, no pyplot state)."""
