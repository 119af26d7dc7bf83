"""Statistics are derived: never sent, recomputed on arrival of facts, compared by verify."""

from comptoir.stats.models import DailyPayment, DailyRevenue, DailyTax, SalesStat
from comptoir.stats.services import stats_derive_credit_notes, stats_derive_invoices
from comptoir.sync.registry import register_derivation, register_derived


def register() -> None:
    register_derivation("sales.invoice", stats_derive_invoices)
    register_derivation("sales.creditnote", stats_derive_credit_notes)
    register_derived(
        SalesStat,
        key=("day", "article_id", "till_id", "cashier"),
        values=("quantity", "revenue_excl_tax", "revenue_incl_tax", "cost"),
    )
    register_derived(
        DailyRevenue,
        key=("day", "till_id"),
        values=(
            "invoice_count",
            "total_excl_tax",
            "total_tax",
            "total_incl_tax",
            "total_cost",
            "credit_note_count",
            "returns_excl_tax",
            "returns_incl_tax",
            "returns_cost",
        ),
    )
    register_derived(
        DailyTax,
        key=("day", "vat_rate"),
        values=("base_excl_tax", "tax", "returns_base_excl_tax", "returns_tax"),
    )
    register_derived(DailyPayment, key=("day", "till_id", "method"), values=("amount", "refunds"))
