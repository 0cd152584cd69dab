"""The kubelet: the node agent that runs pods in a container runtime (issue 12).

:mod:`.kubelet` is the component (one per virtual node); :mod:`.node` registers the Node and
keeps its Lease and status; :mod:`.pod_workers` and :mod:`.sync` run pods; :mod:`.probes`,
:mod:`.status`, :mod:`.env`, :mod:`.envvars`, :mod:`.volumes` and :mod:`.containers` are the
pieces of a sync; :mod:`.runtime` is the container runtime seam (Docker and the simulation).
"""
