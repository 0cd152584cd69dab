"""metrics.k8s.io: resource metrics, served by a provider (the kubelets), never stored."""
