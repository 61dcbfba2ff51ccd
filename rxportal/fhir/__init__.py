"""FHIR R4 under /fhir/R4: Patient Access (Patient, Coverage, CARIN Blue Button
ExplanationOfBenefit) behind SMART scopes, and the public formulary (Da Vinci US Drug Formulary)
and pharmacy directory (Da Vinci Plan-Net). Resources are built as plain dicts by the builders
here and checked by fhir.resources in the tests; ``http`` answers, negotiates and pages.
"""
