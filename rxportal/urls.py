from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.utils.urlpatterns import decorate_urlpatterns

from rxportal.api.api import api
from rxportal.audit.phi_admin import phi_safe_autocomplete_view
from rxportal.content.views import cms_view, help_page, hub_sign_in_required
from rxportal.core.views import favicon, healthz

# The back office signs in through the portal's sign-in (SiteKey, new-device check, second
# factor), never through Django admin's own password form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
# Its autocomplete endpoint never searches a PHI admin's records (refused and recorded).
admin.site.autocomplete_view = phi_safe_autocomplete_view(admin.site)  # type: ignore[method-assign]

# allauth's rate limits answer with this view (429, in the portal's layout and language).
handler429 = "rxportal.accounts.views.common.rate_limited"
# A body too large for Django (RequestDataTooBig) is a 413 page, not a bare 400.
handler400 = "rxportal.core.views.bad_request"
# Branded error pages: the site's navigation, help lines and a way on (core/views.py).
handler403 = "rxportal.core.views.permission_denied"
handler404 = "rxportal.core.views.page_not_found"
handler500 = "rxportal.core.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Readiness and Prometheus's /metrics (restricted to allowed addresses): docs/operations.md.
    path("", include("rxportal.operations.urls")),
    # Browsers ask for /favicon.ico on pages that name no icon (a 404 in every console otherwise).
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path(settings.RXPORTAL_ADMIN_PATH, admin.site.urls),
    # Ours first: they shadow allauth's paths of the same name (accounts/login/ is step 1).
    path("", include("rxportal.accounts.urls")),
    path("staff/", include("rxportal.staff.urls")),
    path("pharmacies/", include("rxportal.pharmacies.urls")),
    path("drugs/", include("rxportal.formulary.urls")),
    path("costs/", include("rxportal.pricing.urls")),
    path("prescriptions/", include("rxportal.prescriptions.urls")),
    path("orders/", include("rxportal.orders.urls")),
    path("claims/", include("rxportal.claims.urls")),
    path("family/", include("rxportal.members.urls")),
    # The plan-design what-if lives under the drug-trend tool (same grant): rxportal/whatif.
    path(
        "clients/<uuid:client_public_id>/tools/drug-trend/what-if/",
        include("rxportal.whatif.urls"),
    ),
    # The drug-trend tool page is the analytics dashboard (ahead of the clients' placeholder).
    path("clients/<uuid:client_public_id>/tools/drug-trend/", include("rxportal.analytics.urls")),
    # The PHI tools (eligibility lookup, claims reports), also ahead of the placeholder.
    path("clients/<uuid:client_public_id>/tools/", include("rxportal.sponsor_tools.urls")),
    path("clients/", include("rxportal.clients.urls")),
    path("notifications/", include("rxportal.notifications.urls")),
    # Connected apps: OAuth 2.0 / OIDC (django-oauth-toolkit's endpoints with our consent
    # screen; never its application-management pages), discovery, the member's list in My
    # Account, the JSON API and FHIR R4 (SMART's discovery document ahead of the FHIR URLs).
    path("oauth/", include(("rxportal.connected_apps.oauth_urls", "oauth2_provider"))),
    path("", include("rxportal.connected_apps.discovery_urls")),
    path("my-account/connected-apps/", include("rxportal.connected_apps.urls")),
    path("fhir/R4/.well-known/", include("rxportal.connected_apps.smart_urls")),
    path("api/v1/", api.urls),
    path("fhir/R4/", include("rxportal.fhir.urls")),
    path("", include("rxportal.web.urls")),
    path("accounts/", include("allauth.account.urls")),
    path("accounts/2fa/", include("allauth.mfa.urls")),
    path("accounts/sessions/", include("allauth.usersessions.urls")),
    # Wagtail: the editor for PBM content editors only, documents after the audience check,
    # and the content hub's pages (audience checked in rxportal/content/wagtail_hooks.py).
    path("cms/", include(decorate_urlpatterns(wagtailadmin_urls.urlpatterns, cms_view))),
    path(
        "documents/",
        include(decorate_urlpatterns(list(wagtaildocs_urls.urlpatterns), hub_sign_in_required)),
    ),
    path("hub/", include(wagtail_urls)),
    # The public help center: Wagtail pages of its own tree, no sign-in (content/help_models.py).
    path("help/", help_page, name="help"),
    path("help/<path:path>", help_page, name="help_page"),
]
