"""The staff console's use cases, one module per subject; every one audited (``common``).

- ``lookups``: verifying a member caller, searching accounts, opening a record (audited reads).
- ``service_center``: a verified caller's orders and claims, and client or advisor callers.
- ``verification``: which callers this staff session verified, and for how long.
- ``usernames``: the account team's username change; username reminders to a verified caller.
- ``emails``: the account team's email change.
- ``unlock``: clearing a sign-in lock-out.
- ``challenges``: resetting a member's challenge questions.
- ``common``: the opening every action shares (who may, the reason, refusals audited).

Who may do what is ``rxportal.staff.access``; what is refused, ``rxportal.staff.errors``.
"""
