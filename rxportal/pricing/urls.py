from django.urls import path

from rxportal.pricing import views

app_name = "pricing"
urlpatterns = [
    path("estimate/", views.estimate, name="estimate"),
    path("quotes/", views.quote_list, name="quotes"),
    path("quotes/new/", views.save_quote, name="save_quote"),
    path("quotes/<uuid:public_id>/", views.quote_detail, name="quote"),
]
