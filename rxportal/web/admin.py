"""The staff back office's titles (the ModelAdmins live in each app's admin.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("rxportal back office")
admin.site.site_title = _("rxportal back office")
admin.site.index_title = _("Plans, members, claims and orders")
