"""Kinds of the API group 'autoscaling'; one module per kind."""
