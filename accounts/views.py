from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import selectors, services
from accounts.forms import (
    AuditFilterForm,
    OrganisationFilterForm,
    OrganisationForm,
    OwnPasswordChangeForm,
    PasswordResetByAdminForm,
    UserCreateForm,
    UserFilterForm,
    UserUpdateForm,
)
from accounts.models import Organisation, User
from accounts.permissions import Perm, has_perm, require
from accounts.roles import Role
from core.http import is_htmx
from core.pagination import paginate, querystring_without_page
from core.scoping import get_for_user_or_404
from regions.models import Level


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's validation errors on the form, at the field where there is one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context: dict[str, object] = {"summary": selectors.home_summary(user)}
    if user.role == Role.VILLAGE_DIRECTOR:
        context["supervisors"] = selectors.supervisors_for_village(user)
        context["colleagues"] = selectors.colleagues_of(user)
    elif user.jurisdiction is not None and user.jurisdiction.level == Level.TOWNSHIP:
        context["staffing"] = selectors.village_staffing(user)
    else:
        coverage = selectors.director_coverage_by_township(user)
        context["coverage"] = coverage
        context["missing_villages"] = selectors.villages_without_director(user)
        context["coverage_chart"] = {
            "townships": [c.region.name for c in coverage],
            "staffed": [c.staffed for c in coverage],
            "missing": [c.missing for c in coverage],
        }
    return render(request, "accounts/home.html", context)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", {"profile_user": _user(request)})


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = OwnPasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_change_own_password(user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("home")
    return render(request, "registration/password_change.html", {"form": form})


# Users -------------------------------------------------------------------------------------


@require(Perm.VIEW_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    form = UserFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.users_for(
        _user(request), query=data.get("q", ""), role=data.get("role", ""), active=data.get("active", "")
    )
    template = "accounts/_user_rows.html" if is_htmx(request) else "accounts/user_list.html"
    return render(
        request,
        template,
        {"form": form, "page": paginate(request, qs), "querystring": querystring_without_page(request)},
    )


@require(Perm.VIEW_USERS)
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_for_user_or_404(User.objects.select_related("organisation__region"), _user(request), pk=pk)
    return render(request, "accounts/user_detail.html", {"target": target})


@require(Perm.MANAGE_USERS)
def user_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    form = UserCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.user_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("User %(name)s has been created.") % {"name": created.display_name})
            return redirect("user_detail", pk=created.pk)
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@require(Perm.MANAGE_USERS)
def user_update(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    target = get_for_user_or_404(User, actor, pk=pk)
    initial = {
        "name": target.name,
        "phone": target.phone,
        "organisation": target.organisation,
        "role": target.role,
        "is_active": target.is_active,
    }
    form = UserUpdateForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=actor, user=target, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("user_detail", pk=target.pk)
    return render(request, "accounts/user_form.html", {"form": form, "target": target, "creating": False})


@require(Perm.MANAGE_USERS)
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    target = get_for_user_or_404(User, actor, pk=pk)
    form = PasswordResetByAdminForm(request.POST or None, target=target)
    if request.method == "POST" and form.is_valid():
        services.user_reset_password(actor=actor, user=target, password=form.cleaned_data["password"])
        messages.success(request, _("The password has been reset. Tell the user the temporary password in person."))
        return redirect("user_detail", pk=target.pk)
    return render(request, "accounts/user_reset_password.html", {"form": form, "target": target})


# Organisations -----------------------------------------------------------------------------


@require(Perm.VIEW_ORGANISATIONS)
def organisation_list(request: HttpRequest) -> HttpResponse:
    form = OrganisationFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.organisations_for(
        _user(request), query=data.get("q", ""), kind=data.get("kind", ""), member="1" if data.get("member") else ""
    )
    template = "accounts/_organisation_rows.html" if is_htmx(request) else "accounts/organisation_list.html"
    return render(
        request,
        template,
        {"form": form, "page": paginate(request, qs), "querystring": querystring_without_page(request)},
    )


@require(Perm.VIEW_ORGANISATIONS)
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    organisation = get_for_user_or_404(Organisation.objects.select_related("region", "parent"), user, pk=pk)
    members = selectors.users_for(user).filter(organisation=organisation) if has_perm(user, Perm.VIEW_USERS) else None
    return render(request, "accounts/organisation_detail.html", {"organisation": organisation, "members": members})


@require(Perm.MANAGE_ORGANISATIONS)
def organisation_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    form = OrganisationForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Organisation %(name)s has been created.") % {"name": organisation.name})
            return redirect("organisation_detail", pk=organisation.pk)
    return render(request, "accounts/organisation_form.html", {"form": form, "creating": True})


@require(Perm.MANAGE_ORGANISATIONS)
def organisation_update(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    organisation = get_for_user_or_404(Organisation, actor, pk=pk)
    # Bind to a copy so that a failed save does not leave the form's instance half-changed.
    form = OrganisationForm(request.POST or None, instance=Organisation.objects.get(pk=organisation.pk), actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=actor, organisation=organisation, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("organisation_detail", pk=organisation.pk)
    return render(
        request, "accounts/organisation_form.html", {"form": form, "organisation": organisation, "creating": False}
    )


# Audit trail -------------------------------------------------------------------------------


@require(Perm.VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.audit_events_for(
        _user(request),
        kind=data.get("kind", ""),
        action=data.get("action", ""),
        actor=data.get("actor", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    template = "accounts/_audit_rows.html" if is_htmx(request) else "accounts/audit_list.html"
    return render(
        request,
        template,
        {"form": form, "page": paginate(request, qs), "querystring": querystring_without_page(request)},
    )


@require(Perm.VIEW_AUDIT)
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_for_user_or_404(selectors.audit_events_for(_user(request)), _user(request), pk=pk)
    return render(request, "accounts/audit_detail.html", {"event": event})
