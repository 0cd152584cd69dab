"""The kinds the apiserver serves, one module per kind in a package per API group.

Adding a kind (the recipe in docs/ARCHITECTURE.md): write ``kinds/<group>/<kind>.py`` with its
``RESOURCE`` (a :class:`~minikube_py.api.resource.ResourceType`) and its
:class:`~minikube_py.api.strategy.Strategy`, and add one line to ``api/registry.py``.
"""
