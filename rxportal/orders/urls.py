from django.urls import path

from rxportal.orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("addresses/", views.address_list, name="addresses"),
    path("addresses/new/", views.address_add, name="address_add"),
    path(
        "addresses/<uuid:public_id>/default/",
        views.address_set_default,
        name="address_set_default",
    ),
    path("addresses/<uuid:public_id>/remove/", views.address_remove, name="address_remove"),
    path("<uuid:public_id>/", views.order_detail, name="detail"),
    path("<uuid:public_id>/cancel/", views.order_cancel, name="cancel"),
]
