"""Pharmacy directory, plan networks and ZIP centroids for distance search."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from rxportal.core.models import BaseModel


class Pharmacy(BaseModel):
    npi = models.CharField("NPI", max_length=10, blank=True)
    license_number = models.CharField(
        max_length=40, unique=True, help_text="State license id, or NPI when licensed elsewhere"
    )
    name = models.CharField(max_length=200)
    address_line = models.CharField(max_length=200, blank=True)  # one real CT row has none
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    zip_code = models.CharField(max_length=10)
    phone = models.CharField(max_length=32, blank=True)
    hours = models.CharField(max_length=200, blank=True)
    is_24_hours = models.BooleanField(default=False)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    is_retail = models.BooleanField(default=True)
    is_mail = models.BooleanField(default=False)
    is_specialty = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "pharmacies"
        indexes = [
            models.Index(fields=["zip_code"]),
            models.Index(fields=["latitude", "longitude"]),
            # The public directory's name search (FHIR string search: a case-blind prefix,
            # UPPER(name) LIKE 'X%'). On PostgreSQL migration 0003 builds it with
            # text_pattern_ops, which LIKE needs in any collation but C.
            models.Index(Upper("name"), name="pharmacy_name_prefix"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | (Q(latitude__gte=-90) & Q(latitude__lte=90)),
                name="pharmacy_latitude_in_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True)
                | (Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="pharmacy_longitude_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Network(BaseModel):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class NetworkPharmacy(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    pharmacy = models.ForeignKey(
        Pharmacy, on_delete=models.CASCADE, related_name="network_memberships"
    )
    is_preferred = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "pharmacy"], name="network_pharmacy_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id}/{self.pharmacy_id}{' (preferred)' if self.is_preferred else ''}"


class ZipCentroid(models.Model):
    zip_code = models.CharField(max_length=5, primary_key=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    state = models.CharField(max_length=2)
    place_names = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["zip_code"]

    def __str__(self) -> str:
        return self.zip_code
