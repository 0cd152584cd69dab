"""Kinds of the API group 'coordination'; one module per kind."""
