"""Object-level authorization, OWASP style: every endpoint that takes an id × every actor.

Each row names an endpoint (Flask endpoint + method), how to call it on the objects below
(all of ООО «Ромашка», in Казань / ИТ) and the answer each actor must get:

    A  the author / an administrator who may do it      (``ok``: the row's success codes)
    N  same company, may view everything, may change nothing (viewer company-wide)
    S  a scoped user whose scope does not hold the object (sales head of Москва / Продажи)
    O  another company's global administrator
    T  operator staff
    X  anonymous

For every refused actor the test also checks that nothing changed (a digest of every
business table before and after). ``test_every_id_endpoint_is_in_the_table`` walks the URL
map: a new endpoint taking an id fails until it has a row here — add it to ``TABLE``.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from auth.service import issue_token, start_session
from core.db import utcnow
from core.extensions import db
from corp.operations.models import Job, Operation
from hierarchy.models import Node
from roles.models import Assignment, Role, RolePermission
from tests.factories import make_line, make_user, node_named
from tests.operations.conftest import advance_account, tariff

ACTORS = ("A", "N", "S", "O", "T", "X")
UNCHANGED_TABLES = ("lines", "operations", "operation_jobs", "operation_job_items", "users",
                    "roles", "role_permissions", "role_assignments", "hierarchy_nodes",
                    "billing_accounts", "line_services", "line_limits", "sms_messages",
                    "line_forwarding_rules", "promised_payments", "generated_documents",
                    "requests", "request_lines", "request_comments", "request_attachments",
                    "financial_documents", "line_charges", "billing_month_closes",
                    "report_files", "companies", "contracts", "contract_holder_changes")


@dataclass
class Row:
    endpoint: str
    method: str
    url: str  # formatted with the objects: {line} {node} {job} {op} {queued} {account} ...
    expect: str  # six answers for A N S O T X; "ok" = one of ``ok``
    ok: tuple = (200,)
    body: dict | None = None
    form: dict | None = field(default=None)


def _page(endpoint, method, url, expect, ok=(200,), form=None):
    return Row(endpoint, method, url, expect, ok, form=form or {})


def _api(endpoint, method, url, expect, ok=(200,), body=None):
    return Row(endpoint, method, url, expect, ok, body=body)


ONBOARDING = {"name": "ООО «Новый клиент»", "inn": "7707083893", "kpp": "773601001",
              "ogrn": "1027700132195", "contract_number": "OLA-1",
              "admin_email": "boss@new.example", "admin_name": "Босс"}

TABLE = [
    # --- lines
    _api("Lines.get_line", "GET", "/api/v1/lines/{line}", "ok ok 404 404 403 401"),
    _api("Hierarchy.update_employee", "PATCH", "/api/v1/lines/{line}",
         "ok 403 403 404 403 401", body={"name": "Иванов"}),
    _api("Roles.explain_line", "GET", "/api/v1/lines/{line}/access", "ok 403 403 404 403 401"),
    _api("Operations.free_numbers", "GET", "/api/v1/lines/{line}/free-numbers",
         "ok 403 404 404 403 401"),
    _api("Operations.create_line_operation", "POST", "/api/v1/lines/{line}/operations",
         "ok 403 404 404 403 401", ok=(202,),
         body={"type": "sms_send", "params": {"text": "hi"}}),
    _page("corp.line", "GET", "/lines/{line}", "ok ok 404 404 403 302"),
    _page("hierarchy.edit_employee", "GET", "/lines/{line}/employee", "ok 403 403 404 403 302"),
    _page("hierarchy.edit_employee", "POST", "/lines/{line}/employee", "ok 403 403 404 403 302",
          ok=(302,), form={"name": "Петров"}),
    _page("operations.line_operation", "POST", "/lines/{line}/operations",
          "ok 403 404 404 403 302", ok=(302,), form={"type": "sms_send", "text": "hi"}),
    _page("roles.access_line", "GET", "/admin/access/lines/{line}", "ok 403 403 404 403 302"),
    # --- billing accounts
    _api("Operations.create_account_operation", "POST",
         "/api/v1/billing-accounts/{account}/operations", "ok 403 403 404 403 401", ok=(202,),
         body={"type": "bill_delivery_set", "params": {"email": "b@romashka.example"}}),
    _page("operations.account_operation", "POST", "/billing-accounts/{account}/operations",
          "ok 403 403 404 403 302", ok=(302,),
          form={"type": "bill_delivery_set", "email": "b@romashka.example"}),
    # The sales head sees the account (it bills lines of theirs), only with those lines.
    _page("hierarchy.billing_account", "GET", "/hierarchy/billing/accounts/{account}",
          "ok ok ok 404 403 302"),
    # --- nodes
    _api("Hierarchy.update_node", "PATCH", "/api/v1/hierarchy/nodes/{node}",
         "ok 403 403 404 403 401", body={"name": "Новое имя"}),
    _api("Hierarchy.delete_node", "DELETE", "/api/v1/hierarchy/nodes/{node}",
         "ok 403 403 404 403 401", ok=(200, 204)),
    _page("hierarchy.node", "GET", "/hierarchy/nodes/{node}", "ok ok 404 404 403 302"),
    _page("hierarchy.node_children", "GET", "/hierarchy/nodes/{node}/children",
          "ok ok 404 404 403 302"),
    _page("hierarchy.node_lines", "GET", "/hierarchy/nodes/{node}/lines",
          "ok ok 404 404 403 302"),
    _page("hierarchy.edit_node", "POST", "/hierarchy/nodes/{node}/edit",
          "ok 403 403 404 403 302", ok=(302,), form={"name": "Другое"}),
    _page("hierarchy.move_node", "POST", "/hierarchy/nodes/{node}/move",
          "ok 403 403 404 403 302", ok=(302,), form={"parent_id": "{kazan}"}),
    _page("hierarchy.delete_node", "POST", "/hierarchy/nodes/{node}/delete",
          "ok 403 403 404 403 302", ok=(302,)),
    # --- jobs: viewing is not controlling
    _api("Operations.get_job", "GET", "/api/v1/jobs/{job}", "ok ok 404 404 403 401"),
    _api("Operations.cancel_job", "POST", "/api/v1/jobs/{job}/cancel", "ok 403 404 404 403 401"),
    _api("Operations.resume_job", "POST", "/api/v1/jobs/{job}/resume", "ok 403 404 404 403 401",
         ok=(409,)),  # the author passes the access check; the job is not stale
    _api("Operations.job_results", "GET", "/api/v1/jobs/{job}/results.csv",
         "ok 403 404 404 403 401"),
    _page("operations.job", "GET", "/operations/jobs/{job}", "ok ok 404 404 403 302"),
    _page("operations.cancel_job", "POST", "/operations/jobs/{job}/cancel",
          "ok 403 404 404 403 302", ok=(302,)),
    _page("operations.resume_job", "POST", "/operations/jobs/{job}/resume",
          "ok 403 404 404 403 302", ok=(302,)),
    # --- operations; staff see only what is queued for their decision
    _api("Operations.get_operation", "GET", "/api/v1/operations/{op}", "ok ok 404 404 404 401"),
    _api("Operations.approve", "POST", "/api/v1/operations/{queued}/approve",
         "403 403 403 403 ok 401", body={"reason": "ok", "credit_limit": "50000"}),
    _api("Operations.reject", "POST", "/api/v1/operations/{queued}/reject",
         "403 403 403 403 ok 401", body={"reason": "no"}),
    _page("operations.decide", "POST", "/operations/approvals/{queued}",
          "403 403 403 403 ok 302", ok=(302,), form={"decision": "reject", "reason": "no"}),
    # --- roles
    _api("Roles.get_role", "GET", "/api/v1/roles/{role}", "ok 403 403 404 403 401"),
    _api("Roles.update_role", "PATCH", "/api/v1/roles/{role}", "ok 403 403 404 403 401",
         body={"name": "Переименована"}),
    _api("Roles.delete_role", "DELETE", "/api/v1/roles/{role}", "ok 403 403 404 403 401",
         ok=(200, 204)),
    _page("roles.role", "GET", "/admin/roles/{role}", "ok 403 403 404 403 302"),
    _page("roles.role", "POST", "/admin/roles/{role}", "ok 403 403 404 403 302", ok=(302,),
          form={"name": "Роль", "permissions": "lines.view"}),
    _page("roles.role_delete", "POST", "/admin/roles/{role}/delete", "ok 403 403 404 403 302",
          ok=(302,)),
    # --- users and assignments
    _api("Roles.get_user", "GET", "/api/v1/users/{user}", "ok 403 403 404 403 401"),
    _api("Roles.update_user", "PATCH", "/api/v1/users/{user}", "ok 403 403 404 403 401",
         body={"name": "Сидоров"}),
    _api("Roles.explain_user", "GET", "/api/v1/users/{user}/access", "ok 403 403 404 403 401"),
    _api("Roles.list_assignments", "GET", "/api/v1/users/{user}/assignments",
         "ok 403 403 404 403 401"),
    _api("Roles.create_assignment", "POST", "/api/v1/users/{user}/assignments",
         "ok 403 403 404 403 401", ok=(201,), body={"role_id": "{role}", "node_id": None}),
    _api("Roles.delete_assignment", "DELETE", "/api/v1/users/{user}/assignments/{assignment}",
         "ok 403 403 404 403 401", ok=(200, 204)),
    _page("roles.user", "GET", "/admin/users/{user}", "ok 403 403 404 403 302"),
    _page("roles.access_user", "GET", "/admin/access/users/{user}", "ok 403 403 404 403 302"),
    _page("roles.user_edit", "POST", "/admin/users/{user}", "ok 403 403 404 403 302", ok=(302,),
          form={"email": "renamed@romashka.example", "name": "Renamed"}),
    _page("roles.user_active", "POST", "/admin/users/{user}/active", "ok 403 403 404 403 302",
          ok=(302,), form={"active": "0"}),
    _page("roles.assignment_add", "POST", "/admin/users/{user}/assignments",
          "ok 403 403 404 403 302", ok=(302,), form={"role_id": "{role}", "node_id": ""}),
    _page("roles.assignment_delete", "POST", "/admin/users/{user}/assignments/{assignment}/delete",
          "ok 403 403 404 403 302", ok=(302,)),
    # --- own sessions (the object: a browser session of the administrator)
    _api("Account.end_session", "DELETE", "/api/v1/me/sessions/{session}",
         "ok 404 404 404 404 401", ok=(204,)),
    _page("account.end_session", "POST", "/account/sessions/{session}/end",
          "ok 404 404 404 404 302", ok=(302,)),
    # --- forms and generated documents (``requests.manage``; a document is its company's).
    # A form code names a catalogue entry, not a company's object: every company fills it.
    _page("forms.fill", "GET", "/requests/forms/{form}", "ok 403 403 ok 403 302"),
    _page("forms.fill", "POST", "/requests/forms/{form}", "ok 403 403 ok 403 302",
          ok=(200, 422), form={"numbers": "{msisdn}"}),
    _api("Forms.form_pdf", "POST", "/api/v1/forms/{form}/pdf", "ok 403 403 ok 403 401",
         ok=(422,), body={"fields": {}}),  # refused on the empty fields, past the access check
    _page("forms.document_pdf", "GET", "/requests/documents/{document}.pdf",
          "ok 403 403 404 403 302"),
    _api("Forms.document_pdf", "GET", "/api/v1/forms/documents/{document}",
         "ok 403 403 404 403 401"),
    # --- requests to the operator: the company's (within its lines' scope) and operator staff
    _page("requests.send_application", "POST", "/requests/forms/{form}/send",
          "ok 403 403 ok 403 302", ok=(422,), form={"numbers": "{msisdn}"}),
    _page("requests.detail", "GET", "/requests/{request}", "ok 403 403 404 403 302"),
    _page("requests.comment", "POST", "/requests/{request}/comments",
          "ok 403 403 404 403 302", ok=(302,), form={"text": "Ещё вопрос"}),
    _page("requests.attach", "POST", "/requests/{request}/attachments",
          "ok 403 403 404 403 302", ok=(302,), form={}),
    _page("requests.attachment", "GET", "/requests/{request}/attachments/{attachment}",
          "ok 403 403 404 403 302"),
    _page("requests.document", "GET", "/requests/{request}/document",
          "ok 403 403 404 403 302"),
    _api("Requests.get_request", "GET", "/api/v1/requests/{request}", "ok 403 403 404 ok 401"),
    _api("Requests.add_comment", "POST", "/api/v1/requests/{request}/comments",
         "ok 403 403 404 ok 401", ok=(201,), body={"text": "Ещё вопрос"}),
    _api("Requests.transition", "POST", "/api/v1/requests/{request}/transition",
         "403 403 403 403 ok 401", body={"to": "in_progress"}),
    _api("Requests.add_attachment", "POST", "/api/v1/requests/{request}/attachments",
         "ok 403 403 404 ok 401", ok=(422,)),  # no file: past the access check
    _api("Requests.get_attachment", "GET",
         "/api/v1/requests/{request}/attachments/{attachment}", "ok 403 403 404 ok 401"),
    # --- the operator staff workspace: staff only
    _page("staff.detail", "GET", "/staff/requests/{request}", "403 403 403 403 ok 302"),
    _page("staff.transition", "POST", "/staff/requests/{request}/transition",
          "403 403 403 403 ok 302", ok=(302,), form={"to": "in_progress"}),
    _page("staff.comment", "POST", "/staff/requests/{request}/comments",
          "403 403 403 403 ok 302", ok=(302,), form={"text": "Принято"}),
    _page("staff.attach", "POST", "/staff/requests/{request}/attachments",
          "403 403 403 403 ok 302", ok=(302,), form={}),
    _page("staff.attachment", "GET", "/staff/requests/{request}/attachments/{attachment}",
          "403 403 403 403 ok 302"),
    _page("staff.document", "GET", "/staff/requests/{request}/document",
          "403 403 403 403 ok 302"),
    # Onboarding from a connection application: the table's request is a company's question,
    # so staff get past the access check and are refused (back to the request / 409).
    _page("staff.onboard", "GET", "/staff/requests/{request}/onboard",
          "403 403 403 403 ok 302", ok=(302,)),
    _page("staff.onboard", "POST", "/staff/requests/{request}/onboard",
          "403 403 403 403 ok 302", ok=(302,), form=ONBOARDING),
    _api("Requests.onboarding_prefill", "GET", "/api/v1/requests/{request}/onboarding",
         "403 403 403 403 ok 401", ok=(409,)),
    _api("Requests.onboard", "POST", "/api/v1/requests/{request}/onboarding",
         "403 403 403 403 ok 401", ok=(409,), body=ONBOARDING),
    # --- billing: financial documents (``finance.documents``), usage (``reports.view``)
    _page("billing.account_documents", "GET", "/billing/accounts/{account}/documents",
          "ok 403 403 404 403 302"),
    _page("billing.account_statement", "GET", "/billing/accounts/{account}/statement",
          "ok 403 403 404 403 302"),
    _page("billing.document_pdf", "GET", "/billing/documents/{findoc}.pdf",
          "ok 403 403 404 403 302"),
    _page("billing.send_document", "POST", "/billing/documents/{findoc}/send",
          "ok 403 403 404 403 302", ok=(302,)),
    _page("billing.call_detail", "GET", "/lines/{line}/call-detail", "ok ok 403 404 403 302",
          ok=(302,)),  # to the line card's call-detail section
    _api("Billing.account_documents", "GET", "/api/v1/billing-accounts/{account}/documents",
         "ok 403 403 404 403 401"),
    _api("Billing.document_pdf", "GET", "/api/v1/financial-documents/{findoc}/pdf",
         "ok 403 403 404 403 401"),
    _api("Billing.account_statement", "GET", "/api/v1/billing-accounts/{account}/statement",
         "ok 403 403 404 403 401"),
    _api("Billing.line_usage", "GET", "/api/v1/lines/{line}/usage", "ok ok 403 404 403 401"),
    # --- report jobs: the owner's only; another user's job is a 404 like unknown
    _page("reports.job", "GET", "/reports/jobs/{report_job}", "ok 404 403 404 403 302"),
    _page("reports.job_file", "GET", "/reports/jobs/{report_job}/file",
          "ok 404 403 404 403 302"),
    _api("Reports.download", "GET", "/api/v1/jobs/{report_job}/download",
         "ok 404 403 404 403 401"),
    # Charts are of the caller's own scope (the name is a chart, not an object).
    _page("reports.chart", "GET", "/reports/charts/{chart}.svg", "ok ok 403 ok 403 302"),
]


def _row_id(row):
    return f"{row.method} {row.endpoint}"


def test_every_id_endpoint_is_in_the_table(app):
    listed = {(row.endpoint, row.method) for row in TABLE}
    missing = []
    for rule in app.url_map.iter_rules():
        if not (rule.arguments - {"filename", "fmt"}):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (rule.endpoint, method) not in listed:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == [], "endpoints taking an id need a row in TABLE: " + ", ".join(missing)


def _digest() -> str:
    h = hashlib.sha256()
    for table in UNCHANGED_TABLES:
        rows = db.session.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()  # noqa: S608
        h.update(repr([tuple(r) for r in rows]).encode())
    return h.hexdigest()


def _new_package_objects(admin, line, files) -> dict:
    """A generated document, a request (with a comment and an attachment) about ``line``,
    a financial document of the advance account and a finished report job of the admin."""
    from corp.billing.models import FinancialDocument
    from corp.reports.charts import BUILDERS
    from corp.reports.jobs import JOB_TYPE
    from corp.reports.models import ReportFile
    from corp.requests.models import Request, RequestAttachment, RequestComment, RequestLine
    from forms.catalogue import FORMS
    from forms.models import GeneratedDocument

    pdf = b"%PDF-1.4\n% table test\n%%EOF\n"
    document = GeneratedDocument(company_id=1, created_by=admin.id, form_code="table",
                                 form_version="1", number=f"ТЕСТ-{line.id}",
                                 data={"line_ids": [line.id], "lines": []}, line_count=1,
                                 sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), pdf=pdf)
    db.session.add(document)
    db.session.flush()
    item = Request(company_id=1, created_by=admin.id, kind="question", subject="Вопрос",
                   text="Почему?", status="submitted", document_id=document.id,
                   lines=[RequestLine(line_id=line.id)])
    db.session.add(item)
    db.session.flush()
    db.session.add(RequestComment(request_id=item.id, author_id=admin.id, text="Ждём"))
    digest = hashlib.sha256(pdf).hexdigest()
    stored = files / "attachments" / digest[:2] / digest
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(pdf)
    attachment = RequestAttachment(request_id=item.id, uploaded_by=admin.id, filename="a.pdf",
                                   kind="pdf", size=len(pdf), sha256=digest)
    seller = {"name": "ПАО «Оператор»", "inn": "7707083893", "kpp": "770701001",
              "address": "г. Москва"}
    findoc = FinancialDocument(
        company_id=1, billing_account_id=advance_account().id, kind="invoice",
        number=f"СЧ-{line.id}", issued_on=date(2025, 12, 31), period="2025-12",
        vat_rate=Decimal("20"), net_total=Decimal("100.00"), vat_total=Decimal("20.00"),
        total=Decimal("120.00"), seller=seller, buyer={**seller, "name": "ООО «Ромашка»"},
        lines=[{"kind": "subscription", "unit": "усл. ед.", "quantity": 1, "net": "100.00",
                "vat": "20.00", "gross": "120.00"}])
    report_job = Job(company_id=1, type=JOB_TYPE, params={"report": "lines", "format": "csv",
                                                         "params": {}},
                     selection={}, requested_by=admin.id, status="done", total=100, done=100)
    db.session.add_all([attachment, findoc, report_job])
    db.session.flush()
    report = files / "reports" / f"report-{report_job.id}.csv"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("msisdn\n")
    db.session.add(ReportFile(job_id=report_job.id, company_id=1, owner_id=admin.id,
                              report="lines", format="csv", filename="lines.csv",
                              mimetype="text/csv", path=str(report), size=7,
                              expires_at=utcnow() + timedelta(hours=1)))
    db.session.flush()
    return {"form": next(code for code, spec in FORMS.items() if not spec.guide),
            "document": document.id, "request": item.id, "attachment": attachment.id,
            "findoc": findoc.id, "msisdn": line.msisdn, "report_job": report_job.id,
            "chart": next(iter(BUILDERS))}


@pytest.fixture(autouse=True)
def files(app, tmp_path):
    """Attachments, reports and mail of the table's objects live in this test's folder."""
    app.config["REQUEST_ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    app.config["REPORT_FILES_DIR"] = str(tmp_path / "reports")
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    app.config["OPERATIONS_EXECUTOR"] = "eager"
    return tmp_path


def _objects(users, job_author, files):
    kazan = node_named(1, "Казань")
    kazan_it = node_named(1, "Казань", "ИТ")
    line = make_line(1, kazan_it, tariff=tariff("biz_max"), billing_account=advance_account())
    node = Node(company_id=1, parent_id=kazan_it.id, name="Пустой отдел", kind="department",
                depth=kazan_it.depth + 1)
    db.session.add(node)
    db.session.flush()
    node.path = f"{kazan_it.path}{node.id}/"
    user = make_user(1, role="viewer", node=kazan_it)
    assignment = db.session.scalar(select(Assignment).where(Assignment.user_id == user.id))
    role = Role(company_id=1, name="Временная роль")
    db.session.add(role)
    db.session.flush()
    db.session.add(RolePermission(role_id=role.id, permission="lines.view"))
    admin = users["admin"]
    op = Operation(company_id=1, type="sms_send", params={"text": "secret"}, line_id=line.id,
                   requested_by=admin.id, status="done")
    queued = Operation(company_id=1, type="settlement_method_set", params={"method": "credit"},
                       billing_account_id=advance_account().id, requested_by=admin.id,
                       status="awaiting_operator")
    job = Job(company_id=1, type="block", params={"kind": "voluntary"}, selection={},
              requested_by=job_author.id, status="pending", total=1)
    db.session.add_all([op, queued, job])
    db.session.flush()
    from corp.operations.models import JobItem

    db.session.add(JobItem(job_id=job.id, line_id=line.id, msisdn=line.msisdn,
                           status="pending"))
    from roles.access import bump_policy_version

    bump_policy_version(1)
    from auth.sessions import session_public_id

    admin_session = start_session(admin)
    new = _new_package_objects(admin, line, files)
    db.session.commit()
    return {**new, "session": session_public_id(admin_session.id),
            "line": line.id, "node": node.id, "kazan": kazan.id, "user": user.id,
            "assignment": assignment.id, "role": role.id, "op": op.id, "queued": queued.id,
            "job": job.id, "account": advance_account().id}


def _fill(value, objects):
    if isinstance(value, str):
        return value.format(**objects)
    if isinstance(value, dict):
        out = {k: _fill(v, objects) for k, v in value.items()}
        return {k: int(v) if isinstance(v, str) and v.isdigit() and k.endswith("_id") else v
                for k, v in out.items()}
    return value


def _client(app, user, api: bool):
    client = app.test_client()
    if user is None:
        return client, {}
    if api:
        token, _row = issue_token(user)
        db.session.commit()
        return client, {"Authorization": f"Bearer {token}"}
    session = start_session(user)
    db.session.commit()
    with client.session_transaction() as flask_session:
        flask_session["sid"] = session.id
    return client, {}


@pytest.mark.parametrize("row", TABLE, ids=_row_id)
def test_object_access(app, users, row, files):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    viewer = make_user(1, role="viewer")
    actors = {"A": users["admin"], "N": viewer, "S": users["sales_head"],
              "O": users["vector_admin"], "T": users["staff"], "X": None}
    objects = _objects(users, users["admin"], files)
    url = _fill(row.url, objects)
    api = url.startswith("/api/")
    expected = dict(zip(ACTORS, row.expect.split(), strict=True))
    # Refused actors first (nothing may change), the allowed ones last.
    order = sorted(ACTORS, key=lambda a: expected[a] == "ok")
    for actor in order:
        client, headers = _client(app, actors[actor], api)
        before = _digest()
        kwargs = {"headers": headers}
        if row.body is not None:
            kwargs["json"] = _fill(row.body, objects)
        if row.form is not None and row.method != "GET":
            kwargs["data"] = _fill(row.form, objects)
        response = client.open(url, method=row.method, **kwargs)
        db.session.rollback()
        db.session.expire_all()
        want = expected[actor]
        got = response.status_code
        if want == "ok":
            assert got in row.ok, f"{actor}: {got} {response.data[:300]!r}"
            continue
        assert got == int(want), f"{actor}: {got} {response.data[:300]!r}"
        if want == "302":
            assert "/login" in response.location, response.location
        assert _digest() == before, f"{actor} changed something through {row.method} {url}"


def test_table_objects_are_what_they_claim(app, users, files):
    """The rows' objects sit outside the scoped user's scope and inside the company."""
    objects = _objects(users, users["admin"], files)
    job = db.session.get(Job, objects["job"])
    assert job.company_id == 1 and job.requested_by == users["admin"].id
    node = db.session.get(Node, objects["node"])
    assert node.path.startswith(node_named(1, "Казань").path)


# A scoped user who holds every permission of these rows (administrator of Москва / Продажи):
# the table's S lacks them, so this is where the scope check of the loaders is exercised.
SCOPED_404 = [row for row in TABLE
              if any(f"{{{name}}}" in row.url for name in
                     ("document", "request", "findoc", "account", "line", "report_job"))
              and not row.endpoint.startswith(("staff.", "Requests.transition",
                                               "Requests.onboard", "Lines.",
                                               "Hierarchy.", "Roles.", "Operations.",
                                               "operations.", "hierarchy.", "roles.", "corp."))]


def test_scoped_rows_cover_the_new_packages():
    endpoints = {row.endpoint for row in SCOPED_404}
    assert {"requests.detail", "Requests.get_attachment", "forms.document_pdf",
            "billing.document_pdf", "Billing.line_usage", "Reports.download"} <= endpoints


@pytest.mark.parametrize("row", SCOPED_404, ids=_row_id)
def test_scoped_user_with_the_permission_gets_404_outside_scope(app, users, row, files):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    scoped = make_user(1, role="administrator", node=node_named(1, "Москва", "Продажи"))
    objects = _objects(users, users["admin"], files)
    url = _fill(row.url, objects)
    client, headers = _client(app, scoped, url.startswith("/api/"))
    before = _digest()
    kwargs = {"headers": headers}
    if row.body is not None:
        kwargs["json"] = _fill(row.body, objects)
    if row.form is not None and row.method != "GET":
        kwargs["data"] = _fill(row.form, objects)
    response = client.open(url, method=row.method, **kwargs)
    db.session.rollback()
    db.session.expire_all()
    assert response.status_code == 404, response.data[:300]
    assert _digest() == before
