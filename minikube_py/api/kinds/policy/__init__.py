"""Kinds of the API group 'policy'; one module per kind."""
