"""Staff console forms, one module per journey (input shape only; the rules are in the
services): ``member_callers`` (a member who calls), ``client_callers`` (a client or advisor who
calls), ``account_changes`` (the account team's username and email changes), and ``common``."""
