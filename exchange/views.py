"""Views of the data-exchange area: thin, scoped through ``get_for_user_or_404`` and selectors."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Perm, has_perm, require
from core import audit
from core.http import is_htmx
from core.pagination import paginate
from core.scoping import get_for_user_or_404
from exchange import exports, selectors, services
from exchange.forms import DiscrepancyFilterForm, ResolveForm, UploadForm
from exchange.models import BatchStatus, Discrepancy, DiscrepancyKind, DiscrepancyStatus, ImportBatch, SourceKind
from exchange.template_files import template_xlsx
from regions.models import Level, Region
from registry.models import Child


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _download(content: bytes, ascii_name: str, chinese_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese_name)}"
    return response


# --- Batches ---------------------------------------------------------------------------------


@require(Perm.IMPORT_DATA)
def batch_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    page = paginate(request, selectors.batches(user))
    return render(request, "exchange/batch_list.html", {"page": page, "kinds": SourceKind.choices})


@require(Perm.IMPORT_DATA)
def batch_upload(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_create(
                actor=user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                region_code=form.cleaned_data["region"],
                period=form.cleaned_data["period"],
                encoding=form.cleaned_data["encoding"],
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else [(None, exc.error_list)]:
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("batch_detail", pk=batch.pk)
    return render(request, "exchange/batch_upload.html", {"form": form, "kinds": SourceKind.choices})


@require(Perm.IMPORT_DATA)
def template_download(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in SourceKind.values:
        raise Http404
    label = str(SourceKind(kind).label)
    suffix = _("template")
    return _download(template_xlsx(kind), f"template-{kind}.xlsx", f"{label}-{suffix}.xlsx")


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    return get_for_user_or_404(selectors.batches(_user(request)), request.user, pk=pk)


def _progress(batch: ImportBatch) -> dict[str, object]:
    elapsed = None
    remaining = None
    if batch.started_at:
        end = batch.finished_at or timezone.now()
        elapsed = max((end - batch.started_at).total_seconds(), 0.0)
    # Each phase counts for a share of the bar; reading reports rows as it goes.
    shares = {"waiting": 0, "read": 10, "validate": 40, "stage": 60, "match": 80, "done": 100}
    percent = shares.get(batch.phase, 0)
    if batch.status in {
        BatchStatus.READY,
        BatchStatus.APPLIED,
        BatchStatus.UNDONE,
        BatchStatus.DISCARDED,
        BatchStatus.REJECTED,
        BatchStatus.FAILED,
    }:
        percent = 100
    if elapsed and 0 < percent < 100:
        remaining = elapsed * (100 - percent) / percent
    running = batch.status in {BatchStatus.QUEUED, BatchStatus.RUNNING, BatchStatus.APPLYING}
    waiting = (timezone.now() - batch.updated_at).total_seconds() if batch.status == BatchStatus.QUEUED else 0
    can_apply = batch.status == BatchStatus.READY and (
        batch.rows_rejected == 0 if batch.kind == SourceKind.LEDGER else batch.rows_valid > 0
    )
    return {
        "percent": percent,
        "elapsed": elapsed if running or batch.finished_at else None,
        "remaining": remaining if running else None,
        "running": running,
        "stalled": waiting > 30,
        "can_apply": can_apply,
    }


@require(Perm.IMPORT_DATA)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    context = {
        "batch": batch,
        "progress": _progress(batch),
        "errors": selectors.row_errors(batch)[:50],
        "summary": batch.summary or {},
        "kind_labels": dict(DiscrepancyKind.choices),
        "samples": selectors.discrepancies(_user(request), batch=batch.pk)[:20],
    }
    template = "exchange/_batch_status.html" if is_htmx(request) else "exchange/batch_detail.html"
    return render(request, template, context)


@require(Perm.IMPORT_DATA)
def batch_errors(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    batch = _batch(request, pk)
    audit.record_access(actor=user, action="exchange.export", obj=batch, export=True, detail=_("rejected rows"))
    content = exports.errors_xlsx(batch, selectors.row_errors(batch))
    return _download(content, f"rejected-rows-{batch.pk}.xlsx", f"{_('Rejected rows')}-{batch.pk}.xlsx")


@require(Perm.IMPORT_DATA)
def batch_results(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    batch = _batch(request, pk)
    rows = selectors.discrepancies(user, batch=batch.pk)
    audit.record_access(
        actor=user, action="exchange.export", obj=batch, export=True, detail=_("reconciliation results")
    )
    content = exports.discrepancies_xlsx(rows)
    title = _("Reconciliation results")
    return _download(content, f"results-{batch.pk}.xlsx", f"{title}-{batch.pk}.xlsx")


def _batch_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    batch = _batch(request, pk)
    try:
        if action == "apply":
            services.batch_request_apply(actor=user, batch=batch)
            messages.info(request, _("Applying has started; this page shows when it is done."))
        elif action == "discard":
            services.batch_discard(actor=user, batch=batch)
            messages.success(request, _("The batch was discarded; nothing was changed."))
        else:
            services.batch_undo(actor=user, batch=batch)
            messages.success(request, _("The ledger import was undone."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("batch_detail", pk=batch.pk)


@require_POST
@require(Perm.IMPORT_DATA)
def batch_apply(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_action(request, pk, "apply")


@require_POST
@require(Perm.IMPORT_DATA)
def batch_discard(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_action(request, pk, "discard")


@require_POST
@require(Perm.IMPORT_DATA)
def batch_undo(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_action(request, pk, "undo")


# --- Discrepancies ---------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[DiscrepancyFilterForm, QuerySet[Discrepancy]]:
    user = _user(request)
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = DiscrepancyStatus.OPEN
    form = DiscrepancyFilterForm(data, user=user)
    cleaned = form.cleaned_data if form.is_valid() else {}
    rows = selectors.discrepancies(
        user,
        kind=cleaned.get("kind", ""),
        status=cleaned.get("status", ""),
        region=cleaned.get("region", ""),
    )
    return form, rows


@require(Perm.VERIFY_DISCREPANCIES)
def discrepancy_list(request: HttpRequest) -> HttpResponse:
    form, rows = _filtered(request)
    page = paginate(request, rows)
    names = selectors.place_names({d.region_code for d in page})
    for d in page:
        d.place = names.get(d.region_code, d.region_code)
    template = "exchange/_discrepancy_rows.html" if is_htmx(request) else "exchange/discrepancy_list.html"
    return render(request, template, {"form": form, "page": page})


@require(Perm.VERIFY_DISCREPANCIES)
def discrepancy_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _form, rows = _filtered(request)
    audit.record_access(
        actor=user,
        action="exchange.export",
        export=True,
        region_code=user.jurisdiction.code if user.jurisdiction else "",
        object_type="exchange.discrepancy",
        detail=_("discrepancy list"),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _download(
        exports.discrepancies_xlsx(rows), f"discrepancies-{stamp}.xlsx", f"{_('Discrepancies')}-{stamp}.xlsx"
    )


@require(Perm.VERIFY_DISCREPANCIES)
def discrepancy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    discrepancy = get_for_user_or_404(selectors.discrepancies(user), user, pk=pk)
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.discrepancy_resolve(
                actor=user,
                discrepancy=discrepancy,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else [(None, exc.error_list)]:
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The discrepancy is resolved and the to-do item closed."))
            return redirect("discrepancy_detail", pk=discrepancy.pk)
    household = selectors.household_of(user, discrepancy)
    children = [c for c in (discrepancy.child, discrepancy.other_child) if c is not None]
    visible = set(Child.objects.for_user(user).filter(pk__in=[c.pk for c in children]).values_list("pk", flat=True))
    return render(
        request,
        "exchange/discrepancy_detail.html",
        {
            "d": discrepancy,
            "place": selectors.place_names({discrepancy.region_code}).get(discrepancy.region_code, ""),
            "reason_labels": selectors.reason_labels((discrepancy.details or {}).get("reasons", [])),
            "form": form,
            "children": [c for c in children if c.pk in visible],
            "person": (discrepancy.details or {}).get("person", {}),
            "household": household,
            "fields": selectors.field_rows((discrepancy.details or {}).get("fields", {})),
            "reasons": (discrepancy.details or {}).get("reasons", []),
            "can_register": discrepancy.kind in selectors.OMISSION_KINDS
            and discrepancy.status == DiscrepancyStatus.OPEN
            and has_perm(user, Perm.EDIT_CHILDREN),
            "can_merge": discrepancy.kind == DiscrepancyKind.DUPLICATE
            and discrepancy.status == DiscrepancyStatus.OPEN
            and has_perm(user, Perm.EDIT_CHILDREN)
            and len(visible) == 2,
        },
    )


@require_POST
@require(Perm.VERIFY_DISCREPANCIES)
def discrepancy_merge(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    discrepancy = get_for_user_or_404(selectors.discrepancies(user), user, pk=pk)
    keep_id = request.POST.get("keep", "")
    keep = Child.objects.for_user(user).filter(pk=int(keep_id)).first() if keep_id.isdigit() else None
    if keep is None:
        messages.error(request, _("Choose one of the two files to keep."))
        return redirect("discrepancy_detail", pk=discrepancy.pk)
    try:
        services.duplicate_merge(actor=user, discrepancy=discrepancy, keep=keep)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The two files were merged; the other file has exited as a duplicate."))
    return redirect("discrepancy_detail", pk=discrepancy.pk)


@require(Perm.VERIFY_DISCREPANCIES)
def completeness(request: HttpRequest) -> HttpResponse:
    """不重不漏: the state of each village (for a township) or township (for a district)."""
    user = _user(request)
    region = user.jurisdiction
    code = request.GET.get("region", "")
    if code:
        region = get_for_user_or_404(Region, user, code=code)
    if region is None:
        region = Region.objects.for_user(user).filter(level=Level.COUNTY).order_by("code").first()
    rows = selectors.completeness(user, region) if region is not None else []
    own_open = selectors.open_discrepancy_count(region.prefix) if region is not None else 0
    return render(
        request,
        "exchange/completeness.html",
        {
            "region": region,
            "rows": rows,
            "own_open": own_open,
            "own_compared": selectors.is_compared(region) if region is not None else False,
            "kind_labels": dict(DiscrepancyKind.choices),
        },
    )


@require(Perm.IMPORT_DATA)
def monthly_export(request: HttpRequest, target: str) -> HttpResponse:
    if target not in exports.MONTHLY_TARGETS:
        raise Http404
    user = _user(request)
    children = Child.objects.for_user(user)
    content, count = exports.monthly_xlsx(target, children)
    audit.record_access(
        actor=user,
        action="exchange.export",
        export=True,
        region_code=user.jurisdiction.code if user.jurisdiction else "",
        object_type="registry.child",
        detail=_("monthly exchange file (%(target)s), %(count)s rows with full ID numbers")
        % {"target": target, "count": count},
    )
    month = timezone.localdate().strftime("%Y%m")
    monthly = _("Monthly exchange")
    names = {"civil": _("to civil affairs"), "police": _("to the police"), "education": _("to education")}
    return _download(content, f"exchange-{target}-{month}.xlsx", f"{monthly}-{names[target]}-{month}.xlsx")
