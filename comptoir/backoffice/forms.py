"""Forms of the back office. They only collect text: the services validate and convert
(amounts, quantities, VAT, SIREN...) and their French messages are shown as form errors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, TypeVar, cast
from uuid import UUID

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comptoir.catalogue.models import Article, Barcode, Category, Supplier
from comptoir.catalogue.selectors import supplier_twins
from comptoir.catalogue.services import parse_price, parse_vat_rate
from comptoir.lib.errors import ComptoirError
from comptoir.lib.money import format_amount
from comptoir.lib.quantity import format_quantity, parse_quantity
from comptoir.lib.validators import clean_barcode, clean_code, clean_contact_fields, clean_name
from comptoir.printing.config import ENCODINGS, WIDTHS
from comptoir.printing.models import PrinterKind
from comptoir.stores.models import Store, Till

MAX_IMPORT_BYTES = 20 * 1024 * 1024
T = TypeVar("T")


def decimal_text(value: object) -> str:
    """``3.90`` as a French user types it: ``3,90``."""
    return str(value).replace(".", ",")


def supplier_choices(blank: str | None) -> list[tuple[str, str]]:
    """The active suppliers by name, each valued by its id: twins (one code on two rows,
    created on two offline tills) must each be the one that is chosen. A twin's label says
    when it was created, and its id's end if that is not enough to tell it apart."""
    suppliers = list(Supplier.objects.filter(archived=False).order_by("name", "code", "id"))
    twins = supplier_twins(suppliers=suppliers)
    labels = {s.pk: _supplier_label(s, twin=s.pk in twins) for s in suppliers}
    alike = Counter(labels.values())
    for pk, text in labels.items():
        if alike[text] > 1:
            labels[pk] = f"{text} #{pk.hex[-6:]}"
    choices = [(str(s.pk), labels[s.pk]) for s in suppliers]
    return choices if blank is None else [("", blank), *choices]


def _supplier_label(supplier: Supplier, *, twin: bool) -> str:
    if not twin:
        return f"{supplier.name} ({supplier.code})"
    created = _created_at(supplier.pk)
    if created is None:
        return f"{supplier.name} ({supplier.code})"
    return gettext("%(name)s (%(code)s, créé le %(when)s)") % {
        "name": supplier.name,
        "code": supplier.code,
        "when": date_format(timezone.localtime(created), "SHORT_DATETIME_FORMAT"),
    }


def _created_at(pk: UUID) -> datetime | None:
    """When a row was created, read from its UUIDv7 id (milliseconds since the epoch)."""
    if pk.version != 7:
        return None
    return datetime.fromtimestamp((pk.int >> 80) / 1000, tz=UTC)


def store_choices(stores: QuerySet[Store] | None = None) -> list[tuple[str, str]]:
    """The active stores by name (of ``stores`` if given: those an account sees)."""
    qs = Store.objects.filter(archived=False) if stores is None else stores
    return [(name, name) for name in qs.values_list("name", flat=True)]


NEW_CATEGORY = "__new__"


def category_choices(current: str = "") -> list[tuple[str, str]]:
    """No category, the active categories by name (one entry per name: twins created on two
    offline tills are one category to whoever types it), the article's own even if
    archived, and the explicit choice of creating one."""
    names = list(
        dict.fromkeys(
            Category.objects.filter(archived=False).order_by("name").values_list("name", flat=True)
        )
    )
    if current and current not in names:
        names.append(current)
    return [
        ("", str(_("(aucune)"))),
        *((name, name) for name in names),
        (NEW_CATEGORY, str(_("Nouvelle catégorie…"))),
    ]


def _field_error(check: Callable[[], T]) -> T:
    """A service's validator run on one field: its French refusal becomes that field's error,
    so that every field in error is shown at once (the service stops at the first)."""
    try:
        return check()
    except ComptoirError as exc:
        raise forms.ValidationError(exc.message) from None


class ArticleForm(forms.Form):
    """Each field is checked by the validator the catalogue's services use, so that all the
    errors of a submission show together; the service checks everything again on save."""

    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Désignation"), max_length=200)
    sale_price = forms.CharField(
        label=_("Prix de vente TTC"), max_length=20, help_text=_("Par exemple 3,90")
    )
    vat_rate = forms.CharField(label=_("Taux de TVA (%)"), max_length=8, initial="20")
    cost = forms.CharField(
        label=_("Prix de revient HT"), max_length=20, initial="0", required=False
    )
    unit = forms.ChoiceField(label=_("Unité"), choices=Article.Unit.choices, initial="piece")
    alert_threshold = forms.CharField(
        label=_("Seuil d'alerte de stock"),
        max_length=20,
        initial="0",
        required=False,
        help_text=_("L'article est signalé quand son stock passe à ce niveau ou en dessous."),
    )
    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    new_category = forms.CharField(
        label=_("Nom de la nouvelle catégorie"),
        max_length=120,
        required=False,
        help_text=_("Avec le choix « Nouvelle catégorie… »."),
    )
    supplier = forms.TypedChoiceField(
        label=_("Fournisseur"), required=False, coerce=UUID, empty_value=""
    )
    barcodes = forms.CharField(
        label=_("Codes-barres à ajouter"),
        max_length=400,
        required=False,
        help_text=_("Séparés par des espaces."),
    )
    remove_barcodes = forms.MultipleChoiceField(
        label=_("Codes-barres à retirer"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, article: Article | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.article = article
        choices = supplier_choices(str(_("(aucun)")))
        # An archived supplier stays offered to the article that has it: absent from the
        # list, it would be dropped by the next edit of any other field.
        current = self.initial.get("supplier")
        if current and current not in dict(choices):
            supplier = Supplier.objects.filter(pk=current).first()
            if supplier is not None:
                label = gettext("%(name)s (%(code)s, archivé)")
                choices.append((current, label % {"name": supplier.name, "code": supplier.code}))
        cast(forms.ChoiceField, self.fields["supplier"]).choices = choices
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices(
            self.initial.get("category", "")
        )
        codes: list[str] = []
        if article is not None:
            # The code identifies the article everywhere (tills, sync, receipts): fixed.
            self.fields["code"].disabled = True
            codes = list(
                article.barcodes.filter(archived=False)
                .order_by("code")
                .values_list("code", flat=True)
            )
        if codes:
            cast(forms.ChoiceField, self.fields["remove_barcodes"]).choices = [
                (c, c) for c in codes
            ]
        else:
            del self.fields["remove_barcodes"]

    def clean_code(self) -> str:
        code = _field_error(lambda: clean_code(self.cleaned_data["code"], what=gettext("article")))
        if self.article is None and Article.objects.filter(code=code).exists():
            raise forms.ValidationError(
                gettext("Un article porte déjà le code « %(code)s ».") % {"code": code}
            )
        return code

    def clean_name(self) -> str:
        return _field_error(lambda: clean_name(self.cleaned_data["name"]))

    def clean_sale_price(self) -> str:
        value = self.cleaned_data["sale_price"]
        _field_error(lambda: parse_price(value, what=gettext("Le prix de vente")))
        return value

    def clean_vat_rate(self) -> str:
        value = self.cleaned_data["vat_rate"]
        _field_error(lambda: parse_vat_rate(value))
        return value

    def clean_cost(self) -> str:
        value = self.cleaned_data["cost"] or "0"
        _field_error(lambda: parse_price(value, what=gettext("Le prix de revient")))
        return value

    def clean_barcodes(self) -> str:
        value = self.cleaned_data["barcodes"]
        codes = [_field_error(partial(clean_barcode, code)) for code in value.split()]
        taken = Barcode.objects.filter(code__in=codes, archived=False).select_related("article")
        if self.article is not None:
            taken = taken.exclude(article=self.article)
        for barcode in taken.order_by("id"):
            raise forms.ValidationError(
                gettext("Le code-barres « %(code)s » est déjà celui de l'article %(article)s.")
                % {"code": barcode.code, "article": barcode.article.code}
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        threshold, unit = cleaned.get("alert_threshold") or "0", cleaned.get("unit")
        if unit:
            try:
                parse_quantity(threshold, unit=unit, allow_zero=True)
            except ComptoirError as exc:
                self.add_error("alert_threshold", exc.message)
        category, new = cleaned.get("category"), (cleaned.get("new_category") or "").strip()
        if category == NEW_CATEGORY:
            if not new:
                self.add_error("new_category", gettext("Donnez le nom de la nouvelle catégorie."))
            else:
                try:
                    cleaned["category"] = clean_name(new, max_length=120)
                except ComptoirError as exc:
                    self.add_error("new_category", exc.message)
        elif new:
            # A name typed without the choice would be lost silently: say it.
            self.add_error(
                "new_category",
                gettext("Pour créer cette catégorie, choisissez « Nouvelle catégorie… »."),
            )
        return cleaned

    @staticmethod
    def initial_for(article: Article) -> dict[str, str]:
        currency = settings.COMPTOIR_CURRENCY
        return {
            "code": article.code,
            "name": article.name,
            "sale_price": decimal_text(format_amount(article.sale_price, currency)),
            # Fixed-point: normalize() alone writes 20 % as "2E+1".
            "vat_rate": decimal_text(format(article.vat_rate.normalize(), "f")),
            "cost": decimal_text(format_amount(article.cost, currency)),
            "unit": article.unit,
            "alert_threshold": decimal_text(format_quantity(article.alert_threshold)),
            "category": article.category.name if article.category else "",
            "supplier": str(article.supplier_id) if article.supplier_id else "",
            "barcodes": "",
        }


class ContactForm(forms.Form):
    """A customer or a supplier: the same contact fields, checked by the services."""

    code = forms.CharField(label=_("Code"), max_length=40, required=False)
    name = forms.CharField(label=_("Nom"), max_length=200)
    phone = forms.CharField(label=_("Téléphone"), max_length=40, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    address = forms.CharField(
        label=_("Adresse"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    siren = forms.CharField(label=_("SIREN"), max_length=20, required=False)
    vat_number = forms.CharField(
        label=_("N° de TVA intracommunautaire"), max_length=20, required=False
    )
    archived = forms.BooleanField(label=_("Archivé"), required=False)

    CONTACT_FIELDS = ("name", "phone", "email", "address", "siren", "vat_number")

    def __init__(
        self, *args: Any, editing: bool = False, code_required: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].required = code_required and not editing
        if editing:
            self.fields["code"].disabled = True
        else:
            del self.fields["archived"]
        if not code_required:
            self.fields["code"].help_text = _("Laissé vide, il est créé automatiquement.")

    def clean(self) -> dict[str, Any]:
        """Each contact field checked alone by the services' validators, so that every field
        in error is shown at once (the service stops at the first)."""
        cleaned = super().clean() or {}
        if cleaned.get("name") is not None:
            try:
                clean_name(cleaned["name"])
            except ComptoirError as exc:
                self.add_error("name", exc.message)
        alone = dict.fromkeys(self.CONTACT_FIELDS[1:])
        for name in self.CONTACT_FIELDS[1:]:
            if cleaned.get(name):
                try:
                    clean_contact_fields(**{**alone, name: cleaned[name]})
                except ComptoirError as exc:
                    self.add_error(name, exc.message)
        return cleaned

    @staticmethod
    def initial_for(obj: Any) -> dict[str, Any]:
        return {f: getattr(obj, f) for f in ("code", *ContactForm.CONTACT_FIELDS, "archived")}


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=120)
    archived = forms.BooleanField(label=_("Archivée"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV"),
        help_text=_("UTF-8, séparateur « ; » ou « , », une ligne d'en-tête."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )


class ReceiptHeadForm(forms.Form):
    supplier = forms.TypedChoiceField(
        label=_("Fournisseur"), required=False, coerce=UUID, empty_value=None
    )
    store = forms.ChoiceField(label=_("Magasin"))
    note = forms.CharField(
        label=_("Note (n° de bon de livraison...)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, stores: QuerySet[Store] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["supplier"]).choices = supplier_choices(
            str(_("(aucun)"))
        )
        cast(forms.ChoiceField, self.fields["store"]).choices = store_choices(stores)


class CountSheetForm(forms.Form):
    store = forms.ChoiceField(label=_("Magasin"))
    category = forms.ModelChoiceField(
        label=_("Catégorie"),
        queryset=Category.objects.filter(archived=False).order_by("name"),
        required=False,
        empty_label=_("(toutes)"),
    )
    search = forms.CharField(label=_("Article (code, nom)"), max_length=100, required=False)

    def __init__(self, *args: Any, stores: QuerySet[Store] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["store"]).choices = store_choices(stores)


class DocumentFilterForm(forms.Form):
    """Filters of the invoice and credit-note lists (all optional; GET)."""

    date_from = forms.DateField(
        label=_("Du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("Au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    till = forms.ModelChoiceField(
        label=_("Caisse"),
        queryset=Till.objects.order_by("prefix"),
        required=False,
        empty_label=_("(toutes)"),
    )
    customer = forms.CharField(label=_("Client"), max_length=100, required=False)
    number = forms.CharField(label=_("Numéro"), max_length=40, required=False)

    def __init__(
        self, *args: Any, store_ids: Collection[UUID] | None = None, **kwargs: Any
    ) -> None:
        """``store_ids``: the stores whose tills are offered (None: every store's)."""
        super().__init__(*args, **kwargs)
        if store_ids is not None:
            field = cast(forms.ModelChoiceField, self.fields["till"])
            field.queryset = Till.objects.filter(store_id__in=store_ids).order_by("prefix")


def _months() -> list[tuple[str, str]]:
    return [(str(month), date_format(date(2000, month, 1), "F")) for month in range(1, 13)]


class StoreForm(forms.Form):
    """A store's legal identity (``stores.services.store_update`` checks every value)."""

    legal_name = forms.CharField(label=_("Raison sociale"), max_length=200, required=False)
    legal_form = forms.CharField(
        label=_("Forme juridique"),
        max_length=60,
        required=False,
        help_text=_("SAS, SARL, EURL, EI..."),
    )
    address = forms.CharField(
        label=_("Adresse"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    postcode = forms.CharField(label=_("Code postal"), max_length=12, required=False)
    city = forms.CharField(label=_("Ville"), max_length=120, required=False)
    country = forms.CharField(
        label=_("Pays"), max_length=2, help_text=_("Code à deux lettres : FR, BE, SN...")
    )
    siret = forms.CharField(
        label=_("SIRET"),
        max_length=20,
        required=False,
        help_text=_("14 chiffres, pour un magasin en France."),
    )
    registration_number = forms.CharField(
        label=_("N° d'immatriculation"),
        max_length=40,
        required=False,
        help_text=_("Pour un magasin hors de France, à la place du SIRET."),
    )
    vat_number = forms.CharField(
        label=_("N° de TVA intracommunautaire"), max_length=20, required=False
    )
    rcs = forms.CharField(
        label=_("RCS"),
        max_length=120,
        required=False,
        help_text=_("Pour une société, par exemple « RCS Lyon 732 829 320 »."),
    )
    share_capital = forms.CharField(
        label=_("Capital social"), max_length=20, required=False, help_text=_("Pour une société.")
    )
    fiscal_year_start = forms.ChoiceField(label=_("Premier mois de l'exercice"), choices=_months)
    receipt_header = forms.CharField(
        label=_("En-tête des tickets"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    receipt_footer = forms.CharField(
        label=_("Pied des tickets"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    payment_terms = forms.CharField(
        label=_("Conditions de paiement"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Imprimées sur les factures A4, par exemple « Paiement à 30 jours »."),
    )
    late_penalty_rate = forms.CharField(
        label=_("Taux des pénalités de retard (%)"),
        max_length=8,
        required=False,
        help_text=_("Vide : trois fois le taux d'intérêt légal."),
    )

    @staticmethod
    def initial_for(store: Store) -> dict[str, Any]:
        initial = {name: getattr(store, name) for name in StoreForm.base_fields}
        if store.share_capital is not None:
            initial["share_capital"] = decimal_text(
                format_amount(store.share_capital, store.currency)
            )
        if store.late_penalty_rate is not None:
            rate = f"{store.late_penalty_rate:f}"
            initial["late_penalty_rate"] = decimal_text(rate.rstrip("0").rstrip("."))
        initial["fiscal_year_start"] = str(store.fiscal_year_start)
        return initial


class PrinterForm(forms.Form):
    """The till's receipt printer (``printing.services.printer_set`` checks every value)."""

    kind = forms.ChoiceField(label=_("Imprimante"))
    target = forms.CharField(
        label=_("Emplacement"),
        max_length=200,
        required=False,
        help_text=_(
            "Réseau : 192.168.1.50:9100 ; USB : 04b8:0202 ; port série : /dev/ttyUSB0 ou COM3 ; "
            "Windows : le nom de la file d'impression."
        ),
    )
    encoding = forms.ChoiceField(
        label=_("Page de code"),
        help_text=_("CP858 pour la plupart des imprimantes ; CP1252 sinon."),
    )
    width = forms.TypedChoiceField(label=_("Largeur du papier"), coerce=int)
    print_on_sale = forms.BooleanField(
        label=_("Imprimer le ticket à la validation"), required=False
    )
    open_drawer = forms.BooleanField(
        label=_("Ouvrir le tiroir après un paiement en espèces"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = PrinterKind.choices
        cast(forms.ChoiceField, self.fields["encoding"]).choices = [(e, e) for e in ENCODINGS]
        cast(forms.ChoiceField, self.fields["width"]).choices = [(w, f"{w} mm") for w in WIDTHS]
