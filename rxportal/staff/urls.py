from django.urls import path

from rxportal.clients.views import console as clients_console
from rxportal.notifications import views as notifications_views
from rxportal.staff.views import (
    account_changes,
    client_callers,
    home,
    member_callers,
    member_records,
)

app_name = "staff"
urlpatterns = [
    path("", home.home, name="home"),
    # A member who calls: verify them, act for them, then their orders and claims.
    path("members/lookup/", member_callers.member_lookup, name="member_lookup"),
    path("members/find/", member_callers.member_find, name="member_find"),
    path("members/<uuid:public_id>/", member_callers.member_detail, name="member_detail"),
    path(
        "members/<uuid:public_id>/records/",
        member_callers.member_records,
        name="member_records",
    ),
    path(
        "members/<uuid:public_id>/challenges/reset/",
        member_callers.member_challenges_reset,
        name="member_challenges_reset",
    ),
    path(
        "members/<uuid:public_id>/orders/",
        member_records.member_orders,
        name="member_orders",
    ),
    path(
        "members/<uuid:public_id>/orders/<uuid:order_id>/",
        member_records.member_order,
        name="member_order",
    ),
    path(
        "members/<uuid:public_id>/claims/",
        member_records.member_claims,
        name="member_claims",
    ),
    path(
        "members/<uuid:public_id>/claims/<uuid:claim_id>/",
        member_records.member_claim,
        name="member_claim",
    ),
    # A client or advisor who calls.
    path("clients/find/", client_callers.client_user_find, name="client_user_find"),
    path("clients/<uuid:public_id>/", client_callers.client_user_help, name="client_user_help"),
    # The account team: usernames and email addresses.
    path("users/search/", account_changes.user_search, name="user_search"),
    path("users/<uuid:public_id>/", account_changes.user_detail, name="user_detail"),
    # The account team's clients section (views in rxportal.clients).
    path("clients/", clients_console.queue, name="clients_queue"),
    path("clients/directory/", clients_console.directory, name="clients_directory"),
    path("clients/users/<uuid:public_id>/", clients_console.user_links, name="clients_user"),
    path(
        "clients/requests/<uuid:public_id>/",
        clients_console.request_decide,
        name="clients_request",
    ),
    path("clients/links/<uuid:public_id>/end/", clients_console.link_end, name="clients_link_end"),
    path(
        "clients/grants/<uuid:public_id>/revoke/",
        clients_console.grant_revoke,
        name="clients_grant_revoke",
    ),
    # The outbox's failed deliveries (views in rxportal.notifications).
    path("notifications/failed/", notifications_views.failed_list, name="notifications_failed"),
    path(
        "notifications/<uuid:public_id>/resend/",
        notifications_views.resend,
        name="notifications_resend",
    ),
]
