"""Controllers: each reconciles one kind of object toward its desired state, through the
client only (never the store), as Kubernetes' controller manager does."""
