"""Kinds of the API group 'batch'; one module per kind."""
