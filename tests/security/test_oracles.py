"""Another company's (or an out-of-scope) object answers exactly like an unknown one."""

import csv
import io

from sqlalchemy import select

from core.extensions import db
from corp.models import BillingAccount
from corp.operations.models import Operation
from corp.validators import luhn_check_digit
from hierarchy import transfer
from tests.factories import make_user, node_named


def _dry_transfer(api, line, number):
    response = api.post("/api/v1/jobs", json={
        "type": "number_transfer", "params": {"billing_account_number": number},
        "line_ids": [line.id], "dry_run": True})
    return response.status_code, response.get_json()


def test_bulk_transfer_dry_run_treats_another_companys_account_as_unknown(admin_api,
                                                                          line_in_sales):
    vector_number = db.session.scalar(select(BillingAccount.number).where(
        BillingAccount.company_id == 2))
    unknown = "0" * (len(vector_number) - 1) + "9"
    theirs = _dry_transfer(admin_api, line_in_sales, vector_number)
    nobody = _dry_transfer(admin_api, line_in_sales, unknown)
    assert theirs[0] == nobody[0] == 422
    assert theirs[1]["errors"] == nobody[1]["errors"]


def test_sim_check_treats_another_companys_sim_as_unknown(admin_api, line_in_sales,
                                                          vector_line):
    iccid18 = "897019900000077777"
    unknown = iccid18 + luhn_check_digit(iccid18)
    theirs = admin_api.op(line_in_sales, "sim_replace", {"iccid": vector_line.iccid})
    assert theirs.status_code == 202, theirs.get_json()
    # The operator refuses to activate a SIM in use elsewhere: the operation fails, plainly.
    operation = db.session.get(Operation, theirs.get_json()["id"])
    assert operation.status == "failed" and vector_line.iccid not in (operation.error or "")
    db.session.expire_all()
    assert line_in_sales.iccid != vector_line.iccid
    nobody = admin_api.op(line_in_sales, "sim_replace", {"iccid": unknown})
    assert nobody.status_code == 202


def _preview(actor, paths):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(transfer.COLUMNS)
    for path in paths:
        writer.writerow([path, "", "", "", "", "", "", "", ""])
    return transfer.import_file(actor, out.getvalue().encode(), "h.csv", dry_run=True)


def test_import_preview_names_no_node_outside_the_scope(app):
    manager = make_user(1, role="administrator", node=node_named(1, "Москва"))
    db.session.commit()
    existing = _preview(manager, ["Казань / ИТ / Тайный / Новый"])
    unknown = _preview(manager, ["Казань / Нет такого / Тайный / Новый"])

    def shape(preview, name):
        return ([(e["row"], e["column"], e["message"].replace(name, "X"))
                 for e in preview["errors"]],
                [c.replace(name, "X") for c in preview["created"]])

    assert shape(existing, "ИТ") == shape(unknown, "Нет такого")
    assert existing["errors"] and not existing["changes"] or existing["error_count"]
