from rxportal.core.errors import DomainError


class WhatIfNotFound(DomainError):
    code = "whatif.not_found"


class NoClaimsToTry(DomainError):
    code = "whatif.no_claims"


class RunInProgress(DomainError):
    """The same user already has a run of this client waiting or running (one at a time)."""

    code = "whatif.run_in_progress"
