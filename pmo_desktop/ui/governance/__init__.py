"""The Governance tab's parts: the decisions-log model, the gate review panel and its dialogs."""
