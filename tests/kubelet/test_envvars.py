"""The service environment variables, as pkg/kubelet/envvars builds them."""

from __future__ import annotations

from minikube_py.kubelet.envvars import service_env


def svc(name: str, ip: str, ports: list[dict[str, object]]) -> dict[str, object]:
    return {"metadata": {"name": name, "namespace": "default"},
            "spec": {"clusterIP": ip, "ports": ports}}


def test_variables_of_a_named_multi_port_service() -> None:
    env = service_env([svc("my-web", "10.96.0.7", [
        {"name": "http", "port": 80, "protocol": "TCP"},
        {"name": "dns", "port": 53, "protocol": "UDP"}])])
    assert env == [
        ("MY_WEB_SERVICE_HOST", "10.96.0.7"), ("MY_WEB_SERVICE_PORT", "80"),
        ("MY_WEB_SERVICE_PORT_HTTP", "80"), ("MY_WEB_SERVICE_PORT_DNS", "53"),
        ("MY_WEB_PORT", "tcp://10.96.0.7:80"),
        ("MY_WEB_PORT_80_TCP", "tcp://10.96.0.7:80"), ("MY_WEB_PORT_80_TCP_PROTO", "tcp"),
        ("MY_WEB_PORT_80_TCP_PORT", "80"), ("MY_WEB_PORT_80_TCP_ADDR", "10.96.0.7"),
        ("MY_WEB_PORT_53_UDP", "udp://10.96.0.7:53"), ("MY_WEB_PORT_53_UDP_PROTO", "udp"),
        ("MY_WEB_PORT_53_UDP_PORT", "53"), ("MY_WEB_PORT_53_UDP_ADDR", "10.96.0.7")]


def test_headless_services_are_left_out_and_order_is_by_name() -> None:
    env = service_env([svc("zeta", "10.96.0.9", [{"port": 1}]),
                       svc("headless", "None", [{"port": 2}]),
                       svc("alpha", "10.96.0.8", [{"port": 3}])])
    hosts = [value for key, value in env if key.endswith("_SERVICE_HOST")]
    assert hosts == ["10.96.0.8", "10.96.0.9"]
    assert ("ZETA_SERVICE_PORT", "1") in env and not any(k.startswith("HEADLESS") for k, _ in env)
