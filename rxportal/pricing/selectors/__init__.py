"""Reads of the cost estimator: what a fill will cost a member, and quotes against claims.

Every money figure here comes from `engine.adjudicate`; this module only gathers its inputs
(the member's formulary entry, benefit design, accumulators, the pharmacy's network status and
the drug's typical price) and says why a fill cannot be priced.

Specialty drugs: when the plan's design prices the drug's tier in the SPECIALTY channel, a
specialty drug is always estimated there (our specialty pharmacy dispenses it, 30 days at a
time), whatever retail or mail channel was asked for, and the estimate's `channel` says so.
When the design has no specialty row for the tier, the channel asked for is priced as usual
and the engine decides (it refuses a tier the design does not price in that channel).

Modules: `estimates` (a fill's cost, the estimator's look-ups), `quotes` (saved price quotes),
`comparison` (a quote beside the paid claim it covered). Import from this package.
"""

from rxportal.pricing.selectors.comparison import (
    QuoteComparison,
    accumulators_before_claim,
    find_claim_comparison_for_quote,
    find_quote_comparison,
)
from rxportal.pricing.selectors.estimates import (
    DRUG_MATCH_LIMIT,
    MEMBER_CHANNELS,
    NEARBY_PHARMACY_LIMIT,
    NEARBY_PHARMACY_RADIUS_MILES,
    ZERO,
    CostEstimate,
    FillEstimate,
    LimitState,
    OptionComparison,
    Viewer,
    compare_fill_options,
    current_accumulators,
    estimate_fill,
    estimate_fills,
    find_drug_by_public_id,
    find_pharmacy_by_public_id,
    get_cost_estimate,
    list_drugs_matching,
    list_estimator_pharmacies,
    list_fill_options,
)
from rxportal.pricing.selectors.quotes import (
    find_quote_for,
    is_quote_valid_on,
    last_valid_day,
    list_quotes_visible_to,
    quote_accumulators,
)

__all__ = [
    "DRUG_MATCH_LIMIT",
    "MEMBER_CHANNELS",
    "NEARBY_PHARMACY_LIMIT",
    "NEARBY_PHARMACY_RADIUS_MILES",
    "ZERO",
    "CostEstimate",
    "FillEstimate",
    "LimitState",
    "OptionComparison",
    "QuoteComparison",
    "Viewer",
    "accumulators_before_claim",
    "compare_fill_options",
    "current_accumulators",
    "estimate_fill",
    "estimate_fills",
    "find_claim_comparison_for_quote",
    "find_drug_by_public_id",
    "find_pharmacy_by_public_id",
    "find_quote_comparison",
    "find_quote_for",
    "get_cost_estimate",
    "is_quote_valid_on",
    "last_valid_day",
    "list_drugs_matching",
    "list_estimator_pharmacies",
    "list_fill_options",
    "list_quotes_visible_to",
    "quote_accumulators",
]
