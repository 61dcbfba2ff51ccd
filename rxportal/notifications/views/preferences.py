"""The notification settings page: which kinds a person gets on which channel (a table of
checkboxes, grouped by topic), the language of their messages and quiet hours for texts.
A plain form: it works without JavaScript."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from rxportal.notifications import kinds, selectors, services
from rxportal.notifications.errors import InvalidNotificationSettings

if TYPE_CHECKING:
    from rxportal.accounts.models import User

# The time zones offered (the United States and its territories); the site's own is always one.
TIME_ZONES: tuple[tuple[str, Any], ...] = (
    ("America/New_York", gettext_lazy("Eastern time")),
    ("America/Chicago", gettext_lazy("Central time")),
    ("America/Denver", gettext_lazy("Mountain time")),
    ("America/Phoenix", gettext_lazy("Mountain time (Arizona)")),
    ("America/Los_Angeles", gettext_lazy("Pacific time")),
    ("America/Anchorage", gettext_lazy("Alaska time")),
    ("Pacific/Honolulu", gettext_lazy("Hawaii time")),
    ("America/Puerto_Rico", gettext_lazy("Atlantic time (Puerto Rico)")),
    ("Pacific/Guam", gettext_lazy("Chamorro time (Guam)")),
)

CHANNEL_FIELD = "channel_on"


def _language_choices() -> list[tuple[str, Any]]:
    return list(settings.LANGUAGES)


def _time_zone_choices() -> list[tuple[str, Any]]:
    zones = list(TIME_ZONES)
    if settings.TIME_ZONE not in dict(zones):
        zones.insert(0, (settings.TIME_ZONE, settings.TIME_ZONE))
    return zones


class NotificationSettingsForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language of your messages"), choices=_language_choices
    )
    quiet_hours_start = forms.TimeField(
        label=gettext_lazy("No texts from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_hours_end = forms.TimeField(
        label=gettext_lazy("Until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    time_zone = forms.ChoiceField(label=gettext_lazy("Your time zone"), choices=_time_zone_choices)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (cleaned.get("quiet_hours_start") is None) != (cleaned.get("quiet_hours_end") is None):
            raise forms.ValidationError(
                _("Give both the start and the end of your quiet hours, or leave both empty.")
            )
        return cleaned


def _switched_on(request: HttpRequest) -> set[tuple[str, str]]:
    """The ticked boxes, ``kind:channel`` each (unknown ones are simply not kinds)."""
    chosen = set()
    for value in request.POST.getlist(CHANNEL_FIELD):
        kind, _sep, channel = value.rpartition(":")
        if kind in kinds.KINDS:
            chosen.add((kind, channel))
    return chosen


@never_cache
@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user = cast("User", request.user)  # @login_required
    current = selectors.get_notification_settings(user=user)
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.save_settings(user=user, **form.cleaned_data)
            except InvalidNotificationSettings:
                form.add_error(
                    None, _("Those settings could not be saved. Check them and try again.")
                )
            else:
                services.save_preferences(
                    user=user, switched_on=_switched_on(request), request=request
                )
                messages.success(request, _("Your notification settings are saved."))
                return HttpResponseRedirect(reverse("notifications:settings"))
    else:
        form = NotificationSettingsForm(
            initial={
                "language": current.language,
                "quiet_hours_start": current.quiet_hours_start,
                "quiet_hours_end": current.quiet_hours_end,
                "time_zone": current.time_zone,
            }
        )
    return render(
        request,
        "notifications/settings.html",
        {
            "form": form,
            "groups": [
                (kinds.TOPIC_LABELS[group.topic], group)
                for group in selectors.get_preference_matrix(user=user)
            ],
            "channel_field": CHANNEL_FIELD,
            "has_email": bool(user.email),
        },
    )
