"""Kinds of the API core group ("" in paths: /api/v1); one module per kind."""
