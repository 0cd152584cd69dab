"""A real etcd process for tests: Debian's ``etcd`` (package etcd-server) on free loopback
ports, its data in a temporary dir removed after; stopped with SIGTERM (then SIGKILL).

``start_etcd(tls=True)`` serves https and requires client certificates: a CA, a serving
certificate for 127.0.0.1 and a client certificate are made in the data dir
(:class:`TlsFiles`)."""

from __future__ import annotations

import atexit
import datetime as dt
import ipaddress
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, crt: Path,
           key_path: Path) -> None:
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


def make_tls(where: Path) -> TlsFiles:
    """A CA, etcd's serving certificate (127.0.0.1) and a client certificate."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("test-etcd-ca"))
          .issuer_name(_name("test-etcd-ca")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    files = TlsFiles(where / "ca.crt", where / "server.crt", where / "server.key",
                     where / "client.crt", where / "client.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    # etcd's JSON gateway dials etcd's own gRPC port with the serving certificate: under
    # --client-cert-auth that certificate must allow client auth too (as kubeadm's does).
    for cn, usages, crt, key_path in (
            ("127.0.0.1", [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
             files.server_cert, files.server_key),
            ("minikube-py", [ExtendedKeyUsageOID.CLIENT_AUTH], files.client_cert,
             files.client_key)):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
                .sign(ca_key, hashes.SHA256()))
        _write(cert, key, crt, key_path)
    return files


@dataclass
class EtcdProcess:
    proc: subprocess.Popen[bytes]
    data_dir: Path
    port: int
    tls: TlsFiles | None = None
    args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"etcd://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """End the process (its data stays, for :meth:`restart`)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> None:
        """Start etcd again on its data and ports; wait until it answers."""
        self.kill()
        self.proc = _launch(self.args, self.data_dir)
        _wait(self)

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _launch(args: tuple[str, ...], data: Path) -> subprocess.Popen[bytes]:
    log = open(data / "etcd.log", "ab")  # the child keeps its own copy
    try:
        return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


def _wait(running: EtcdProcess) -> None:
    scheme = "https" if running.tls else "http"
    context = None
    if running.tls is not None:
        context = ssl.create_default_context(cafile=str(running.tls.ca))
        context.load_cert_chain(str(running.tls.client_cert), str(running.tls.client_key))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if running.proc.poll() is not None:
            log = (running.data_dir / "etcd.log").read_text(errors="replace")
            running.stop()
            raise RuntimeError(f"etcd exited: {log[-2000:]}")
        try:
            with urllib.request.urlopen(f"{scheme}://127.0.0.1:{running.port}/health",
                                        timeout=1, context=context) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    running.stop()
    raise RuntimeError("etcd did not answer in 20 s")


def start_etcd(*, tls: bool = False) -> EtcdProcess:
    """Start etcd and wait until it answers; skip the test where etcd is not installed."""
    binary = shutil.which("etcd")
    if binary is None:
        pytest.skip("etcd is not installed (apt-get install etcd-server)")
    data = Path(tempfile.mkdtemp(prefix="minikube-py-test-etcd-"))
    client, peer = free_port(), free_port()
    files = make_tls(data) if tls else None
    url = f"{'https' if tls else 'http'}://127.0.0.1:{client}"
    secure = [] if files is None else [
        "--cert-file", str(files.server_cert), "--key-file", str(files.server_key),
        "--client-cert-auth", "--trusted-ca-file", str(files.ca)]
    args = (binary, "--name", "test", "--data-dir", str(data / "etcd"),
            "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-cluster", f"test=http://127.0.0.1:{peer}",
            "--experimental-watch-progress-notify-interval", "1s", *secure)
    running = EtcdProcess(_launch(args, data), data, client, files, args)
    _wait(running)
    return running


def start_etcd_cluster(size: int = 3) -> list[EtcdProcess]:
    """``size`` etcd members forming one cluster on loopback (one temp dir each)."""
    binary = shutil.which("etcd")
    if binary is None:
        pytest.skip("etcd is not installed (apt-get install etcd-server)")
    ports = [(free_port(), free_port()) for _ in range(size)]
    initial = ",".join(f"m{i}=http://127.0.0.1:{peer}" for i, (_, peer) in enumerate(ports))
    members = []
    for i, (client, peer) in enumerate(ports):
        data = Path(tempfile.mkdtemp(prefix="minikube-py-test-etcd-"))
        url = f"http://127.0.0.1:{client}"
        args = (binary, "--name", f"m{i}", "--data-dir", str(data / "etcd"),
                "--listen-client-urls", url, "--advertise-client-urls", url,
                "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-cluster", initial, "--initial-cluster-token", "test-cluster",
                "--experimental-watch-progress-notify-interval", "1s")
        members.append(EtcdProcess(_launch(args, data), data, client, None, args))
    try:
        for member in members:  # (a member answers /health once the cluster has a leader)
            _wait(member)
    except BaseException:
        for member in members:
            member.stop()
        raise
    return members


_PER_DATA_DIR: dict[Path, EtcdProcess] = {}


def etcd_for(data_dir: Path) -> EtcdProcess:
    """The etcd of a daemon's data dir (``MINIKUBE_PY_TEST_STORAGE=etcd``): started on first
    use, the same one when the daemon restarts; all stopped when the test run ends."""
    etcd = _PER_DATA_DIR.get(data_dir)
    if etcd is None:
        etcd = _PER_DATA_DIR[data_dir] = start_etcd()
    return etcd


def stop_all() -> None:
    for etcd in _PER_DATA_DIR.values():
        etcd.stop()
    _PER_DATA_DIR.clear()


# This module is imported once per run (tests import conftest under two names, so its
# globals are no place for processes that must be stopped).
atexit.register(stop_all)
