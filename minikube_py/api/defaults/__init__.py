"""Defaulting as Kubernetes' ``SetDefaults_X`` functions do it (pkg/apis/<group>/v1/defaults.go),
applied before validation on every create and update.

One module per API group; each kind's strategy (``api/kinds/``) calls its kind's function.
Shared pieces (pod specs, templates) are used by several kinds.
"""
