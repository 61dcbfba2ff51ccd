from django.urls import path

from rxportal.clients.views import console as clients_console
from rxportal.notifications import views as notifications_views
from rxportal.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("members/lookup/", views.member_lookup, name="member_lookup"),
    path("members/<uuid:public_id>/", views.member_detail, name="member_detail"),
    path("users/search/", views.user_search, name="user_search"),
    path("users/<uuid:public_id>/", views.user_detail, name="user_detail"),
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

# Service center: find a caller by name, their records with a reason code, client/advisor callers.
from rxportal.staff import service_center_views  # noqa: E402

urlpatterns += [
    path("members/find/", service_center_views.member_find, name="member_find"),
    path(
        "members/<uuid:public_id>/records/",
        service_center_views.member_records,
        name="member_records",
    ),
    path(
        "members/<uuid:public_id>/orders/",
        service_center_views.member_orders,
        name="member_orders",
    ),
    path(
        "members/<uuid:public_id>/orders/<uuid:order_id>/",
        service_center_views.member_order,
        name="member_order",
    ),
    path(
        "members/<uuid:public_id>/claims/",
        service_center_views.member_claims,
        name="member_claims",
    ),
    path(
        "members/<uuid:public_id>/claims/<uuid:claim_id>/",
        service_center_views.member_claim,
        name="member_claim",
    ),
    path(
        "members/<uuid:public_id>/challenges/reset/",
        service_center_views.member_challenges_reset,
        name="member_challenges_reset",
    ),
    path("clients/find/", service_center_views.client_user_find, name="client_user_find"),
    path(
        "clients/<uuid:public_id>/",
        service_center_views.client_user_help,
        name="client_user_help",
    ),
]
