"""Use cases on a Session: every change to stored data goes through here (no Qt)."""
