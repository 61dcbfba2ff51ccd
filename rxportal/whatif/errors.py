from rxportal.core.errors import DomainError


class WhatIfNotFound(DomainError):
    code = "whatif.not_found"


class NoClaimsToTry(DomainError):
    code = "whatif.no_claims"
