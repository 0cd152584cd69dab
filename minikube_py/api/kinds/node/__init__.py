"""Kinds of the API group 'node.k8s.io'; one module per kind."""
