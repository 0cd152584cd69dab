"""Kinds of the API group 'events.k8s.io'; one module per kind."""
