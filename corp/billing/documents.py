"""Financial documents as PDF (PDF/A through ``core.pdf.render_pdf``) and as a ZIP of a period."""

import io
import zipfile
from decimal import Decimal

from flask_babel import format_date
from flask_babel import gettext as _

from core.pdf import render_pdf
from core.ui import label
from corp.billing.models import FinancialDocument
from corp.billing.money import amount_in_words


def title_of(document: FinancialDocument) -> str:
    """«VAT invoice No. СФ-2026-000001 of 31.10.2026»."""
    return _("%(kind)s No. %(number)s of %(date)s", kind=label("document_kind", document.kind),
             number=document.number, date=format_date(document.issued_on, "dd.MM.yyyy"))


def filename_of(document: FinancialDocument) -> str:
    return f"{document.kind}-{document.number}.pdf"


def document_context(document: FinancialDocument) -> dict:
    """Plain values for the template (never the ORM object)."""
    lines = []
    for i, line in enumerate(document.lines, start=1):
        lines.append({"n": i, "name": label("charge_kind", line["kind"]), "unit": line["unit"],
                      "net": Decimal(line["net"]), "vat": Decimal(line["vat"]),
                      "gross": Decimal(line["gross"])})
    return {
        "kind": document.kind,
        "title": title_of(document),
        "number": document.number,
        "date": format_date(document.issued_on, "dd.MM.yyyy"),
        "period": document.period,
        "seller": dict(document.seller),
        "buyer": dict(document.buyer),
        "lines": lines,
        "vat_rate": f"{Decimal(document.vat_rate).normalize():f}",
        "net_total": Decimal(document.net_total),
        "vat_total": Decimal(document.vat_total),
        "total": Decimal(document.total),
        "total_in_words": amount_in_words(Decimal(document.total)),
        "vat_in_words": amount_in_words(Decimal(document.vat_total)),
    }


def document_pdf(document: FinancialDocument) -> bytes:
    """The document as PDF/A with title and author (the operator) in its metadata."""
    context = document_context(document)
    seller = context["seller"]
    return render_pdf(
        "billing/pdf/document.html", context, title=context["title"], author=seller["name"],
        header={"left": f"{seller['name']}, {_('INN')} {seller['inn']}",
                "right": f"{document.number} · {document.period}"})


def documents_zip(documents) -> bytes:
    """Every document's PDF in one ZIP (the financial documents of a period)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            archive.writestr(f"{document.period}/{filename_of(document)}",
                             document_pdf(document))
    return out.getvalue()
