from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Child registry")

    def ready(self) -> None:
        from core.audit import register_actions

        register_actions(
            {
                "child.create": _("Created a child's file"),
                "child.update": _("Changed a child's file"),
                "child.submit": _("Submitted for review"),
                "child.approve": _("Approved by the township"),
                # Kept for the history written before changes were held for review.
                "child.approve_change": _("Change accepted by the township"),
                "child.propose_change": _("Change sent for review (not yet applied)"),
                "child.accept_change": _("Change accepted by the township and applied"),
                "child.return": _("Returned for correction"),
                "child.return_change": _("Change returned for correction"),
                "child.withdraw_change": _("Change withdrawn"),
                "child.confirm": _("Entry confirmed by the district"),
                "child.propose_exit": _("Exit proposed"),
                "child.exit": _("Exit confirmed"),
                "child.reject_exit": _("Exit rejected"),
                "child.view": _("Viewed a dossier"),
                "child.reveal": _("Revealed ID numbers and phones"),
                "child.edit_view": _("Opened the edit form (full ID numbers and phones shown)"),
                "child.print": _("Printed a dossier"),
                "child.pdf": _("Downloaded a dossier as PDF"),
                "child.scan": _("Opened an entrustment confirmation scan"),
                "ledger.export": _("Exported a ledger"),
                "child.transfer_send": _("Transfer sent"),
                "child.transfer_request": _("Transfer asked for"),
                "child.transfer_accept": _("Transfer accepted"),
                "child.transfer_reject": _("Transfer refused"),
                "child.transfer_withdraw": _("Transfer withdrawn"),
                "child.found_elsewhere": _(
                    "Typed this child's ID number in another township (only the township was shown)"
                ),
                "worklist.open": _("Opened a to-do item"),
                "worklist.close": _("Closed a to-do item"),
                "worklist.move": _("Passed a to-do item to the file's new village or township"),
            }
        )
