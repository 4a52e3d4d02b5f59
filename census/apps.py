from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CensusConfig(AppConfig):
    name = "census"
    verbose_name = _("Census")

    def ready(self) -> None:
        from core.audit import register_actions

        register_actions(
            {
                "census.open": _("Opened a census campaign"),
                "census.save": _("Saved a village census return"),
                "census.certify": _("Certified a village census return"),
                "census.reopen": _("Returned a village census return for correction"),
                "census.countersign": _("Countersigned a township's census"),
                "census.sign": _("Signed and closed a census campaign"),
            }
        )
