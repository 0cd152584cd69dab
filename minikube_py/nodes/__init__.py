"""Virtual nodes: what the daemon registers as Node objects until kubelets do it."""
