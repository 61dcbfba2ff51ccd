"""No back-office pages for django-oauth-toolkit's models.

DOT registers pages for its apps, codes and tokens. A token is a bearer secret tied to a
member, and no one browses those; apps are registered by the register_connected_app command
(or in code: services.ensure_demo_mobile_app).
DOT's admin module is imported here first (this app comes before it in INSTALLED_APPS), so its
registrations exist to be taken back; admin autodiscovery will not run it again.
"""

from django.contrib import admin
from oauth2_provider import admin as dot_admin  # noqa: F401  (registers DOT's pages now)
from oauth2_provider import models as dot_models

for _model in (
    dot_models.Application,
    dot_models.AccessToken,
    dot_models.RefreshToken,
    dot_models.Grant,
    dot_models.IDToken,
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
