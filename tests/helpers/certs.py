"""Certificate requests for tests (a fresh EC key each): what a joining kubelet sends."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def csr_pem(common_name: str = "system:node:n1", organization: str = "system:nodes") -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    request = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])).sign(key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM)


def csr_b64(common_name: str = "system:node:n1", organization: str = "system:nodes") -> str:
    return base64.b64encode(csr_pem(common_name, organization)).decode()
