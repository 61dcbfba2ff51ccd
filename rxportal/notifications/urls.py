from django.urls import path

from rxportal.notifications.views import inbox, preferences, unsubscribe

app_name = "notifications"
urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("read-all/", inbox.mark_all_read, name="mark_all_read"),
    path("settings/", preferences.settings_page, name="settings"),
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("<uuid:public_id>/", inbox.message, name="message"),
]
