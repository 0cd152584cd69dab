"""The serving certificate names what clients inside the cluster dial, and a certificate made
before those names were wanted is made again."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from minikube_py.apiserver.tls import ensure_serving_cert
from minikube_py.daemon import serving_hosts
from minikube_py.proxy.hostnet import interface_address


def names(crt: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(crt.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in san.get_values_for_type(x509.IPAddress)} | \
        set(san.get_values_for_type(x509.DNSName))


def test_in_cluster_names_and_regeneration(tmp_path: Path) -> None:
    """An old certificate (loopback only) is replaced by one that also names 10.96.0.1, the
    kubernetes Service's DNS names and the bridge gateway; the new one is then kept."""
    old, _ = ensure_serving_cert(tmp_path, ["127.0.0.1", "localhost"])
    assert "10.96.0.1" not in names(old)
    hosts = serving_hosts("0.0.0.0")
    crt, _ = ensure_serving_cert(tmp_path, hosts)
    wanted = {"127.0.0.1", "localhost", "10.96.0.1", "kubernetes", "kubernetes.default",
              "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
    gateway = interface_address()
    if gateway:
        wanted.add(gateway)
    assert wanted <= names(crt) and "0.0.0.0" not in names(crt)
    first = crt.read_bytes()
    ensure_serving_cert(tmp_path, hosts)
    assert crt.read_bytes() == first
