"""Writes to the child registry. Each is atomic, audited against the child, and keeps the
computed eligibility, the pinyin search keys and the to-do items in step.

- ``files``: writing a file (fields, family, guardian), eligibility, who may write which file;
- ``review``: submit, approve, return, confirm; exits proposed and confirmed;
- ``daily``: the daily re-evaluation and the exits proposed at 16;
- ``transfers``: files moving between villages.
"""

from registry.services.daily import birthday, daily_reevaluation
from registry.services.files import (
    CHILD_FIELDS,
    EDITABLE_BY_VILLAGE,
    ELIGIBILITY_FIELDS,
    FATHER_CODES,
    GUARDIAN_FIELDS,
    MEMBER_FIELDS,
    MOTHER_CODES,
    MemberData,
    apply_eligibility,
    change_needs_review,
    check_in_scope,
    child_save,
    facts_of,
    has_open_item,
    raise_lives_alone,
    thresholds,
    township_review_item,
    village_fix_item,
    write_file,
)
from registry.services.review import (
    child_approve,
    child_confirm,
    child_confirm_exit,
    child_propose_exit,
    child_reject_exit,
    child_return,
    child_submit,
)
from registry.services.transfers import (
    can_decide,
    can_withdraw,
    has_decision_to_acknowledge,
    transfer_acknowledge,
    transfer_decide,
    transfer_decider_side,
    transfer_request,
    transfer_send,
    transfer_withdraw,
)

__all__ = [
    "CHILD_FIELDS",
    "EDITABLE_BY_VILLAGE",
    "ELIGIBILITY_FIELDS",
    "FATHER_CODES",
    "GUARDIAN_FIELDS",
    "MEMBER_FIELDS",
    "MOTHER_CODES",
    "MemberData",
    "apply_eligibility",
    "birthday",
    "can_decide",
    "can_withdraw",
    "change_needs_review",
    "check_in_scope",
    "child_approve",
    "child_confirm",
    "child_confirm_exit",
    "child_propose_exit",
    "child_reject_exit",
    "child_return",
    "child_save",
    "child_submit",
    "daily_reevaluation",
    "facts_of",
    "has_decision_to_acknowledge",
    "has_open_item",
    "raise_lives_alone",
    "thresholds",
    "township_review_item",
    "transfer_acknowledge",
    "transfer_decide",
    "transfer_decider_side",
    "transfer_request",
    "transfer_send",
    "transfer_withdraw",
    "village_fix_item",
    "write_file",
]
