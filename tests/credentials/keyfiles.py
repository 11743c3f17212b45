"""Key files as production names them (PEM, an encrypted PDF key), made for a test."""

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

PASSPHRASE = "correct-horse-battery-staple"


def key_files(directory: Path, *, common_name: str = "Clinician CE Institute") -> dict:
    """The settings that name them: an encrypted PDF key, its certificate, a current
    Ed25519 key and one retired public key."""
    directory.mkdir(parents=True, exist_ok=True)
    pdf_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(pdf_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(pdf_key, hashes.SHA256())
    )  # fmt: skip
    files = {
        "PDF_SIGNING_KEY_FILE": pdf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE.encode()),
        ),
        "PDF_SIGNING_CERT_FILE": cert.public_bytes(serialization.Encoding.PEM),
        "CREDENTIAL_SIGNING_KEY_FILE": ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "CREDENTIAL_RETIRED_KEYS_FILE": ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    }
    settings = {"PDF_SIGNING_KEY_PASSPHRASE": PASSPHRASE}
    for setting, data in files.items():
        path = directory / f"{setting.lower()}.pem"
        path.write_bytes(data)
        path.chmod(0o600)
        settings[setting] = str(path)
    return settings
