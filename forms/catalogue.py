"""The 22 documents of «Обращения» → «Скачать инструкции и бланки заявлений», as data.

Each form names its fields (type, required, where the portal prefills it from), whether it
lists lines (and which columns), who uses it and why. The web form, the API, validation
and the PDF all read this one description. ``FORM_VERSION`` goes into every generated
document's record: bump a form's ``version`` when its fields or layout change.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

FIELD_TYPES = (
    "text", "textarea", "date", "inn", "inn12", "kpp", "ogrn", "ogrnip", "bik",
    "bank_account", "corr_account", "email", "phone", "msisdn", "iccid",
    "billing_account", "choice", "money", "integer", "checkbox",
)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form: name, label, type, whether required, the prefill source."""

    name: str
    label: object
    type: str = "text"
    required: bool = False
    prefill: str | None = None  # a key of forms.service.portal_facts()
    choices: tuple = ()  # (value, label) pairs for "choice"
    free_text: bool = False  # typed by a person: printed literally, tested for injection

    def __post_init__(self):
        if self.type not in FIELD_TYPES:
            raise ValueError(f"unknown field type {self.type!r}")


@dataclass(frozen=True)
class FormSpec:
    """One document of the catalogue."""

    code: str
    title: object
    purpose: object
    audience: object
    fields: tuple = ()
    lines: str | None = None  # None, "optional" or "required"
    line_columns: tuple = ("msisdn", "iccid", "employee_name")
    company_block: bool = True  # the applicant's details (company, bank, contact, signatory)
    consent_action: str | None = None  # run on the operator's approval of the request
    version: str = "2026.1"
    guide: bool = False  # generated guide, not a form
    extra: dict = field(default_factory=dict)


def F(name, label, type="text", required=False, prefill=None, choices=(), free_text=None):
    """Shorthand for a field; text and textarea fields count as free text."""
    if free_text is None:
        free_text = type in ("text", "textarea")
    return FieldSpec(name, label, type, required, prefill, tuple(choices), free_text)


# --- The applicant's details, prefilled from the company record, on every form ------------

COMPANY_FIELDS = (
    F("company_name", _l("Company name"), required=True, prefill="company_name"),
    F("inn", _l("INN"), "inn", True, "inn"),
    F("kpp", _l("KPP"), "kpp", False, "kpp"),
    F("ogrn", _l("OGRN"), "ogrn", True, "ogrn"),
    F("legal_address", _l("Legal address"), required=True, prefill="legal_address"),
    F("postal_address", _l("Postal address"), prefill="postal_address"),
    F("bank_name", _l("Bank"), prefill="bank_name"),
    F("bik", _l("BIK"), "bik", False, "bik"),
    F("bank_account", _l("Settlement account"), "bank_account", False, "bank_account"),
    F("correspondent_account", _l("Correspondent account"), "corr_account", False,
      "correspondent_account"),
    F("contract_number", _l("Contract number"), prefill="contract_number"),
    F("contract_date", _l("Contract date"), "date", False, "contract_date"),
    F("contact_name", _l("Contact person"), required=True, prefill="contact_name"),
    F("contact_phone", _l("Contact phone"), "phone", False, "contact_phone"),
    F("contact_email", _l("Contact e-mail"), "email", False, "contact_email"),
)

SIGNATURE_FIELDS = (
    F("signatory_name", _l("Signatory (full name)"), required=True, prefill="signatory_name"),
    F("signatory_position", _l("Signatory's position"), required=True,
      prefill="signatory_position"),
    F("authority_basis", _l("Acting on the basis of"), required=True, prefill="authority_basis"),
    F("place", _l("Place"), required=True, prefill="place"),
    F("document_date", _l("Date"), "date", True, "today"),
)

# --- Fields that several forms ask alike (one description each) ------------------------------

REASON = F("reason", _l("Reason"), "textarea")
COMMENT = F("comment", _l("Comment"), "textarea")
EFFECTIVE_DATE = F("effective_date", _l("Effective date"), "date", True, "today")
BILLING_ACCOUNT = F("billing_account", _l("Billing account"), "billing_account", True,
                    "first_billing_account")
# Who acts for the company under a power of attorney, with what powers, until when.
REPRESENTATIVE_FIELDS = (
    F("representative_name", _l("Representative (full name)"), required=True),
    F("representative_passport", _l("Representative's passport"), required=True),
    F("powers", _l("Powers granted"), "textarea", True),
    F("valid_until", _l("Valid until"), "date", True),
)
# The legal entity a contract passes to.
NEW_HOLDER_FIELDS = (
    F("new_holder_name", _l("New holder (company name)"), required=True),
    F("new_holder_inn", _l("New holder's INN"), "inn", True),
)

YES_NO = (("yes", _l("yes")), ("no", _l("no")))

LINE_COLUMN_LABELS = {
    "msisdn": _l("Number"),
    "iccid": _l("ICCID"),
    "employee_name": _l("Employee"),
    "employee_position": _l("Position"),
    "personnel_number": _l("Personnel no."),
    "node": _l("Department"),
    "tariff": _l("Tariff"),
    "billing_account": _l("Billing account"),
}
USERS_COLUMNS = ("msisdn", "iccid", "employee_name", "employee_position", "personnel_number",
                 "node", "tariff", "billing_account")

FORMS: dict[str, FormSpec] = {}


def _add(spec: FormSpec) -> None:
    FORMS[spec.code] = spec


_add(FormSpec(
    "admin_guide", _l("Global administrator's instructions"),
    _l("A guide to this portal for the company's global administrator: menu, roles, "
       "permissions, operations and forms."),
    _l("Global administrator"), guide=True, company_block=True,
))
_add(FormSpec(
    "connection", _l("Application for connection"),
    _l("Connect the company to corporate mobile service and to Virtual Manager."),
    _l("A new corporate customer"),
    fields=(
        F("lines_count", _l("Number of lines to connect"), "integer", True),
        F("tariff", _l("Requested tariff"), "choice", True, "default_tariff"),
        F("admin_email", _l("E-mail of the Virtual Manager global administrator"), "email",
          True, "contact_email"),
        F("delivery_address", _l("SIM delivery address"), required=True,
          prefill="postal_address"),
    ),
))
_add(FormSpec(
    "port_out", _l("Application of a company to move to another operator keeping the number"),
    _l("Port numbers of the company to another operator (mobile number portability)."),
    _l("Global administrator, administrator"),
    fields=(
        F("recipient_operator", _l("Recipient operator"), required=True),
        F("porting_date", _l("Desired porting date"), "date", True),
        F("debt_settled", _l("No debt on the billing accounts"), "checkbox", True),
    ),
    lines="required", consent_action="number_port_out",
))
_add(FormSpec(
    "port_out_refusal", _l("Application of a company withdrawing a number porting request"),
    _l("Withdraw an earlier request to port numbers to another operator."),
    _l("Global administrator, administrator"),
    fields=(
        F("original_request_date", _l("Date of the porting request"), "date", True),
        REASON,
    ),
    lines="required",
))
_add(FormSpec(
    "port_in_date_change", _l("Application to move the date of porting to the operator"),
    _l("Change the date on which numbers ported from another operator move here."),
    _l("Global administrator, administrator"),
    fields=(
        F("donor_operator", _l("Donor operator"), required=True),
        F("current_date", _l("Currently planned date"), "date", True),
        F("new_date", _l("New date"), "date", True),
    ),
    lines="required",
))
_add(FormSpec(
    "general_poa", _l("General power of attorney form"),
    _l("Authorise a representative to act for the company before the operator."),
    _l("Global administrator"),
    fields=(
        *REPRESENTATIVE_FIELDS,
    ),
))
_add(FormSpec(
    "sole_proprietor_poa", _l("Power of attorney for a sole proprietor"),
    _l("A sole proprietor authorises a representative before the operator."),
    _l("Sole proprietors"),
    fields=(
        F("proprietor_name", _l("Sole proprietor (full name)"), required=True),
        F("proprietor_inn", _l("Sole proprietor's INN"), "inn12", True),
        F("proprietor_ogrnip", _l("OGRNIP"), "ogrnip", True),
        *REPRESENTATIVE_FIELDS,
    ),
))
_add(FormSpec(
    "own_circle_join", _l("Application to join the «Own circle» programme"),
    _l("Free calls between the company's numbers: add numbers to the programme."),
    _l("Global administrator, administrator"),
    fields=(F("start_date", _l("Start date"), "date", True),),
    lines="required",
))
_add(FormSpec(
    "own_circle_leave", _l("Application to leave the «Own circle» programme"),
    _l("Remove numbers (or the whole company) from the «Own circle» programme."),
    _l("Global administrator, administrator"),
    fields=(
        F("end_date", _l("End date"), "date", True),
        F("whole_company", _l("The whole company leaves"), "checkbox"),
    ),
    lines="optional",
))
_add(FormSpec(
    "contract_reregistration", _l("Contract re-registration"),
    _l("Transfer the contract, its numbers and billing accounts to another legal entity."),
    _l("Global administrator"),
    fields=(
        *NEW_HOLDER_FIELDS,
        F("new_holder_kpp", _l("New holder's KPP"), "kpp"),
        F("new_holder_ogrn", _l("New holder's OGRN"), "ogrn", True),
        F("new_holder_legal_address", _l("New holder's legal address"), required=True),
        F("new_holder_postal_address", _l("New holder's postal address")),
        F("new_holder_bank_name", _l("New holder's bank")),
        F("new_holder_bik", _l("New holder's BIK"), "bik"),
        F("new_holder_bank_account", _l("New holder's settlement account"), "bank_account"),
        F("new_holder_correspondent_account", _l("New holder's correspondent account"),
          "corr_account"),
        F("new_holder_signatory_name", _l("New holder's signatory (full name)"),
          required=True),
        F("new_holder_signatory_position", _l("New holder's signatory's position"),
          required=True),
        F("new_holder_authority_basis", _l("New holder's signatory acts on the basis of"),
          required=True),
        F("transfer_date", _l("Transfer date"), "date", True),
        REASON,
    ),
    consent_action="contract_reregistration", version="2026.2",
))
_add(FormSpec(
    "transfer_cover_letter",
    _l("Cover letter to the act of transfer of rights and obligations under the contract"),
    _l("Accompanies the signed act when the contract passes to a new holder."),
    _l("Global administrator"),
    fields=(
        *NEW_HOLDER_FIELDS,
        F("act_number", _l("Act number"), required=True),
        F("act_date", _l("Act date"), "date", True),
        COMMENT,
    ),
))
_add(FormSpec(
    "tariff_services_change",
    _l("Application to change the tariff and connect or disconnect services, roaming included"),
    _l("Change the tariff and services of the listed numbers."),
    _l("Users with tariff and services permissions"),
    fields=(
        F("new_tariff", _l("New tariff"), "choice", False, "default_tariff"),
        F("services_connect", _l("Services to connect"), "textarea"),
        F("services_disconnect", _l("Services to disconnect"), "textarea"),
        F("roaming", _l("International roaming"), "choice", True,
          choices=(("unchanged", _l("unchanged")), ("on", _l("connect")),
                   ("off", _l("disconnect")))),
        EFFECTIVE_DATE,
    ),
    lines="required", line_columns=("msisdn", "employee_name", "tariff"),
))
_add(FormSpec(
    "service_maintenance",
    _l("Application for service maintenance (Virtual Manager, bill delivery, service by e-mail)"),
    _l("Connect Virtual Manager, set bill delivery and service by e-mail."),
    _l("Global administrator, accountant"),
    fields=(
        F("virtual_manager", _l("Virtual Manager"), "checkbox"),
        BILLING_ACCOUNT,
        F("bill_delivery_email", _l("Bill delivery e-mail"), "email", False, "contact_email"),
        F("bill_delivery_address", _l("Bill delivery postal address"),
          prefill="postal_address"),
        F("service_email", _l("E-mail for service by e-mail"), "email", False, "contact_email"),
    ),
))
_add(FormSpec(
    "data_change", _l("Application to change data (about the company, the contact person)"),
    _l("Tell the operator about new company details or a new contact person."),
    _l("Global administrator"),
    fields=(
        F("changes", _l("What changes (old → new)"), "textarea", True),
        F("new_contact_name", _l("New contact person")),
        F("new_contact_phone", _l("New contact phone"), "phone"),
        F("new_contact_email", _l("New contact e-mail"), "email"),
        EFFECTIVE_DATE,
    ),
))
_add(FormSpec(
    "financial_documents", _l("Application to receive financial documents"),
    _l("Order copies of invoices, acts, VAT invoices and reconciliation statements."),
    _l("Accountant"),
    fields=(
        BILLING_ACCOUNT,
        F("period_from", _l("Period from"), "date", True),
        F("period_to", _l("Period to"), "date", True),
        F("documents", _l("Documents"), "textarea", True),
        F("delivery", _l("Delivery"), "choice", True,
          choices=(("email", _l("by e-mail")), ("post", _l("by post")),
                   ("office", _l("at the office")))),
    ),
))
_add(FormSpec(
    "credit_settlement", _l("Application for the credit settlement method"),
    _l("Move a billing account to credit (postpaid) settlement; the operator decides."),
    _l("Global administrator, accountant"),
    fields=(
        BILLING_ACCOUNT,
        F("credit_limit", _l("Requested credit limit, ₽"), "money"),
        F("justification", _l("Justification"), "textarea"),
    ),
))
_add(FormSpec(
    "erroneous_payments", _l("Application about erroneous payments"),
    _l("Move a payment made to the wrong billing account, or return it."),
    _l("Accountant"),
    fields=(
        F("payment_date", _l("Payment date"), "date", True),
        F("payment_order", _l("Payment order number"), required=True),
        F("amount", _l("Amount, ₽"), "money", True),
        F("paid_to_account", _l("Paid to billing account"), "text", True),
        F("correct_account", _l("Correct billing account"), "billing_account", False,
          "first_billing_account"),
        F("explanation", _l("Explanation"), "textarea"),
    ),
))
_add(FormSpec(
    "accounts_merge_split", _l("Application to merge or split billing accounts"),
    _l("Merge several billing accounts into one, or move lines to a new account."),
    _l("Global administrator, accountant"),
    fields=(
        F("action", _l("Action"), "choice", True,
          choices=(("merge", _l("merge")), ("split", _l("split")))),
        F("source_accounts", _l("Billing accounts concerned"), "textarea", True,
          "billing_accounts"),
        F("target_account", _l("Resulting billing account"), "billing_account", False,
          "first_billing_account"),
    ),
    lines="optional", line_columns=("msisdn", "employee_name", "billing_account"),
))
_add(FormSpec(
    "number_sim_change",
    _l("Application to change the number, restore service on the former number and replace "
       "the SIM card"),
    _l("Change numbers, restore a former number, or replace lost or damaged SIM cards."),
    _l("Users with number change or SIM replacement permissions"),
    fields=(
        F("action", _l("Action"), "choice", True,
          choices=(("sim_replace", _l("replace the SIM card")),
                   ("number_change", _l("change the number")),
                   ("restore", _l("restore the former number")))),
        F("new_iccid", _l("New SIM card (ICCID)"), "iccid"),
        REASON,
    ),
    lines="required",
))
_add(FormSpec(
    "claim", _l("Claim form"),
    _l("A formal claim (претензия) about service quality or charges."),
    _l("Global administrator, accountant"),
    fields=(
        F("claim_subject", _l("Subject of the claim"), required=True),
        F("claim_text", _l("Circumstances and demands"), "textarea", True),
        F("amount", _l("Amount claimed, ₽"), "money"),
        F("billing_account", _l("Billing account"), "billing_account", False,
          "first_billing_account"),
    ),
    lines="optional",
))
_add(FormSpec(
    "users_info",
    _l("Information about your company's users connected to corporate service"),
    _l("The list of employees and their numbers, SIM cards and tariffs."),
    _l("Global administrator, administrator"),
    fields=(COMMENT,),
    lines="required", line_columns=USERS_COLUMNS,
))
_add(FormSpec(
    "termination", _l("Application to terminate the contract"),
    _l("Terminate the contract and every line on it; the operator confirms."),
    _l("Global administrator"),
    fields=(
        F("termination_date", _l("Termination date"), "date", True),
        REASON,
        F("refund_details", _l("Refund of the remaining balance to"), "textarea", False,
          "bank_details"),
    ),
    consent_action="contract_termination",
))

assert len(FORMS) == 22, len(FORMS)

# Forms whose request the operator has to approve before anything changes, and the credit
# settlement method (an account operation that files its request with this form).
CONSENT_ACTIONS = {
    "number_port_out": _l("Port numbers to another operator"),
    "contract_termination": _l("Terminate the contract"),
    "contract_reregistration": _l("Re-register the contract"),
    "settlement_credit": _l("Credit settlement method"),
}


def get_form(code: str) -> FormSpec | None:
    """The form of this code, or None."""
    return FORMS.get(code)


def all_fields(spec: FormSpec) -> tuple:
    """The form's fields in print order: the applicant's details, its own, the signature."""
    if spec.guide:
        return ()
    base = COMPANY_FIELDS if spec.company_block else ()
    return base + spec.fields + SIGNATURE_FIELDS
