"""Test helpers that run real services on loopback (used by tests and bench scripts)."""
