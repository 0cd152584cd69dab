"""Kinds of the API group 'apiregistration.k8s.io'; one module per kind."""
