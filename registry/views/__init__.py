"""The registry's pages. Thin: they parse, call a service or a selector, and render.

- ``lists``: the children list and the ledger export;
- ``files``: one child's file (form, dossier, print, PDF, scans, review and exit actions);
- ``transfers``: files moving between villages.
"""

from registry.views.files import (
    change_scan,
    child_action,
    child_create,
    child_detail,
    child_pdf,
    child_print,
    child_reveal,
    child_update,
    entrustment_scan,
)
from registry.views.lists import LIST_MAX_PAGES, child_list, ledger_export
from registry.views.transfers import transfer_detail, transfer_list, transfer_request, transfer_send

__all__ = [
    "LIST_MAX_PAGES",
    "change_scan",
    "child_action",
    "child_create",
    "child_detail",
    "child_list",
    "child_pdf",
    "child_print",
    "child_reveal",
    "child_update",
    "entrustment_scan",
    "ledger_export",
    "transfer_detail",
    "transfer_list",
    "transfer_request",
    "transfer_send",
]
