"""Use cases of sales: baskets (``drafts``), their pricing (``pricing``), invoice validation
(``invoices``), credit notes (``credit_notes``), payment methods (``payment_methods``)."""

from comptoir.sales.calculations import SaleLine, discount_parse
from comptoir.sales.services.accounts import account_settle
from comptoir.sales.services.credit_notes import ReturnLine, credit_note_issue
from comptoir.sales.services.drafts import (
    MAX_LINES,
    invoice_draft_abandon,
    invoice_draft_add_line,
    invoice_draft_create,
    invoice_draft_park,
    invoice_draft_remove_line,
    invoice_draft_resume,
    invoice_draft_set_customer,
    invoice_draft_set_discount,
    invoice_draft_update_line,
)
from comptoir.sales.services.invoices import invoice_sell, invoice_validate
from comptoir.sales.services.payment_methods import (
    payment_method_create,
    payment_method_update,
)
from comptoir.sales.services.pricing import (
    PaymentInput,
    PricedDraft,
    discount_threshold,
    invoice_draft_price,
)

__all__ = [
    "MAX_LINES",
    "PaymentInput",
    "PricedDraft",
    "ReturnLine",
    "SaleLine",
    "account_settle",
    "credit_note_issue",
    "discount_parse",
    "discount_threshold",
    "invoice_draft_abandon",
    "invoice_draft_add_line",
    "invoice_draft_create",
    "invoice_draft_park",
    "invoice_draft_price",
    "invoice_draft_remove_line",
    "invoice_draft_resume",
    "invoice_draft_set_customer",
    "invoice_draft_set_discount",
    "invoice_draft_update_line",
    "invoice_sell",
    "invoice_validate",
    "payment_method_create",
    "payment_method_update",
]
