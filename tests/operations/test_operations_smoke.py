"""First end-to-end check of the engine: block and unblock through the API."""

from tests.operations.conftest import reload


def test_block_then_unblock(admin_api, line_in_sales):
    body = admin_api.op(line_in_sales, "block", {"kind": "voluntary"}, status=202).get_json()
    assert body["status"] == "done"
    assert reload(line_in_sales).status == "blocked"
    admin_api.op(line_in_sales, "unblock", status=202)
    assert reload(line_in_sales).status == "active"
