"""Kinds of the API group 'apps'; one module per kind."""
