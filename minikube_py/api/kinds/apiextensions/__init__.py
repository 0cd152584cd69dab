"""Kinds of the API group 'apiextensions.k8s.io': the CustomResourceDefinition, and the
custom resources it defines (one generic strategy, built from the CRD)."""
