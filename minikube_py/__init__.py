"""minikube_py: a whole Kubernetes cluster in one Python asyncio process.

Layers, lowest first (a module imports only from layers below its own):
util < api < store < client < apiserver/controllers/scheduler/kubelet/proxy < daemon < cli.
"""

__version__ = "0.1.0"
