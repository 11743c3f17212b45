"""Keys come from the files the environment names; without them, a demo pair or nothing."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from certificates.services import render_pdf
from credentials import keys
from credentials.signing import pdf_sign, run_outside_event_loop
from tests.credentials.keyfiles import key_files


@pytest.fixture
def fresh_keys():
    """The key caches emptied before and after, so settings changes take effect."""
    for cached in (keys.pdf_signing, keys.credential_signing_key, keys.credential_public_keys):
        cached.cache_clear()
    yield
    for cached in (keys.pdf_signing, keys.credential_signing_key, keys.credential_public_keys):
        cached.cache_clear()


def test_configured_files_sign_with_an_encrypted_key(settings, tmp_path, fresh_keys):
    for name, value in key_files(tmp_path, common_name="CE Institute Signing").items():
        setattr(settings, name, value)
    settings.CREDENTIAL_DEMO_KEYS = False
    settings.CREDENTIAL_KEYS_DIR = str(tmp_path / "demo")
    material = keys.pdf_signing()
    assert not material.self_signed_demo
    assert material.signer_name == "CE Institute Signing"
    signed = pdf_sign(render_pdf("<html lang=en><p>x</p></html>", title="t", author="a"),
                      reason="test")  # fmt: skip
    [embedded] = PdfFileReader(io.BytesIO(signed), strict=False).embedded_signatures
    status = run_outside_event_loop(  # after a browser test, this thread has a running loop
        validate_pdf_signature,
        embedded,
        signer_validation_context=ValidationContext(trust_roots=[material.certificate]),
    )
    assert status.intact
    assert status.valid
    assert len(keys.credential_public_keys()) == 2  # current and retired
    assert not (tmp_path / "demo").exists()  # no demo key was made


def test_without_files_or_demo_keys_nothing_is_signed(settings, tmp_path, fresh_keys):
    settings.PDF_SIGNING_KEY_FILE = settings.PDF_SIGNING_CERT_FILE = ""
    settings.CREDENTIAL_SIGNING_KEY_FILE = ""
    settings.CREDENTIAL_DEMO_KEYS = False
    settings.CREDENTIAL_KEYS_DIR = str(tmp_path / "demo")
    with pytest.raises(ImproperlyConfigured, match="PDF_SIGNING_KEY_FILE"):
        keys.pdf_signing()
    with pytest.raises(ImproperlyConfigured, match="CREDENTIAL_SIGNING_KEY_FILE"):
        keys.credential_signing_key()


def test_half_a_pdf_key_pair_is_refused(settings, tmp_path, fresh_keys):
    settings.PDF_SIGNING_KEY_FILE = str(tmp_path / "key.pem")
    settings.PDF_SIGNING_CERT_FILE = ""
    with pytest.raises(ImproperlyConfigured, match="both"):
        keys.pdf_signing()


def test_the_demo_pair_is_made_once_and_announced(settings, tmp_path, fresh_keys, caplog):
    settings.PDF_SIGNING_KEY_FILE = settings.PDF_SIGNING_CERT_FILE = ""
    settings.CREDENTIAL_DEMO_KEYS = True
    settings.CREDENTIAL_KEYS_DIR = str(tmp_path / "demo")
    first = keys.pdf_signing()
    assert first.self_signed_demo
    assert "SELF-SIGNED" in caplog.text
    assert oct((tmp_path / "demo" / keys.DEMO_PDF_FILE).stat().st_mode)[-3:] == "600"
    keys.pdf_signing.cache_clear()
    caplog.clear()
    assert keys.pdf_signing().certificate.dump() == first.certificate.dump()  # reused
    assert "SELF-SIGNED" not in caplog.text
