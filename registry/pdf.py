"""The dossier as a PDF, with Chinese glyphs from the system's Noto CJK fonts (WeasyPrint)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # The PDF template is self-contained; nothing is fetched, from the network or the app.
    raise ValueError(f"External resource refused in a PDF: {url}")


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    pdf: bytes = HTML(string=html, url_fetcher=_no_fetching).write_pdf()
    return pdf
