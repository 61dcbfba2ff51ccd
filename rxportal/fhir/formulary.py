"""The public formulary under /fhir/R4 (Da Vinci US Drug Formulary STU 2.0.1): InsurancePlan
(payer plans and formularies), Basic (formulary items) and MedicationKnowledge (formulary
drugs), read and searched without sign-in. Public facts only: no member, no audit of PHI.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern, path

from rxportal.fhir import usdf
from rxportal.fhir.public_search import (
    NotFound,
    SearchError,
    bundle,
    check_parameters,
    includes,
    page_size,
    public_endpoint,
    read_cursor,
    reference_ids,
    search_param,
    token_codes,
    values_of,
)
from rxportal.formulary import published as formularies
from rxportal.plans import published as plans

_ID = "[A-Za-z0-9.-]{1,64}"

# --- InsurancePlan: payer plans, then formularies --------------------------------------------

_PLAN_PARAMETERS = ("_id", "identifier", "type", "name", "formulary-coverage", "_include")
_PLAN_INCLUDE = "InsurancePlan:formulary-coverage"


def _plan_types(request: HttpRequest) -> tuple[bool, set[str] | None]:
    """(whether formularies match, which plan kinds match: None for any)."""
    values = values_of(request, "type")
    if values is None:
        return True, None
    want_formularies = False
    kinds: set[str] = set()
    by_code = {code: kind for kind, code in usdf.PRODUCT_TYPE_BY_KIND.items()}
    for value in values:
        system, _, code = value.rpartition("|")
        if code == usdf.FORMULARY_TYPE_CODE and system in ("", usdf.ACT_CODE):
            want_formularies = True
        elif code in by_code and system in ("", usdf.PRODUCT_TYPE):
            kinds.add(by_code[code])
    return want_formularies, kinds


@public_endpoint
def search_insurance_plans(request: HttpRequest) -> dict[str, Any]:
    check_parameters(request, _PLAN_PARAMETERS)
    wanted_includes = includes(request, [_PLAN_INCLUDE])
    count = page_size(request)
    ids = values_of(request, "_id")
    identifiers = values_of(request, "identifier")
    if ids is not None and identifiers is not None:
        codes: list[str] | None = sorted(set(ids) & set(identifiers))
    else:
        codes = ids if ids is not None else identifiers
    name = (values_of(request, "name") or [""])[0]
    want_formularies, kinds = _plan_types(request)
    covered = reference_ids(request, "formulary-coverage", resource_type="InsurancePlan")
    cursor = read_cursor(request, "InsurancePlan") or ["plan", None]
    if not isinstance(cursor, list) or len(cursor) != 2 or cursor[0] not in ("plan", "formulary"):
        raise SearchError("The _cursor is not one this server issued.")
    phase, after = cursor

    resources: list[dict[str, Any]] = []
    next_cursor: list[Any] | None = None
    if phase == "plan" and (kinds is None or kinds):
        page = plans.list_published_plans(
            codes=codes,
            name_prefix=name,
            formulary_codes=covered,
            kinds=kinds,
            after=after,
            limit=count,
        )
        resources += [usdf.payer_plan(plan) for plan in page.plans]
        if page.next_after is not None:
            next_cursor = ["plan", page.next_after]
        phase, after = "formulary", None
    elif phase == "plan":
        phase, after = "formulary", None
    room = count - len(resources)
    if next_cursor is None and phase == "formulary" and want_formularies and covered is None:
        if room > 0:
            page_f = formularies.list_formularies(
                codes=codes, name_prefix=name, after=after, limit=room
            )
            resources += [usdf.formulary_plan(formulary) for formulary in page_f.rows]
            if page_f.next_after is not None:
                next_cursor = ["formulary", page_f.next_after]
        elif formularies.list_formularies(codes=codes, name_prefix=name, after=after, limit=1).rows:
            next_cursor = ["formulary", after]
    included: list[dict[str, Any]] = []
    if _PLAN_INCLUDE in wanted_includes:
        referenced = {
            extension["valueReference"]["reference"].split("/")[-1]
            for resource in resources
            for coverage in resource.get("coverage", [])
            for extension in coverage["extension"]
        }
        if referenced:
            found = formularies.list_formularies(codes=referenced, limit=len(referenced))
            included = [usdf.formulary_plan(formulary) for formulary in found.rows]
    return bundle(
        request, kind="InsurancePlan", matches=resources, after=next_cursor, included=included
    )


@public_endpoint
def read_insurance_plan(request: HttpRequest, resource_id: str) -> dict[str, Any]:
    check_parameters(request, ())
    formulary = formularies.find_formulary(resource_id)
    if formulary is not None:
        return usdf.formulary_plan(formulary)
    plan = plans.find_published_plan(resource_id)
    if plan is not None:
        return usdf.payer_plan(plan)
    raise NotFound(f"No InsurancePlan/{resource_id}.")


# --- MedicationKnowledge: the drugs on the formularies ---------------------------------------

_DRUG_PARAMETERS = ("_id", "code", "code:text", "drug-name", "status")


@public_endpoint
def search_drugs(request: HttpRequest) -> dict[str, Any]:
    check_parameters(request, _DRUG_PARAMETERS)
    count = page_size(request)
    rxcuis = values_of(request, "_id")
    codes = token_codes(request, "code", system=usdf.RXNORM)
    if codes is not None:
        rxcuis = codes if rxcuis is None else sorted(set(rxcuis) & set(codes))
    name = request.GET.get("code:text", "") or request.GET.get("drug-name", "")
    statuses = values_of(request, "status")
    if statuses is not None and "active" not in statuses:
        return bundle(request, kind="MedicationKnowledge", matches=[], after=None)
    page = formularies.list_formulary_drugs(
        rxcuis=rxcuis,
        name_contains=name.strip(),
        after=read_cursor(request, "MedicationKnowledge"),
        limit=count,
    )
    return bundle(
        request,
        kind="MedicationKnowledge",
        matches=[usdf.formulary_drug(drug) for drug in page.rows],
        after=page.next_after,
    )


@public_endpoint
def read_drug(request: HttpRequest, resource_id: str) -> dict[str, Any]:
    check_parameters(request, ())
    drug = formularies.find_formulary_drug(resource_id)
    if drug is None:
        raise NotFound(f"No MedicationKnowledge/{resource_id}.")
    return usdf.formulary_drug(drug)


# --- Basic: formulary items ------------------------------------------------------------------

_ITEM_PARAMETERS = ("_id", "code", "formulary", "subject", "drug-tier", "status", "_include")
_ITEM_INCLUDES = ("Basic:formulary", "Basic:subject")


@public_endpoint
def search_items(request: HttpRequest) -> dict[str, Any]:
    check_parameters(request, _ITEM_PARAMETERS)
    wanted_includes = includes(request, _ITEM_INCLUDES)
    count = page_size(request)
    item_codes = token_codes(request, "code", system=usdf.ITEM_TYPE)
    statuses = values_of(request, "status")
    if (item_codes is not None and "formulary-item" not in item_codes) or (
        statuses is not None and "active" not in statuses
    ):
        return bundle(request, kind="Basic", matches=[], after=None)
    formulary_codes = reference_ids(request, "formulary", resource_type="InsurancePlan")
    rxcuis = reference_ids(request, "subject", resource_type="MedicationKnowledge")
    ids = values_of(request, "_id")
    if ids is not None:
        pairs = [usdf.split_item_id(resource_id) for resource_id in ids]
        known = [pair for pair in pairs if pair is not None]
        if len(known) != 1:  # an item id names one formulary and one drug
            raise SearchError("Search Basic by one _id (or read Basic/<id>).")
        formulary_codes = [known[0][0]] if formulary_codes in (None, [known[0][0]]) else []
        rxcuis = [known[0][1]] if rxcuis in (None, [known[0][1]]) else []
    page = formularies.list_formulary_items(
        formulary_codes=formulary_codes,
        rxcuis=rxcuis,
        tiers=token_codes(request, "drug-tier", system=usdf.DRUG_TIER),
        after=read_cursor(request, "Basic"),
        limit=count,
    )
    included: list[dict[str, Any]] = []
    for item in page.rows:
        if "Basic:formulary" in wanted_includes:
            included.append(usdf.formulary_plan(item.formulary))
        if "Basic:subject" in wanted_includes:
            included.append(usdf.formulary_drug(item.drug))
    return bundle(
        request,
        kind="Basic",
        matches=[usdf.formulary_item(item) for item in page.rows],
        after=page.next_after,
        included=included,
    )


@public_endpoint
def read_item(request: HttpRequest, resource_id: str) -> dict[str, Any]:
    check_parameters(request, ())
    pair = usdf.split_item_id(resource_id)
    item = None if pair is None else formularies.find_formulary_item(*pair)
    if item is None:
        raise NotFound(f"No Basic/{resource_id}.")
    return usdf.formulary_item(item)


urlpatterns: list[URLPattern] = [
    path("InsurancePlan", search_insurance_plans, name="insuranceplan-search"),
    path("InsurancePlan/<str:resource_id>", read_insurance_plan, name="insuranceplan-read"),
    path("MedicationKnowledge", search_drugs, name="medicationknowledge-search"),
    path("MedicationKnowledge/<str:resource_id>", read_drug, name="medicationknowledge-read"),
    path("Basic", search_items, name="basic-search"),
    path("Basic/<str:resource_id>", read_item, name="basic-read"),
]


# Read by the CapabilityStatement at /fhir/R4/metadata.
CAPABILITIES: list[dict[str, Any]] = [
    {
        "type": "InsurancePlan",
        "supportedProfile": [usdf.PAYER_PLAN_PROFILE, usdf.FORMULARY_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchInclude": [_PLAN_INCLUDE],
        "searchParam": [
            search_param("_id", "token", "The plan's or the formulary's code."),
            search_param("identifier", "token", "The plan's or the formulary's code."),
            search_param("type", "token", "DRUGPOL for formularies; qhp or medid for payer plans."),
            search_param("name", "string", "Name starts with (case-insensitive)."),
            search_param("formulary-coverage", "reference", "Payer plans covering this formulary."),
        ],
    },
    {
        "type": "MedicationKnowledge",
        "supportedProfile": [usdf.DRUG_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            search_param("_id", "token", "The RxNorm code."),
            search_param("code", "token", "RxNorm code (system|code or code)."),
            search_param("drug-name", "string", "Drug name contains (case-insensitive)."),
            search_param("status", "token", "active"),
        ],
    },
    {
        "type": "Basic",
        "supportedProfile": [usdf.ITEM_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchInclude": list(_ITEM_INCLUDES),
        "searchParam": [
            search_param("_id", "token", "<formulary code>-<RxNorm code>."),
            search_param("code", "token", "formulary-item"),
            search_param("formulary", "reference", "InsurancePlan/<formulary code>."),
            search_param("subject", "reference", "MedicationKnowledge/<RxNorm code>."),
            search_param("drug-tier", "token", "A Da Vinci drug tier code."),
            search_param("status", "token", "active"),
        ],
    },
]
