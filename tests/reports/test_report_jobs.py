"""Reports through the API as background jobs: 202, progress, download by the owner only,
removal after the set time; the pages; the dashboard charts."""

import io
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.db import utcnow
from core.extensions import db
from corp.models import Line
from corp.reports.models import ReportFile
from tests.factories import make_user, node_named

ACCOUNTANT = "accountant@romashka.example"


def test_report_job_runs_and_its_owner_downloads_it(client, api_token):
    headers = api_token(ACCOUNTANT)
    response = client.post("/api/v1/reports", headers=headers, json={
        "type": "inventory", "format": "xlsx", "params": {}})
    assert response.status_code == 202, response.json
    job_id = response.json["id"]
    status = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json
    assert status["status"] == "done"
    assert status["progress"]["percent"] == 100
    assert status["download_url"].endswith(f"/jobs/{job_id}/download")
    file = client.get(status["download_url"], headers=headers)
    assert file.status_code == 200
    sheet = load_workbook(io.BytesIO(file.data)).active
    assert sheet.max_row - 1 == db.session.scalar(select(func.count()).select_from(Line).where(
        Line.company_id == 1))
    # Someone else — even the company's administrator — cannot fetch it.
    admin = api_token("admin@romashka.example")
    assert client.get(f"/api/v1/jobs/{job_id}", headers=admin).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}/download", headers=admin).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}/download",
                      headers=api_token("admin@vector.example")).status_code == 404
    # After the set time the file is gone.
    record = db.session.get(ReportFile, job_id)
    record.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(status["download_url"], headers=headers).status_code == 404
    path = Path(record.path)
    from corp.reports.jobs import remove_expired

    assert remove_expired() == 1 and not path.exists()


def test_bad_report_requests(client, api_token):
    headers = api_token(ACCOUNTANT)
    bad = [({"type": "nope", "format": "pdf"}, 422),
           ({"type": "inventory", "format": "pdf"}, 422),
           ({"type": "expenses", "format": "pdf", "params": {"from": "2026-02-30"}}, 422),
           ({"type": "call_detail", "format": "csv", "params": {}}, 422)]
    for body, status in bad:
        assert client.post("/api/v1/reports", headers=headers, json=body).status_code == status
    vector_line = db.session.scalar(select(Line.id).where(Line.company_id == 2))
    response = client.post("/api/v1/reports", headers=headers, json={
        "type": "call_detail", "format": "csv", "params": {"line_id": vector_line}})
    assert response.status_code == 404
    kazan = node_named(1, "Казань")
    make_user(1, role="viewer", node=node_named(1, "Москва"), email="m.viewer@test.example")
    db.session.commit()
    viewer = api_token("m.viewer@test.example")
    assert client.post("/api/v1/reports", headers=viewer, json={
        "type": "expenses", "format": "csv", "params": {"node_id": kazan.id}}
    ).status_code == 404
    assert client.post("/api/v1/reports", headers=viewer, json={
        "type": "payments", "format": "pdf"}).status_code == 403


def test_report_page_shows_and_downloads(client, login_as):
    login_as(ACCOUNTANT)
    page = client.get("/reports", query_string={"show": 1, "type": "expenses",
                                                "from": "2000-01-01", "to": "2000-12-31"})
    assert page.status_code == 200 and b'data-testid="report-title"' in page.data
    bad = client.get("/reports", query_string={"show": 1, "type": "expenses", "from": "x"})
    assert bad.status_code == 200 and b"is-invalid" in bad.data
    csv_file = client.get("/reports/download", query_string={"type": "inventory",
                                                             "format": "csv"})
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"


def test_big_reports_go_to_the_background_from_the_page(client, login_as, app):
    app.config["REPORT_INLINE_MAX_LINES"] = 10
    login_as(ACCOUNTANT)
    response = client.get("/reports/download", query_string={"type": "inventory",
                                                             "format": "xlsx"})
    assert response.status_code == 302 and "/reports/jobs/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"])
    assert b'data-testid="report-job-download"' in job_page.data


def test_dashboard_shows_charts_as_svg(client, login_as):
    login_as(ACCOUNTANT)
    assert client.get("/reports/charts/no_such_chart.svg").status_code == 404
    page = client.get("/dashboard")
    assert b'data-testid="chart-spend_by_branch"' in page.data
    for name in ("spend_by_branch", "trend", "top_lines", "idle_lines", "saving"):
        svg = client.get(f"/reports/charts/{name}.svg")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert b"<svg" in svg.data and b"<script" not in svg.data
    assert "Москва".encode() in client.get("/reports/charts/spend_by_branch.svg").data


def test_no_charts_without_reports_permission(client, login_as):
    login_as("sales.head@romashka.example")
    assert b"chart-spend_by_branch" not in client.get("/dashboard").data
    # Refused like every other reports page (403), an unknown chart is a 404.
    assert client.get("/reports/charts/trend.svg").status_code == 403


def test_nightly_cleanup_removes_the_files_report_jobs_write(client, api_token, runner):
    """One setting (REPORT_FILES_DIR): the clean-up empties the folder reports write to."""
    import os
    import time

    headers = api_token(ACCOUNTANT)
    response = client.post("/api/v1/reports", headers=headers, json={
        "type": "inventory", "format": "csv", "params": {}})
    assert response.status_code == 202, response.json
    job_id = response.json["id"]
    path = Path(db.session.get(ReportFile, job_id).path)
    assert path.is_file()
    assert client.get(f"/api/v1/jobs/{job_id}/download", headers=headers).status_code == 200
    long_ago = time.time() - 40 * 86400
    os.utime(path, (long_ago, long_ago))
    result = runner.invoke(args=["cleanup"])
    assert result.exit_code == 0, result.output
    assert not path.exists()
    assert client.get(f"/api/v1/jobs/{job_id}/download", headers=headers).status_code == 404
