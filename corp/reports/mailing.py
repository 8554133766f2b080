"""Send a report to the actor's own e-mail address (the seed's "call detail to e-mail in one
click") through ``core.mail.send_mail``."""

import io

from flask_babel import gettext as _

from core import audit
from core.errors import InvalidInput
from core.mail import MailError, send_mail
from corp.reports import formats
from corp.reports import jobs as report_jobs


def send_report(actor, report_type: str, fmt: str, params: dict) -> str:
    """Build the report as the actor and mail it to the actor; returns the address."""
    report_jobs.validate_request(actor, report_type, fmt, params)
    report = report_jobs.build_report(actor, report_type, params)
    out = io.BytesIO()
    formats.write(report, fmt, out)
    name = formats.filename(report, fmt)
    period = report.period.label() if report.period else ""
    text = "\n".join(x for x in (report.title, report.company, period, *report.notes,
                                 report.scope_note or "") if x)
    try:
        send_mail(actor.email, _("%(title)s — %(company)s", title=report.title,
                                 company=report.company), text,
                  attachments=[(name, formats.MIMETYPES[fmt], out.getvalue())])
    except MailError as error:
        raise InvalidInput({"email": _("The message could not be sent: %(e)s", e=error)}
                           ) from error
    audit.record("report.mail", actor=actor, object_type="report", object_id=report_type,
                 after={"format": fmt, **{k: v for k, v in params.items() if v}})
    return actor.email
