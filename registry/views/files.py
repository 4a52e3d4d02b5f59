"""One child's file: registering and editing it, the dossier, its print and PDF, the scans, and the
review and exit actions."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Perm, has_perm, require
from accounts.roles import Role
from core import audit
from core.scoping import get_for_user_or_404
from registry import changes, edit_form, exports, scans, selectors, services
from registry.codes import AssistanceKind, ChildStatus, IncomeSource, PovertyFlag
from registry.eligibility import explain
from registry.forms import (
    ChildForm,
    ExitForm,
    FamilyFormSet,
    GuardianForm,
    ReturnForm,
    work_place_text,
)
from registry.models import ChangeStatus, Child, ChildChange, EntrustedGuardian, FamilyMember
from registry.pdf import render_pdf
from registry.views.common import user_of

NEW_FAMILY_ROWS = [
    {"relationship": "51", "status": "away_for_work"},
    {"relationship": "52", "status": "away_for_work"},
]


def _edit(request: HttpRequest, child: Child | None) -> HttpResponse:
    user = user_of(request)
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
                if child is not None and [e.code for e in getattr(exc, "error_list", [])] == [changes.NOTHING_CHANGED]:
                    # Saved as it was: nothing is wrong, and nothing goes for review.
                    messages.info(request, exc.messages[0])
                    return redirect("child_detail", pk=child.pk)
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
            "pending_transfer": selectors.pending_transfer_for(user, duplicates.found_elsewhere.id_number)
            if duplicates is not None and duplicates.found_elsewhere is not None
            else None,
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
    initial["work_place"] = work_place_text(region, initial.pop("work_country", "") or "")
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
    child = get_for_user_or_404(Child, user_of(request), pk=pk)
    return _edit(request, child)


@require(Perm.VIEW_CHILDREN)
def child_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
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
    user = user_of(request)
    child = get_for_user_or_404(Child, user, pk=pk)
    audit.record_access(actor=user, action="child.reveal", obj=child)
    return render(request, "registry/_identity.html", _dossier_context(user, child, revealed=True))


@require(Perm.VIEW_CHILDREN)
def child_print(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    child = get_for_user_or_404(Child.objects.select_related("hukou_village__parent", "school"), user, pk=pk)
    full = request.GET.get("full") == "1"
    audit.record_access(actor=user, action="child.print", obj=child, detail=_("full numbers") if full else "")
    context = _dossier_context(user, child, revealed=full)
    return render(request, "registry/child_print.html", context)


@require(Perm.VIEW_CHILDREN)
def child_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The A4 dossier as a PDF download (ID numbers and phones masked unless ?full=1, which is logged)."""
    user = user_of(request)
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
    user = user_of(request)
    child = get_for_user_or_404(Child, user, pk=pk)
    if not child.entrustment_scan:
        raise Http404
    audit.record_access(actor=user, action="child.scan", obj=child)
    return _serve_scan(child.entrustment_scan)


@require(Perm.VIEW_CHILDREN)
def change_scan(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The entrustment confirmation sent with a change awaiting review; logged like the file's own."""
    user = user_of(request)
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
    user = user_of(request)
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
