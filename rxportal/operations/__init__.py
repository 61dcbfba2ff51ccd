"""Operations: request ids and structured logs, Prometheus metrics, readiness.

Nothing here reads member data; see docs/operations.md.
"""
