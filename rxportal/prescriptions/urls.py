from django.urls import URLPattern

app_name = "prescriptions"
urlpatterns: list[URLPattern] = []
