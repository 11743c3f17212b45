"""The provider's signing keys: an X.509 key and certificate that sign certificate PDFs
(PAdES), and Ed25519 keys that sign Open Badges credentials and status lists (VC-JWT).

They come from files named in the environment (PDF_SIGNING_*, CREDENTIAL_SIGNING_KEY_FILE,
CREDENTIAL_RETIRED_KEYS_FILE; see .env.example), never from the repository. With
CREDENTIAL_DEMO_KEYS (on by default in the demo) and no files named, a self-signed pair is
created once under CREDENTIAL_KEYS_DIR and a warning says so.
"""

import datetime
import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc.jwk import OKPKey
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

logger = logging.getLogger(__name__)

DEMO_PDF_FILE = "demo-pdf-signing.pem"
DEMO_ED25519_FILE = "demo-credential-ed25519.pem"


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ImproperlyConfigured(f"Cannot read the signing key file {path}: {error}") from error


def _demo_file(name: str, make) -> bytes:
    """The demo key file `name`, created once (atomically: two processes starting at once
    end up with the same file) and announced, since a self-signed key proves little."""
    if not settings.CREDENTIAL_DEMO_KEYS:
        raise ImproperlyConfigured(
            "No signing key is configured: set PDF_SIGNING_KEY_FILE, PDF_SIGNING_CERT_FILE and "
            "CREDENTIAL_SIGNING_KEY_FILE (or CREDENTIAL_DEMO_KEYS=true for a demo)."
        )
    directory = Path(settings.CREDENTIAL_KEYS_DIR)
    path = directory / name
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".{name}.{os.getpid()}"
        temporary.write_bytes(make())
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)  # fails if another process won the race
            logger.warning(
                "Demo signing key: created a SELF-SIGNED key at %s. Documents signed with it "
                "prove nothing outside this demo; production names its own key files.",
                path,
            )
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_bytes()


def _pem_private(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


# Signatures that cannot be repudiated, nothing else (pyHanko checks for both bits).
_SIGNING_ONLY = x509.KeyUsage(
    digital_signature=True, content_commitment=True, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
    encipher_only=False, decipher_only=False,
)  # fmt: skip


def _make_demo_pdf_pair() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{settings.SITE_NAME} (demo, self-signed)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.SITE_NAME),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_SIGNING_ONLY, critical=True)
        .sign(key, hashes.SHA256())
    )
    return _pem_private(key) + cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class PdfSigningMaterial:
    signer: SimpleSigner
    certificate: asn1_x509.Certificate
    self_signed_demo: bool

    @property
    def signer_name(self) -> str:
        return subject_name(self.certificate)


def subject_name(certificate: asn1_x509.Certificate) -> str:
    """The certificate's common name (its whole subject if it has none)."""
    subject = certificate.subject
    return subject.native.get("common_name") or subject.human_friendly


@functools.cache
def pdf_signing() -> PdfSigningMaterial:
    """The key and certificate (with any chain) that sign certificate PDFs."""
    key_file, cert_file = settings.PDF_SIGNING_KEY_FILE, settings.PDF_SIGNING_CERT_FILE
    if key_file and cert_file:
        key_pem, cert_pem, demo = _read(key_file), _read(cert_file), False
    elif key_file or cert_file:
        raise ImproperlyConfigured("Set both PDF_SIGNING_KEY_FILE and PDF_SIGNING_CERT_FILE.")
    else:
        key_pem = cert_pem = _demo_file(DEMO_PDF_FILE, _make_demo_pdf_pair)
        demo = True
    passphrase = settings.PDF_SIGNING_KEY_PASSPHRASE.encode() or None
    key = load_private_key_from_pemder_data(key_pem, passphrase)
    certs = list(load_certs_from_pemder_data(cert_pem))
    if not certs:
        raise ImproperlyConfigured("The PDF signing certificate file holds no certificate.")
    registry = SimpleCertificateStore()
    registry.register_multiple(certs[1:])
    signer = SimpleSigner(signing_cert=certs[0], signing_key=key, cert_registry=registry)
    return PdfSigningMaterial(signer=signer, certificate=certs[0], self_signed_demo=demo)


# --- Ed25519 keys for credentials (JWS alg EdDSA) -----------------------------------------


def _make_demo_ed25519() -> bytes:
    return _pem_private(ed25519.Ed25519PrivateKey.generate())


def _jwk(pem: bytes, *, private: bool) -> OKPKey:
    key = OKPKey.import_key(pem)
    if key.curve_name != "Ed25519":
        raise ImproperlyConfigured("Credential signing keys must be Ed25519 keys.")
    if not private:
        key = OKPKey.import_key(key.as_dict(private=False))
    key.ensure_kid()  # the RFC 7638 thumbprint: stable, derived from the key itself
    return key


@functools.cache
def credential_signing_key() -> OKPKey:
    """The Ed25519 key that signs credentials now."""
    path = settings.CREDENTIAL_SIGNING_KEY_FILE
    pem = _read(path) if path else _demo_file(DEMO_ED25519_FILE, _make_demo_ed25519)
    return _jwk(pem, private=True)


def _pem_blocks(data: bytes) -> list[bytes]:
    blocks, current = [], []
    for line in data.splitlines(keepends=True):
        current.append(line)
        if line.startswith(b"-----END "):
            blocks.append(b"".join(current))
            current = []
    return blocks


@functools.cache
def credential_public_keys() -> list[OKPKey]:
    """Every key a credential of ours may be signed with: the current one first, then the
    retired ones (public keys only), so that credentials signed before a rotation verify."""
    keys = [_jwk(credential_signing_key().as_pem(private=False), private=False)]
    path = settings.CREDENTIAL_RETIRED_KEYS_FILE
    if path:
        for block in _pem_blocks(_read(path)):
            key = _jwk(block, private=False)
            if key.kid not in {k.kid for k in keys}:
                keys.append(key)
    return keys


# --- readiness ---------------------------------------------------------------------------

KEY_FILE_SETTINGS = (
    "PDF_SIGNING_KEY_FILE",
    "PDF_SIGNING_CERT_FILE",
    "CREDENTIAL_SIGNING_KEY_FILE",
    "CREDENTIAL_RETIRED_KEYS_FILE",
)


def _readable(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return bool(handle.read(1))
    except OSError:
        return False


def readiness() -> str:
    """For /readyz: every key file named is there and readable now (a secrets mount can go
    away, a file's owner can change, after the processes started) and the keys load.
    Raises RuntimeError naming settings, never paths (/readyz answers anyone)."""
    named = [name for name in KEY_FILE_SETTINGS if getattr(settings, name)]
    unreadable = [name for name in named if not _readable(getattr(settings, name))]
    if unreadable:
        raise RuntimeError(f"missing or unreadable: {', '.join(unreadable)}")
    if not named and not settings.CREDENTIAL_DEMO_KEYS:
        raise RuntimeError("no key files are configured")
    try:
        material = pdf_signing()
        credential_public_keys()
    except Exception:  # a file that is there but holds no usable key (or a wrong passphrase)
        raise RuntimeError("the key files hold no usable key") from None
    return "ok (self-signed demo keys)" if material.self_signed_demo else "ok"
