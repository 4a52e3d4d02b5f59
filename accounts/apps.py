from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (audit of sign-in and sign-out)
        from core.audit import register_actions

        register_actions(
            {
                "auth.login": _("Signed in"),
                "auth.logout": _("Signed out"),
                "auth.login_failed": _("Failed sign-in"),
                "user.create": _("Created a user"),
                "user.update": _("Changed a user"),
                "user.reset_password": _("Reset a password"),
                "user.change_password": _("Changed own password"),
                "organisation.create": _("Created an organisation"),
                "organisation.update": _("Changed an organisation"),
                "regions.load": _("Loaded division codes"),
                "demo.load": _("Loaded demo data"),
            }
        )
