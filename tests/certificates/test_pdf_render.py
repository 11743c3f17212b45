"""The certificate PDF render: what a worker keeps between renders (font configuration,
parsed stylesheet) changes nothing in the document, and the bottom row (signature,
verification text, QR code) keeps its place without flex boxes."""

import io
import subprocess
import threading
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from pypdf import PdfReader
from weasyprint import HTML

from certificates import services

STYLED = """<!DOCTYPE html><html lang="en"><head><title>t</title><style>
  @font-face { font-family: "Cert Sans"; src: url("FONTS/DejaVuSans.ttf"); }
  body { font-family: "Cert Sans"; color: #0b4f8a; }
</style></head><body><p>Styled once</p></body></html>""".replace("FONTS", services.FONTS_URI)


def embedded_fonts(data: bytes) -> set[str]:
    page = PdfReader(io.BytesIO(data)).pages[0]
    return {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for font in page["/Resources"]["/Font"].values()
    }


def raster(data: bytes, tmp_path, name: str) -> bytes:
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-singlefile", str(pdf), str(tmp_path / name)],
        check=True,
    )
    return (tmp_path / f"{name}.png").read_bytes()


def whole_page_pdf(html: str) -> bytes:
    """WeasyPrint on its own: nothing kept from an earlier render, the <style> in place."""
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(
        pdf_variant=services.PDF_VARIANT
    )
    return document.write_pdf(pdf_variant=services.PDF_VARIANT)


def test_renders_in_a_thread_share_the_font_configuration_and_the_parsed_stylesheet():
    first = services.render_pdf(STYLED, title="t", author="a")
    kept = services._font_config(), dict(services._renderers.stylesheets)
    second = services.render_pdf(STYLED, title="t", author="a")
    assert services._font_config() is kept[0]
    assert services._renderers.stylesheets == kept[1]
    # The @font-face font is embedded every time, not only when it was first loaded.
    assert embedded_fonts(first) == embedded_fonts(second) == {"Cert-Sans"}


def test_each_thread_has_its_own_font_configuration():
    other = []
    thread = threading.Thread(target=lambda: other.append(services._font_config()))
    thread.start()
    thread.join()
    assert other[0] is not services._font_config()


@pytest.mark.parametrize(
    "html",
    [
        "<html><p>no style</p></html>",
        "<html><style>p {}</style><style>b {}</style></html>",
        '<html><link rel="stylesheet" href="x.css"><style>p {}</style></html>',
        '<html><style>p {}</style><p style="color: red">x</p></html>',
        "<html><style>p { color: red !important }</style></html>",
        "<html><style>p {}</html>",
    ],
)
def test_a_page_styled_any_other_way_is_rendered_whole(html):
    assert services._styles_apart(html) == (html, [])


def test_the_style_apart_is_parsed_once_and_the_kept_ones_are_bounded():
    page, [sheet] = services._styles_apart(STYLED)
    assert "<style>" not in page
    assert "Styled once" in page
    assert services._styles_apart(STYLED)[1] == [sheet]
    for n in range(services.STYLESHEETS_KEPT + 2):
        services._styles_apart(f"<html><style>p {{ margin: {n}px }}</style></html>")
    assert len(services._renderers.stylesheets) <= services.STYLESHEETS_KEPT


def test_the_certificate_pdf_looks_as_weasyprint_renders_the_page_whole(certificate, tmp_path):
    html = services.certificate_html(certificate)
    services.render_pdf(html, title="t", author="a")  # warm: fonts and stylesheet kept
    kept = services.render_pdf(html, title="t", author="a")
    assert raster(kept, tmp_path, "kept") == raster(whole_page_pdf(html), tmp_path, "whole")


# --- the bottom row -------------------------------------------------------------------


def boxes_by_class(html: str) -> dict[str, object]:
    found = {}

    def walk(box):
        element = getattr(box, "element", None)
        if element is not None and getattr(box, "element_tag", "") in ("div", "img"):
            name = element.get("class") or element.get("alt", "")[:2]
            found.setdefault(name, box)
        for child in getattr(box, "children", []):
            walk(child)

    walk(HTML(string=html, base_url=str(settings.BASE_DIR)).render().pages[0]._page_box)
    return found


def page_with_signatory(certificate, name: str, title: str) -> str:
    url = services.verification_url(certificate)
    return render_to_string(
        "certificates/pdf.html",
        {
            "certificate": certificate,
            "verification_url": url,
            "qr": services.qr_svg(url),
            "logo": "",
            "signature": "",
            "policies": SimpleNamespace(signatory_name=name, signatory_title=title),
            "fonts": services.FONTS_URI,
        },
    )


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Dana Director", "Director"),
        (
            "Dr. Alexandria Montgomery-Vanderbilt Featherstonehaugh",
            "Associate Director of Continuing Professional Education and Accreditation",
        ),
    ],
)
def test_the_signature_and_the_qr_code_sit_on_the_bottom_line_side_by_side(
    certificate, name, title
):
    boxes = boxes_by_class(page_with_signatory(certificate, name, title))
    bottom, signature, line = boxes["bottom"], boxes["signature"], boxes["line"]
    qr = boxes["QR"]
    text = boxes[""]  # the verification text (no class)

    def bottom_edge(box):
        return box.position_y + box.margin_height()

    assert signature.position_x == bottom.position_x
    assert qr.position_x + qr.margin_width() == pytest.approx(bottom.position_x + bottom.width)
    assert bottom_edge(signature) == pytest.approx(bottom_edge(qr))
    assert bottom_edge(text) == pytest.approx(bottom_edge(qr))
    assert qr.width == pytest.approx(96)  # 1in
    assert text.position_x + text.margin_width() < qr.position_x  # the 8pt gap
    # A long signatory line wraps where the flex row wrapped it: at most the row less the
    # text's 3.6in and the QR code's 1in (WeasyPrint's flex left the 8pt gap out).
    assert line.width >= 2.4 * 96
    assert signature.position_x + signature.margin_width() <= qr.position_x - 3.6 * 96 + 0.01
