"""The PBM staff console's pages, one module per journey: ``home``, ``member_callers`` (verify
a member who calls and act for them), ``member_records`` (their orders and claims, behind the
caller check and a reason code), ``client_callers`` (a client or advisor who calls),
``account_changes`` (the account team's username and email changes); ``common`` holds the
permission gate every page goes through. The account team's clients section is in
``rxportal.clients.views.console``."""
