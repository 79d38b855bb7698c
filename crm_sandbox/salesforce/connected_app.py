"""The sandbox org's connected app for the OAuth 2.0 JWT bearer flow: an RSA key pair whose
self-signed X.509 certificate is "uploaded" to the app (Setup → App Manager → Use digital
signatures), and which users are pre-approved for it ("Admin approved users are
pre-authorized").

`ConnectedApp.create(directory)` makes the pair and writes `jwt_private_key.pem` (what the
integration signs with: ICP_SYNC_SALESFORCE_PRIVATE_KEY takes its path) and
`jwt_certificate.pem` (what the connected app holds); the token endpoint verifies RS256
signatures against the certificate's public key only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

PRIVATE_KEY_FILE = "jwt_private_key.pem"
CERTIFICATE_FILE = "jwt_certificate.pem"


@dataclass(frozen=True)
class ConnectedApp:
    """The certificate (PEM) the app verifies assertions with, where the key pair was written,
    and the users pre-approved for the app (username in lower case → user id)."""

    certificate_pem: bytes = field(repr=False)
    private_key_path: str
    certificate_path: str
    approved_users: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, directory: str | Path, approved_users: Mapping[str, str]) -> ConnectedApp:
        """A fresh 2048-bit key pair and a one-year self-signed certificate, written (0600 for
        the key) under `directory`."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "icp-sync sandbox JWT")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        key_path = Path(directory) / PRIVATE_KEY_FILE
        key_path.touch(mode=0o600)
        key_path.write_bytes(key_pem)
        certificate_path = Path(directory) / CERTIFICATE_FILE
        certificate_path.write_bytes(certificate_pem)
        approved = {name.lower(): user for name, user in approved_users.items()}
        return cls(certificate_pem, str(key_path), str(certificate_path), approved)

    def public_key(self) -> rsa.RSAPublicKey:
        key = x509.load_pem_x509_certificate(self.certificate_pem).public_key()
        assert isinstance(key, rsa.RSAPublicKey)
        return key
