from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from accounts.permissions import assignable_roles
from accounts.roles import OrgKind, Role
from core.forms import BootstrapFormMixin
from core.models import AuditKind
from regions.models import Region

phone_validator = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$", _("Enter an 11-digit mobile number or a landline such as 0594-1234567.")
)
username_validator = RegexValidator(
    r"^[A-Za-z0-9_.-]{3,30}$", _("3 to 30 characters: letters, digits, and . _ - only.")
)


class LoginForm(BootstrapFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "The user name or password is wrong. After %(limit)s wrong tries the account is locked for a while."
        ),
        "inactive": _("This account has been deactivated. Ask your administrator."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})

    def get_invalid_login_error(self) -> forms.ValidationError:
        from django.conf import settings

        return forms.ValidationError(
            self.error_messages["invalid_login"], code="invalid_login", params={"limit": settings.AXES_FAILURE_LIMIT}
        )


class OwnPasswordChangeForm(BootstrapFormMixin, PasswordChangeForm):
    pass


class OrganisationForm(BootstrapFormMixin, forms.ModelForm[Organisation]):
    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "region",
            "parent",
            "unit_code",
            "is_joint_meeting_member",
            "duties",
            "phone",
            "address",
            "is_active",
        ]
        widgets = {"duties": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.for_user(actor).active().exclude(level="province")  # type: ignore[attr-defined]
        self.fields["parent"].queryset = Organisation.objects.for_user(actor).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["phone"].validators.append(phone_validator)


class UserFilterForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, user name or organisation"), "aria-label": _("Search")}
        ),
    )
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices])
    active = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), ("1", _("Active")), ("0", _("Deactivated"))]
    )


class OrganisationFilterForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or region"), "aria-label": _("Search")}),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *OrgKind.choices])
    member = forms.BooleanField(label=_("Joint-meeting members only"), required=False)


class AuditFilterForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *AuditKind.choices])
    action = forms.CharField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("Actor"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class _UserFormBase(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=50)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False, validators=[phone_validator])
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = assignable_roles(actor)
        self.fields["role"].choices = [  # type: ignore[attr-defined]
            ("", "---------"),
            *[(value, label) for value, label in Role.choices if value in allowed],
        ]
        self.fields["organisation"].queryset = (  # type: ignore[attr-defined]
            Organisation.objects.for_user(actor).filter(is_active=True).select_related("region")
        )


class UserCreateForm(_UserFormBase):
    username = forms.CharField(label=_("User name"), max_length=30, validators=[username_validator])
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("The user must change it at first sign-in."),
    )
    field_order = ["username", "name", "phone", "organisation", "role", "password"]

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This user name is taken."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            probe = User(username=data.get("username", ""), name=data.get("name", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class UserUpdateForm(_UserFormBase):
    is_active = forms.BooleanField(label=_("Active"), required=False)


class PasswordResetByAdminForm(BootstrapFormMixin, forms.Form):
    password = forms.CharField(
        label=_("New temporary password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("The user must change it at next sign-in."),
    )

    def __init__(self, *args: Any, target: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = target

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        password_validation.validate_password(password, self.target)
        return password
