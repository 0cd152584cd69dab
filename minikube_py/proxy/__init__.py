"""The Service proxy (kube-proxy's userspace mode): TCP listeners per Service port.

``balancer`` picks endpoints (round robin, ClientIP affinity), ``tcp`` pumps the bytes,
``serviceport`` ties the two into the object the proxier manages per Service port.
"""

from minikube_py.proxy.balancer import Balancer, Endpoint
from minikube_py.proxy.serviceport import ServicePortProxy
from minikube_py.proxy.tcp import ProxyStats, TcpForwarder

__all__ = ["Balancer", "Endpoint", "ProxyStats", "ServicePortProxy", "TcpForwarder"]
