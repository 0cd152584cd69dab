"""Kinds of the API group 'authentication.k8s.io'; one module per kind, both create-only and
not stored (answered through ``api/access.Reviewer``)."""
