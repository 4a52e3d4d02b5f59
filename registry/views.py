from __future__ import annotations

from functools import lru_cache
from html import escape
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.forms import BoundField
from django.forms.utils import flatatt
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Perm, has_perm, require
from accounts.roles import Role
from core import audit
from core.http import is_htmx
from core.idnumber import mask
from core.pagination import paginate, querystring_without_page
from core.scoping import get_for_user_or_404
from registry import changes, edit_form, exports, scans, selectors, services
from registry.codes import AssistanceKind, ChildStatus, IncomeSource, PovertyFlag
from registry.eligibility import explain
from registry.forms import (
    ChildFilterForm,
    ChildForm,
    ExitForm,
    FamilyFormSet,
    GuardianForm,
    ReturnForm,
    TransferDecisionForm,
    TransferForm,
    TransferRequestForm,
)
from registry.models import ChangeStatus, Child, ChildChange, ChildTransfer, EntrustedGuardian, FamilyMember
from registry.pdf import render_pdf

NEW_FAMILY_ROWS = [
    {"relationship": "51", "status": "away_for_work"},
    {"relationship": "52", "status": "away_for_work"},
]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _filters(request: HttpRequest, user: User) -> tuple[ChildFilterForm, selectors.ChildFilters]:
    county = (user.jurisdiction.code if user.jurisdiction else "350303000000")[:6]
    form = ChildFilterForm(
        request.GET or None, villages=selectors.village_choices(user), schools=selectors.school_choices(county)
    )
    # A filter that is not valid here (a village of another township, a value typed into the URL) is
    # dropped and named on the page (_child_rows.html); the others still apply.
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # cleaned_data then holds the fields that are valid
        data = form.cleaned_data
    return form, selectors.ChildFilters(
        q=data.get("q", ""),
        village=data.get("village", ""),
        school=data.get("school"),
        status=data.get("status", ""),
        left_behind=data.get("left_behind", ""),
        flag=data.get("flag", ""),
        sort=data.get("sort", "") or "name",
    )


# The list serves at most this many pages (1,250 rows with 25 a page); past that, it asks the user
# to narrow the filters. Deep OFFSETs are slow on every database, and no one pages through them.
LIST_MAX_PAGES = 50


_SELECTED = " selected"


@lru_cache(maxsize=256)
def _options(choices: tuple[tuple[Any, Any], ...]) -> str:
    """The ``<option>``s of a list, none selected; kept per list (a county's 200 villages are the
    same on every request). Every value and label goes through ``html.escape``."""
    return "".join(f'<option value="{escape(str(code))}">{escape(str(label))}</option>' for code, label in choices)


def _select(field: BoundField, choices: Any = None) -> SafeString:
    """A filter's ``<select>``, the markup of Django's widget template, built without a template.

    Rendering a ``<select>`` through the widget templates costs a template render per option;
    a county's village list has 200 options, and the filter form is on every list page.
    """
    value = field.value()
    selected = "" if value is None else str(value)
    options = _options(tuple((str(code), str(label)) for code, label in choices or field.field.choices))  # type: ignore[attr-defined]
    chosen = f'<option value="{escape(selected)}">'
    options = options.replace(chosen, chosen[:-1] + _SELECTED + ">", 1)
    attrs = flatatt({"name": field.html_name, **field.field.widget.attrs, "id": field.auto_id})
    return mark_safe(f"<select{attrs}>{options}</select>")  # noqa: S308  (attrs by flatatt, the rest escaped above)


def _search_input(field: BoundField) -> SafeString:
    widget = field.field.widget
    value = field.value()
    attrs: dict[str, Any] = {"type": getattr(widget, "input_type", "text"), "name": field.html_name}
    if value:
        attrs["value"] = value
    return format_html("<input{}>", flatatt({**attrs, **widget.attrs, "id": field.auto_id}))


def _filter_controls(form: ChildFilterForm) -> dict[str, SafeString]:
    controls = {name: _select(form[name]) for name in ("status", "left_behind", "flag", "sort")}
    controls["village"] = _select(form["village"], [("", _("All villages")), *form.village_choices])
    controls["school"] = _select(form["school"], [("", _("All schools")), *form.school_choices])
    controls["q"] = _search_input(form["q"])
    return controls


def _list_rows(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each row of the list shows, as plain values, ID numbers masked.

    The template then finds each value in a dict at the first try; model attributes, filters and
    ``{% url %}`` in a 25-row loop cost a chain of lookups each. Labels are looked up once per page,
    not through get_FOO_display() (which rebuilds the choices each call).
    """
    labels = exports.choice_labels(Child, "gender", "status")
    genders, statuses = labels["gender"], labels["status"]
    return [
        {
            "url": reverse("child_detail", args=[c["pk"]]),
            "name": c["name"],
            "gender": genders.get(c["gender"], ""),
            "birth_date": c["birth_date"].isoformat() if c["birth_date"] else "",
            "id_number": mask(c["id_number"]) if c["id_number"] else "",
            "village": f"{c['hukou_village__parent__name'] or ''} {c['hukou_village__name']}",
            "status": statuses.get(c["status"], ""),
            "left_behind": c["is_left_behind"],
            "key_target": c["is_key_target"],
            "alone": "lives_alone" in (c["flags"] or []),
        }
        for c in children
    ]


def _ledger_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    for key in ("page", "full"):
        params.pop(key, None)
    return params.urlencode()


@require(Perm.VIEW_CHILDREN)
def child_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form, filters = _filters(request, user)
    # The page is counted and cut on the children's keys alone; then its rows are read by key.
    page = paginate(
        request, selectors.children_for(user, filters).values_list("pk", flat=True), max_pages=LIST_MAX_PAGES
    )
    context: dict[str, Any] = {
        "form": form,
        "ignored_filters": [str(form.fields[name].label) for name in form.errors],
        "page": page,
        "rows": _list_rows(selectors.page_rows(user, list(page)) if len(page) else []),
        "querystring": querystring_without_page(request),
        # The export links carry the list's filters, never its page or a ``full`` typed into the
        # address (the plain link must export masked numbers).
        "ledger_query": _ledger_query(request),
    }
    if is_htmx(request):
        return render(request, "registry/_child_rows.html", {**context, "partial": True})
    context["filters"] = _filter_controls(form)
    return render(request, "registry/child_list.html", context)


def _edit(request: HttpRequest, child: Child | None) -> HttpResponse:
    user = _user(request)
    villages = selectors.villages_for(user)
    county = (user.jurisdiction.code if user.jurisdiction else "350303000000")[:6]
    schools = selectors.schools_near(county)
    post = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    if child is not None and post is None:
        # The form shows the full ID numbers and phones of the child, parents and guardian.
        audit.record_access(actor=user, action="child.edit_view", obj=child)
    # Forms work on fresh copies: a failed save must not leave the real rows half-changed.
    form_instance = Child.objects.get(pk=child.pk) if child else Child()
    # A village's change awaiting review (or returned) is what the village edits, unless the file
    # has been changed under it: then the form shows the file as it is (see docs/registry.md).
    change = selectors.open_change(user, child) if child is not None else None
    reviewed = child is not None and services.change_needs_review(user, child)
    proposal = change.change if change is not None and reviewed and not change.stale else None
    if proposal is not None:
        for key, value in changes.python_values(Child, proposal.values).items():
            setattr(form_instance, key, value)
    initial = {"hukou_village": villages[0]} if child is None and villages.count() == 1 else None
    if child is None and request.GET.get("from_discrepancy", "").isdigit():
        # Registering a child that data matching found missing: start from what the source says.
        from exchange.selectors import registration_initial

        found = registration_initial(user, int(request.GET["from_discrepancy"]), villages)
        initial = {**(initial or {}), **found} if found else initial
    form = ChildForm(
        post,
        files,
        instance=form_instance,
        villages=villages,
        schools=schools,
        initial=initial,
        scan_url=edit_form.scan_url(child, form_instance, proposal),
    )
    family_qs = FamilyMember.objects.filter(child=child) if child else FamilyMember.objects.none()
    guardian_instance = EntrustedGuardian.objects.filter(child=child).first() if child else None
    if proposal is not None and post is None:
        family, guardian = _proposal_forms(proposal, family_qs, guardian_instance)
    else:
        formset_class = FamilyFormSet if child else _new_family_formset()
        family = formset_class(post, queryset=family_qs, prefix="family", initial=None if child else NEW_FAMILY_ROWS)
        guardian = GuardianForm(post, instance=guardian_instance, prefix="guardian")
    duplicates: selectors.DuplicateReport | None = None
    if post is not None:
        # Parents' birth dates are checked against the child's (when the child's is valid).
        form.is_valid()
        family.child_birth_date = form.cleaned_data.get("birth_date")

    if post is not None and form.is_valid() and family.is_valid() and guardian.is_valid():
        parent_ids = [f.cleaned_data.get("id_number", "") for f in family.forms if f.cleaned_data]
        duplicates = selectors.find_duplicates(
            user,
            name=form.cleaned_data["name"],
            birth_date=form.cleaned_data.get("birth_date"),
            id_number=form.cleaned_data.get("id_number", ""),
            parent_ids=parent_ids,
            exclude_pk=child.pk if child else None,
        )
        if child is not None and not _identity_changed(form, family):
            # Asked and answered when the file was made or its identity last changed: an edit of
            # its health or schooling does not ask again.
            duplicates.probable, duplicates.probable_elsewhere = [], []
        if duplicates.same_id_here is not None:
            form.add_error("id_number", _("A child with this ID number is already registered here (see below)."))
        elif duplicates.same_id_elsewhere:
            if duplicates.found_elsewhere is not None:
                # An ID number typed here is found in another township: that township can see who
                # looked, in its read log (the asker learns only the township's name).
                audit.record_access(
                    actor=user,
                    action="child.found_elsewhere",
                    obj=duplicates.found_elsewhere,
                    detail=_("ID number typed when registering in %(village)s")
                    % {"village": user.jurisdiction.full_name if user.jurisdiction else ""},
                )
            form.add_error(
                "id_number",
                _("This ID number is already registered in %(township)s. Ask that township to transfer the file.")
                % {"township": duplicates.same_id_elsewhere},
            )
        elif duplicates.needs_confirmation and not request.POST.get("not_duplicate"):
            messages.warning(request, _("Possible duplicates found. Check them below before saving."))
        else:
            members = [
                services.MemberData(
                    values=f.values(), instance=f.instance if f.instance.pk else None, delete=f in family.deleted_forms
                )
                for f in family.forms
                if f.has_changed() or f.instance.pk
            ]
            try:
                saved = services.child_save(
                    actor=user,
                    values={k: v for k, v in form.cleaned_data.items() if k in services.CHILD_FIELDS},
                    members=members,
                    guardian=guardian.values(),
                    child=child,
                )
            except ValidationError as exc:
                _apply(form, exc)
            else:
                if reviewed:
                    messages.success(
                        request,
                        _("Your change has been sent to the township for review; the file changes once accepted."),
                    )
                else:
                    messages.success(request, _("The file of %(name)s has been saved.") % {"name": saved.name})
                if child is None and request.GET.get("from_discrepancy", "").isdigit():
                    from exchange.services import discrepancy_registered

                    discrepancy_registered(actor=user, pk=int(request.GET["from_discrepancy"]), child=saved)
                return redirect("child_detail", pk=saved.pk)
    return render(
        request,
        "registry/child_form.html",
        {
            "form": form,
            "family": family,
            "guardian": guardian,
            "child": child,
            "duplicates": duplicates,
            "change": change,
            "reviewed": reviewed,
            "prefilled": proposal is not None,
            "error_summary": edit_form.error_summary(form, family, guardian) if post is not None else [],
            "lost_upload": post is not None and edit_form.lost_upload(request, form),
        },
    )


IDENTITY_FIELDS = ("name", "birth_date", "id_number")


def _identity_changed(form: ChildForm, family: Any) -> bool:
    """Whether an edit changes what the duplicate checks compare: the child's name, birth date or
    ID number, or a family member's ID number (added, changed or removed)."""
    if any(name in form.changed_data for name in IDENTITY_FIELDS):
        return True
    return any(
        (f in family.deleted_forms and f.instance.pk and f.instance.id_number)
        or ("id_number" in f.changed_data and (f.cleaned_data or {}).get("id_number"))
        for f in family.forms
    )


def _member_initial(values: dict[str, Any]) -> dict[str, Any]:
    """A proposed family member as the initial values of its form (the place of work as typed)."""
    initial = changes.python_values(FamilyMember, values)
    region = initial.pop("work_region", None)
    initial["work_place"] = region.full_name if region is not None else ""
    return initial


def _proposal_forms(
    proposal: ChildChange, family_qs: Any, guardian_instance: EntrustedGuardian | None
) -> tuple[Any, Any]:
    """The family and guardian forms, unbound, filled in with a proposed change."""
    from django.forms import modelformset_factory

    from registry.forms import BaseFamilyFormSet, FamilyMemberForm

    added = [entry for entry in proposal.members if not entry.get("id") and not entry.get("delete")]
    formset_class = modelformset_factory(
        FamilyMember, form=FamilyMemberForm, formset=BaseFamilyFormSet, extra=len(added) + 1, can_delete=True
    )
    family = formset_class(
        None, queryset=family_qs, prefix="family", initial=[_member_initial(e.get("values") or {}) for e in added]
    )
    by_id = {entry["id"]: entry for entry in proposal.members if entry.get("id")}
    for form in family.forms[: family.initial_form_count()]:
        entry = by_id.get(form.instance.pk)
        if entry is not None:
            form.initial.update(_member_initial(entry.get("values") or {}))
            form.initial["DELETE"] = bool(entry.get("delete"))
    if proposal.guardian:
        guardian_instance = guardian_instance or EntrustedGuardian()
        for key, value in changes.python_values(EntrustedGuardian, proposal.guardian).items():
            setattr(guardian_instance, key, value)
    else:
        guardian_instance = None
    return family, GuardianForm(None, instance=guardian_instance, prefix="guardian")


def _new_family_formset() -> Any:
    from django.forms import modelformset_factory

    from registry.forms import BaseFamilyFormSet, FamilyMemberForm

    return modelformset_factory(
        FamilyMember, form=FamilyMemberForm, formset=BaseFamilyFormSet, extra=len(NEW_FAMILY_ROWS) + 1, can_delete=True
    )


def _apply(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@require(Perm.EDIT_CHILDREN)
def child_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@require(Perm.EDIT_CHILDREN)
def child_update(request: HttpRequest, pk: int) -> HttpResponse:
    child = get_for_user_or_404(Child, _user(request), pk=pk)
    return _edit(request, child)


@require(Perm.VIEW_CHILDREN)
def child_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    child = get_for_user_or_404(Child.objects.select_related("hukou_village__parent", "school"), user, pk=pk)
    audit.record_access(actor=user, action="child.view", obj=child)
    return render(request, "registry/child_detail.html", _dossier_context(user, child))


def _dossier_context(user: User, child: Child, *, revealed: bool = False) -> dict[str, Any]:
    family = list(child.family.select_related("work_region").all())
    guardian = EntrustedGuardian.objects.filter(child=child).first()
    can_edit = has_perm(user, Perm.EDIT_CHILDREN) and (
        child.status != ChildStatus.EXITED
        and (user.role != Role.VILLAGE_DIRECTOR or child.status in services.EDITABLE_BY_VILLAGE)
    )
    change = selectors.open_change(user, child)
    pending = change is not None and change.change.status == ChangeStatus.PENDING
    return {
        "child": child,
        "family": family,
        "guardian": guardian,
        "revealed": revealed,
        "timeline": selectors.timeline(child)[:100],
        "can_edit": can_edit,
        "can_submit": can_edit and child.status in (ChildStatus.DRAFT, ChildStatus.RETURNED),
        "can_review": has_perm(user, Perm.REVIEW_CHILDREN) and child.status == ChildStatus.AWAITING_REVIEW,
        "change": change,
        # The full numbers a change sets, shown with the file's when the user asks (child.reveal).
        "change_numbers": changes.revealed_numbers(change.change) if revealed and change is not None else [],
        "can_review_change": has_perm(user, Perm.REVIEW_CHILDREN) and pending,
        "can_accept_change": has_perm(user, Perm.REVIEW_CHILDREN)
        and pending
        and change is not None
        and not change.stale,
        "can_withdraw_change": change is not None
        and has_perm(user, Perm.EDIT_CHILDREN)
        and user.role == Role.VILLAGE_DIRECTOR,
        "can_confirm": has_perm(user, Perm.CONFIRM_CHILDREN) and child.status == ChildStatus.AWAITING_CONFIRMATION,
        "can_propose_exit": has_perm(user, Perm.EDIT_CHILDREN)
        and child.status == ChildStatus.REGISTERED
        and not child.exit_reason,
        "can_confirm_exit": has_perm(user, Perm.CONFIRM_CHILDREN)
        and child.status == ChildStatus.REGISTERED
        and bool(child.exit_reason),
        "return_form": ReturnForm(),
        "transfer_villages": [
            (pk, f"{township or ''} {name}")
            for pk, township, name in selectors.county_villages(child.region_code)
            .exclude(pk=child.hukou_village_id)
            .values_list("pk", "parent__name", "name")
        ]
        if can_edit
        else [],
        "pending_transfer": child.transfers.filter(status="pending").select_related("to_village").first(),
        "exit_form": ExitForm(initial={"exit_date": timezone.localdate()}),
        "flag_labels": exports.flag_labels(child),
        "reasons": [explain(reason) for reason in child.eligibility_reasons or []],
        "income_labels": exports.labels(IncomeSource, child.income_sources),
        "assistance_labels": exports.labels(AssistanceKind, child.assistance),
        "poverty_labels": exports.labels(PovertyFlag, child.poverty_flags),
        "kind_label": exports.kind_label(child),
        "today": timezone.localdate(),
    }


@require_POST
@require(Perm.VIEW_CHILDREN)
def child_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full ID numbers and phones of one file, for this page view only; logged."""
    user = _user(request)
    child = get_for_user_or_404(Child, user, pk=pk)
    audit.record_access(actor=user, action="child.reveal", obj=child)
    return render(request, "registry/_identity.html", _dossier_context(user, child, revealed=True))


@require(Perm.VIEW_CHILDREN)
def child_print(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    child = get_for_user_or_404(Child.objects.select_related("hukou_village__parent", "school"), user, pk=pk)
    full = request.GET.get("full") == "1"
    audit.record_access(actor=user, action="child.print", obj=child, detail=_("full numbers") if full else "")
    context = _dossier_context(user, child, revealed=full)
    return render(request, "registry/child_print.html", context)


@require(Perm.VIEW_CHILDREN)
def child_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The A4 dossier as a PDF download (ID numbers and phones masked unless ?full=1, which is logged)."""
    user = _user(request)
    child = get_for_user_or_404(Child.objects.select_related("hukou_village__parent", "school"), user, pk=pk)
    full = request.GET.get("full") == "1"
    audit.record_access(
        actor=user, action="child.pdf", obj=child, export=True, detail=_("full numbers") if full else ""
    )
    content = render_pdf("registry/child_pdf.html", _dossier_context(user, child, revealed=full))
    response = HttpResponse(content, content_type="application/pdf")
    name = quote(f"{child.name}-档案.pdf")
    response["Content-Disposition"] = f"attachment; filename=\"dossier-{child.pk}.pdf\"; filename*=UTF-8''{name}"
    return response


@require(Perm.VIEW_CHILDREN)
def entrustment_scan(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The signed entrustment confirmation, served only to users who may see the child; logged."""
    user = _user(request)
    child = get_for_user_or_404(Child, user, pk=pk)
    if not child.entrustment_scan:
        raise Http404
    audit.record_access(actor=user, action="child.scan", obj=child)
    return _serve_scan(child.entrustment_scan)


@require(Perm.VIEW_CHILDREN)
def change_scan(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The entrustment confirmation sent with a change awaiting review; logged like the file's own."""
    user = _user(request)
    child = get_for_user_or_404(Child, user, pk=pk)
    change = selectors.open_change(user, child)
    if change is None or not change.change.entrustment_scan:
        raise Http404
    audit.record_access(actor=user, action="child.scan", obj=child, detail=_("sent with a change awaiting review"))
    return _serve_scan(change.change.entrustment_scan)


def _serve_scan(scan: FieldFile) -> FileResponse:
    """A scan with the type its bytes show, never the one its name claims; a file that is no PDF,
    PNG or JPEG (an upload from before the contents were checked) is downloaded, not shown."""
    file = scan.open("rb")
    kind = scans.content_type(scans.read_head(file))
    response = FileResponse(
        file,
        as_attachment=kind is None,
        filename=(scan.name or "").rsplit("/", 1)[-1],
        content_type=kind or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


ACTIONS = {"submit", "approve", "return", "confirm", "propose_exit", "confirm_exit", "reject_exit", "withdraw_change"}


@require_POST
@require(Perm.VIEW_CHILDREN)
def child_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    child = get_for_user_or_404(Child, user, pk=pk)
    if action not in ACTIONS:
        return redirect("child_detail", pk=child.pk)
    try:
        if action == "submit":
            services.child_submit(actor=user, child=child)
            messages.success(request, _("Submitted to the township for review."))
        elif action == "approve":
            services.child_approve(actor=user, child=child)
            if child.status == ChildStatus.REGISTERED:
                messages.success(request, _("The change has been accepted and written to the file."))
            else:
                messages.success(request, _("Approved."))
        elif action == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Say what needs correcting."))
            services.child_return(actor=user, child=child, comment=form.cleaned_data["comment"])
            messages.success(request, _("Returned to the village with your comment."))
        elif action == "confirm":
            services.child_confirm(actor=user, child=child)
            messages.success(request, _("Entry confirmed: the child is registered."))
        elif action == "propose_exit":
            return _propose_exit(request, user, child)
        elif action == "withdraw_change":
            changes.change_withdraw(actor=user, child=child)
            messages.success(request, _("Your change has been withdrawn; the file stays as it is."))
        elif action == "confirm_exit":
            services.child_confirm_exit(actor=user, child=child)
            messages.success(request, _("Exit confirmed."))
        elif action == "reject_exit":
            services.child_reject_exit(actor=user, child=child)
            messages.success(request, _("Exit rejected; the child stays registered."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("child_detail", pk=child.pk)


def _propose_exit(request: HttpRequest, user: User, child: Child) -> HttpResponse:
    """Propose an exit; a refused one shows the dossier again with the messages at the fields."""
    form = ExitForm(request.POST)
    if form.is_valid():
        try:
            services.child_propose_exit(
                actor=user,
                child=child,
                reason=form.cleaned_data["reason"],
                exit_date=form.cleaned_data["exit_date"],
                note=form.cleaned_data.get("note", ""),
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                # Not about what was typed (the file's status): said at the top of the dossier.
                raise
            _apply(form, exc)
        else:
            messages.success(request, _("Exit proposed; the district will confirm it."))
            return redirect("child_detail", pk=child.pk)
    audit.record_access(actor=user, action="child.view", obj=child)
    context = _dossier_context(user, child)
    context["exit_form"] = form
    return render(request, "registry/child_detail.html", context)


@require(Perm.EXPORT_LEDGER)
def ledger_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form, filters = _filters(request, user)
    if form.errors:
        # Never export more than the user asked for: a filter that does not apply here stops the export.
        messages.error(
            request,
            _("The ledger was not exported: some filters are not valid here (%(fields)s).")
            % {"fields": "、".join(str(form.fields[name].label) for name in form.errors)},
        )
        return redirect(f"{reverse('child_list')}?{request.GET.urlencode()}")
    full = request.GET.get("full") == "1"
    children = selectors.children_for(user, filters)
    jurisdiction = user.jurisdiction
    area = exports.ledger_area(
        jurisdiction=jurisdiction.name if jurisdiction else "", village=filters.village, villages=form.village_choices
    )
    title = area + exports.ledger_title(left_behind_only=filters.left_behind == "1")
    content, count = exports.ledger_xlsx(children, full=full, title=title)
    detail = _("%(count)s rows; full ID numbers and phones: %(full)s") % {
        "count": count,
        "full": _("yes") if full else _("no"),
    }
    applied = exports.filters_text(form) if form.is_bound else ""
    audit.record_access(
        actor=user,
        action="ledger.export",
        export=True,
        # Filed under the village exported, so that its township sees it; else the user's jurisdiction.
        region_code=filters.village or (jurisdiction.code if jurisdiction else ""),
        object_type="registry.child",
        detail=f"{detail}；{applied}" if applied else detail,
    )
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f"attachment; filename=\"ledger-{stamp}.xlsx\"; filename*=UTF-8''{quote(f'{title}-{stamp}.xlsx')}"
    )
    return response


# --- Transfers -------------------------------------------------------------------------------


@require_POST
@require(Perm.EDIT_CHILDREN)
def transfer_send(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    child = get_for_user_or_404(Child, user, pk=pk)
    form = TransferForm(request.POST, villages=selectors.county_villages(child.region_code))
    if form.is_valid():
        try:
            services.transfer_send(
                actor=user, child=child, to_village=form.cleaned_data["to_village"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The transfer has been sent; the receiving village will accept it."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("child_detail", pk=child.pk)


@require(Perm.EDIT_CHILDREN)
def transfer_request(request: HttpRequest) -> HttpResponse:
    """Ask the township that holds a file for it, by the child's ID number.

    The registration form's "ask for the transfer" box posts here too; a request that cannot be
    sent comes back on this page with what was typed, the reason at its field.
    """
    user = _user(request)
    villages = selectors.villages_for(user)
    if request.method == "POST":
        form = TransferRequestForm(request.POST, villages=villages)
        if form.is_valid():
            try:
                transfer = services.transfer_request(
                    actor=user,
                    id_number=form.cleaned_data["id_number"],
                    to_village=form.cleaned_data["to_village"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Your request has been sent to the township that holds the file."))
                return redirect("transfer_detail", pk=transfer.pk)
    else:
        form = TransferRequestForm(
            villages=villages, initial={"to_village": villages[0]} if villages.count() == 1 else None
        )
    return render(request, "registry/transfer_request.html", {"form": form})


@require(Perm.VIEW_CHILDREN)
def transfer_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    transfers = ChildTransfer.objects.for_user(user).select_related("child", "to_village")
    page = paginate(request, transfers)
    return render(
        request, "registry/transfer_list.html", {"page": page, "rows": selectors.transfers_shown(user, list(page))}
    )


@require(Perm.VIEW_CHILDREN)
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    transfer = get_for_user_or_404(
        ChildTransfer.objects.select_related("child", "to_village", "decided_by"), user, pk=pk
    )
    form = TransferDecisionForm(request.POST or None)
    # Withdrawing (the side that started it) and acknowledging a decision take no form.
    simple = {
        "withdraw": (services.transfer_withdraw, _("The transfer has been withdrawn.")),
        "acknowledge": (services.transfer_acknowledge, _("The to-do item is closed.")),
    }
    if request.method == "POST" and request.POST.get("decision") in simple:
        action, done = simple[request.POST["decision"]]
        try:
            action(actor=user, transfer=transfer)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, done)
        return redirect("transfer_detail", pk=transfer.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_decide(
                actor=user,
                transfer=transfer,
                accept=request.POST.get("decision") == "accept",
                note=form.cleaned_data.get("note", ""),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Your decision has been recorded."))
            return redirect("transfer_detail", pk=transfer.pk)
    return render(
        request,
        "registry/transfer_detail.html",
        {
            "transfer": transfer,
            "shown": selectors.transfers_shown(user, [transfer])[0],
            "form": form,
            "can_decide": services.can_decide(user, transfer),
            "can_withdraw": services.can_withdraw(user, transfer),
            "can_acknowledge": services.has_decision_to_acknowledge(user, transfer),
        },
    )
