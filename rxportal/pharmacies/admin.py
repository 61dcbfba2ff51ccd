"""Back-office views of the pharmacy directory, networks and ZIP centroids."""

from django.contrib import admin

from rxportal.audit.phi_admin import ReferenceAdminMixin
from rxportal.pharmacies.models import Network, NetworkPharmacy, Pharmacy, ZipCentroid


@admin.register(Pharmacy)
class PharmacyAdmin(ReferenceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "license_number", "city", "state", "zip_code", "phone", "is_retail")
    list_filter = ("state", "is_retail", "is_mail", "is_specialty", "is_24_hours")
    search_fields = ("name", "license_number", "npi", "city", "zip_code")
    readonly_fields = ("public_id", "created_at", "updated_at")


class NetworkPharmacyInline(admin.TabularInline):
    model = NetworkPharmacy
    extra = 0
    raw_id_fields = ("pharmacy",)


@admin.register(Network)
class NetworkAdmin(ReferenceAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    readonly_fields = ("public_id", "created_at", "updated_at")
    inlines = (NetworkPharmacyInline,)


@admin.register(ZipCentroid)
class ZipCentroidAdmin(ReferenceAdminMixin, admin.ModelAdmin):
    list_display = ("zip_code", "state", "latitude", "longitude", "place_names")
    list_filter = ("state",)
    search_fields = ("zip_code", "place_names")
