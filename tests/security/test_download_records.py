"""Every download is recorded in the company's audit log by the one writer
(``core.downloads``): who, what kind, the scope, the format and the row count."""

import inspect

from sqlalchemy import select

from core.audit import AuditEvent
from core.downloads import CSV_MIMETYPE, XLSX_MIMETYPE
from core.extensions import db
from corp.models import Line

ADMIN = "admin@romashka.example"
ACCOUNTANT = "accountant@romashka.example"
SPREADSHEETS = {CSV_MIMETYPE, XLSX_MIMETYPE}


def _last_download(kind):
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == f"download.{kind}")
                              .order_by(AuditEvent.id.desc())).first()


def _bulk_job(client, headers):
    line = db.session.scalar(select(Line.id).where(Line.company_id == 1).order_by(Line.id))
    response = client.post("/api/v1/bulk-operations", headers=headers, json={
        "type": "sms_send", "params": {"text": "hi"}, "line_ids": [line], "dry_run": False})
    assert response.status_code == 202, response.json
    return response.json["id"]


def _report_job(client, headers, fmt):
    response = client.post("/api/v1/reports", headers=headers, json={
        "type": "inventory", "format": fmt, "params": {}})
    assert response.status_code == 202, response.json
    return response.json["id"]


# API operations that answer a CSV or XLSX file: how to call each, and the record's kind.
API_EXPORTS = {
    ("get", "/api/v1/hierarchy/export"): lambda c, h: (
        "hierarchy", [f"/api/v1/hierarchy/export?format={f}" for f in ("csv", "xlsx")], ADMIN),
    ("get", "/api/v1/jobs/{job_id}/results.{fmt}"): lambda c, h: (
        "job_results", [f"/api/v1/jobs/{job}/results.{f}" for job in [_bulk_job(c, h[ADMIN])]
                        for f in ("csv", "xlsx")], ADMIN),
    ("get", "/api/v1/jobs/{job_id}/download"): lambda c, h: (
        "report", [f"/api/v1/jobs/{_report_job(c, h[ACCOUNTANT], f)}/download"
                   for f in ("csv", "xlsx")], ACCOUNTANT),
}

# Pages that send a download (found by the writer they call): URL(s) and the record's kind.
PAGE_EXPORTS = {
    "audit.export_csv": ("audit", ["/admin/audit.csv"], ADMIN),
    "hierarchy.export": ("hierarchy", ["/hierarchy/export?format=csv",
                                       "/hierarchy/export?format=xlsx"], ADMIN),
    "reports.download": ("report", ["/reports/download?type=inventory&format=csv",
                                    "/reports/download?type=inventory&format=xlsx"], ACCOUNTANT),
    "reports.job_file": ("report", None, ACCOUNTANT),  # a background report: below
}
_WRITERS = ("csv_response", "xlsx_response", "file_response", "export_response")


def test_every_spreadsheet_operation_is_walked(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    found = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for code, response in operation.get("responses", {}).items():
                if code.startswith("2") and SPREADSHEETS & set(response.get("content", {})):
                    found.add((method, path))
    assert found and found <= set(API_EXPORTS), found - set(API_EXPORTS)


def test_every_download_page_is_walked(app):
    pages = {rule.endpoint for rule in app.url_map.iter_rules()
             if not rule.rule.startswith("/api/")
             and any(w in inspect.getsource(app.view_functions[rule.endpoint])
                     for w in _WRITERS)}
    assert pages and pages <= set(PAGE_EXPORTS), pages - set(PAGE_EXPORTS)


def test_every_api_export_is_in_the_audit_log(app, api_token):
    client = app.test_client()
    headers = {ADMIN: api_token(ADMIN), ACCOUNTANT: api_token(ACCOUNTANT)}
    for (_method, path), call in API_EXPORTS.items():
        kind, urls, who = call(client, headers)
        formats = []
        for url in urls:
            before = _last_download(kind)
            response = client.get(url, headers=headers[who])
            assert response.status_code == 200, (url, response.data[:300])
            record = _last_download(kind)
            assert record is not None and record != before, url
            assert record.actor_email == who and record.company_id == 1
            formats.append(record.after["format"])
            if kind != "report":  # a prepared file: counted when it was built
                assert record.after["rows"] >= 1, url
        assert formats == ["csv", "xlsx"], path


def test_every_page_export_is_in_the_audit_log(app, login_as):
    for endpoint, (kind, urls, who) in PAGE_EXPORTS.items():
        client = app.test_client()
        client.post("/login", data={"email": who, "password": "Demo-pass-2026"})
        if urls is None:
            app.config["REPORT_INLINE_MAX_LINES"] = 0
            started = client.get("/reports/download?type=inventory&format=csv")
            app.config["REPORT_INLINE_MAX_LINES"] = 5000
            assert started.status_code == 302, endpoint
            urls = [started.headers["Location"].rstrip("/") + "/file"]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (endpoint, url, response.data[:300])
            record = _last_download(kind)
            assert record is not None and record.actor_email == who, (endpoint, url)
            assert record.detail and record.after["scope"] is not None


def test_the_record_counts_the_rows_sent(app, api_token):
    client = app.test_client()
    response = client.get("/api/v1/hierarchy/export?format=csv", headers=api_token(ADMIN))
    rows = response.get_data(as_text=True).lstrip("\ufeff").strip().count("\r\n")
    record = _last_download("hierarchy")
    assert record.after == {"format": "csv", "scope": "/", "rows": rows}


def test_no_file_is_sent_around_the_writer():
    """Only ``core.downloads`` calls ``send_file``: every file a user receives (CSV, XLSX,
    reports, financial documents, generated forms, attachments) goes through the writer
    that records it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("auth", "core", "corp", "forms", "hierarchy", "roles", "staff"):
        for path in (root / package).rglob("*.py"):
            if path != root / "core" / "downloads.py" and "send_file(" in path.read_text(
                    encoding="utf-8"):
                offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_pdfs_and_attachments_are_recorded_too(app, api_token):
    from corp.billing.models import FinancialDocument

    client = app.test_client()
    document = db.session.scalar(select(FinancialDocument).where(
        FinancialDocument.company_id == 1).order_by(FinancialDocument.id))
    response = client.get(f"/api/v1/financial-documents/{document.id}/pdf",
                          headers=api_token(ACCOUNTANT))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    record = _last_download("financial_document")
    assert record.actor_email == ACCOUNTANT and record.company_id == 1
    assert record.after == {"format": "pdf", "scope": f"document {document.id}", "rows": None}
