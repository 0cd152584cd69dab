"""Kinds of the API group 'authorization.k8s.io'; one module per kind, all create-only and
not stored (their strategies answer through ``api/access.Reviewer``); ``review.py`` holds
what the access reviews share."""
