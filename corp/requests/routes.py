"""Registration of the requests package: pages, API, menu, labels, the operations hook."""

from flask_babel import lazy_gettext as _l

from core.ui import NavItem, add_nav_item
from corp.operations import signals
from corp.requests import api as requests_api
from corp.requests import service, views
from forms.catalogue import CONSENT_ACTIONS

STATUS_LABELS = {
    "submitted": _l("submitted"),
    "in_progress": _l("in progress"),
    "done": _l("done"),
    "rejected": _l("rejected"),
}
KIND_LABELS = {"claim": _l("claim"), "application": _l("application"),
               "question": _l("question")}


def register(app, api, csrf) -> None:
    """Called by ``app.register_blueprints`` when this package is present."""
    app.register_blueprint(views.bp)
    api.register_blueprint(requests_api.blp)
    csrf.exempt(requests_api.blp)
    add_nav_item(NavItem("requests.index", _l("Requests"), "requests.manage"))
    # The credit settlement method waits for the operator through a request (weak=False:
    # module-level functions, connected once however many apps a process builds).
    signals.awaiting_operator.connect(service.file_credit_settlement_request, weak=False)
    signals.operator_decided.connect(service.operation_decided, weak=False)
    app.context_processor(lambda: {
        "request_status_label": lambda s: str(STATUS_LABELS.get(s, s)),
        "request_kind_label": lambda k: str(KIND_LABELS.get(k, k)),
        "consent_label": lambda a: str(CONSENT_ACTIONS.get(a, a)),
    })
