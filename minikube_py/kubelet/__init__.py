"""The kubelet: runs the pods bound to its node through a :mod:`.runtime` (Docker or sim)."""
