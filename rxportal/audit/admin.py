"""The staff search over the audit trail: read-only, PBM staff only, and itself audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse

from rxportal.audit import domain, selectors, services
from rxportal.audit.models import AuditEvent, Outcome

QUERY_MAX_LENGTH = 200


class ActionNamespaceFilter(admin.SimpleListFilter):
    """Filter on the first segment of the action code (auth, staff, phi, audit)."""

    title = "action"
    parameter_name = "action_prefix"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        # A fixed list: a DISTINCT over the whole table on every page load would not scale.
        return [(namespace, namespace) for namespace in domain.ACTION_NAMESPACES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        prefix = self.value()
        if not prefix:
            return queryset
        return queryset.filter(Q(action=prefix) | Q(action__startswith=f"{prefix}."))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "actor_username",
        "action",
        "outcome",
        "subject_type",
        "subject_id",
        "ip_address",
    )
    list_filter = ("outcome", ActionNamespaceFilter)
    date_hierarchy = "occurred_at"
    search_fields = ("actor_username", "action", "=subject_id", "ip_address")
    ordering = ("-sequence",)
    list_per_page = 100
    show_full_result_count = False  # no COUNT(*) over the whole trail on each search
    actions = None
    fields = (
        "sequence",
        "public_id",
        "occurred_at",
        "actor",
        "actor_username",
        "actor_role",
        "action",
        "outcome",
        "subject_type",
        "subject_id",
        "ip_address",
        "user_agent",
        "reason",
        "details",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return selectors.search_events(viewer=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return selectors.can_view_audit_trail(request.user) and super().has_module_permission(
            request
        )

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return selectors.can_view_audit_trail(request.user) and super().has_view_permission(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Searching the trail is a staff action, so it is recorded (refusals too)."""
        allowed = self.has_view_permission(request)
        services.record_event(
            action=domain.AUDIT_SEARCHED,
            outcome=Outcome.SUCCESS if allowed else Outcome.DENIED,
            actor=request.user,
            request=request,
            details={"query": request.GET.urlencode()[:QUERY_MAX_LENGTH]},
        )
        if not allowed:
            raise PermissionDenied
        return super().changelist_view(request, extra_context)
