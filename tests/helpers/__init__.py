"""Helpers shared by test modules (never imported by the package)."""
