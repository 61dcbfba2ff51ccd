"""The hub's documents, images and tags are edited in Wagtail (/cms/), where the audience rules
and the editors' group apply; the back office does not show them a second way."""

from django.contrib import admin
from taggit import admin as taggit_admin  # registers Tag; imported so it is registered first
from taggit.models import Tag
from wagtail.documents import admin as documents_admin  # registers Document
from wagtail.documents.models import Document
from wagtail.images import admin as images_admin  # registers Image
from wagtail.images.models import Image

del taggit_admin, documents_admin, images_admin

for model in (Tag, Document, Image):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
