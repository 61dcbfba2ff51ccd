from django.urls import path

from rxportal.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("members/lookup/", views.member_lookup, name="member_lookup"),
    path("members/<uuid:public_id>/", views.member_detail, name="member_detail"),
    path("users/search/", views.user_search, name="user_search"),
    path("users/<uuid:public_id>/", views.user_detail, name="user_detail"),
]
