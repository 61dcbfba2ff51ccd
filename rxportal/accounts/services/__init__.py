"""Account-security use cases, split by subdomain; the public names are re-exported here.

- ``lockout``: per-username lock-out, per-IP throttle, global CAPTCHA breaker.
- ``codes``: one-time codes by email or text.
- ``recovery_codes``: single-use MFA recovery codes.
- ``sitekey``: SiteKey choice and display, SMS phone.
- ``challenges``: challenge-question answers.
"""

from rxportal.accounts.services.challenges import (
    check_challenge_answer,
    pick_challenge_question,
    set_challenge_answers,
)
from rxportal.accounts.services.codes import issue_code, send_code, verify_code
from rxportal.accounts.services.lockout import (
    clear_throttle_for,
    find_user_for_sign_in,
    global_breaker_tripped,
    ip_throttle_exceeded,
    note_global_failure,
    note_ip_failure,
    record_sign_in_failure,
    record_sign_in_success,
    sign_in_gate,
)
from rxportal.accounts.services.recovery_codes import (
    count_unused_recovery_codes,
    generate_recovery_codes,
    use_recovery_code,
)
from rxportal.accounts.services.sitekey import (
    confirm_sms_phone,
    get_sitekey_for_login,
    set_sitekey,
    set_sms_phone,
)

__all__ = [
    "check_challenge_answer",
    "clear_throttle_for",
    "confirm_sms_phone",
    "count_unused_recovery_codes",
    "find_user_for_sign_in",
    "generate_recovery_codes",
    "get_sitekey_for_login",
    "global_breaker_tripped",
    "ip_throttle_exceeded",
    "issue_code",
    "note_global_failure",
    "note_ip_failure",
    "pick_challenge_question",
    "record_sign_in_failure",
    "record_sign_in_success",
    "send_code",
    "set_challenge_answers",
    "set_sitekey",
    "set_sms_phone",
    "sign_in_gate",
    "use_recovery_code",
    "verify_code",
]
