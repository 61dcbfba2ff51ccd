"""Two connected apps may not share a name a member could not tell apart on the consent screen:
names are compared after Unicode NFKC, case folding and collapsed whitespace."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from oauth2_provider.models import Application

from rxportal.connected_apps.domain import app_name_key
from rxportal.connected_apps.errors import AppNameTaken
from rxportal.connected_apps.forms import AppNameForm
from rxportal.connected_apps.services import register_public_app

URIS = ["https://app.example.test/callback"]


@pytest.mark.parametrize(
    "other",
    [
        "My  App",  # two spaces
        "my app",
        "ＭＹ ＡＰＰ",  # full-width letters
        "ｍｙ\u3000app",  # full-width letters, ideographic space
        " My App\t",
        "MY APP",
    ],
)
def test_names_that_look_the_same_share_one_key(other: str) -> None:
    assert app_name_key(other) == app_name_key("My App")


@pytest.mark.parametrize(
    "other",
    [
        "My\u200b App",  # zero-width space
        "My App\u2060",  # word joiner
        "\ufeffMy App",  # byte-order mark
        "My\u00ad App",  # soft hyphen
        "My\u200d App\u200e",  # zero-width joiner, left-to-right mark
    ],
)
def test_invisible_format_characters_do_not_make_a_name_new(other: str) -> None:
    """They render as nothing on the consent screen, so they cannot tell two apps apart."""
    assert app_name_key(other) == app_name_key("My App")


def test_different_names_keep_different_keys() -> None:
    assert app_name_key("My App") != app_name_key("My Apps")
    assert app_name_key("My App") != app_name_key("MyApp")


@pytest.mark.django_db
@pytest.mark.parametrize("other", ["My  App", "ｍｙ app", "ＭＹ\u3000ＡＰＰ"])
def test_registering_a_name_that_collides_after_normalisation_is_refused(other: str) -> None:
    register_public_app(name="My App", redirect_uris=URIS)

    with pytest.raises(AppNameTaken):
        register_public_app(name=other, redirect_uris=URIS)

    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_the_form_says_why_in_english_and_spanish() -> None:
    register_public_app(name="My App", redirect_uris=URIS)

    with translation.override("en"):
        form = AppNameForm(data={"name": "ｍｙ  app"})
        assert not form.is_valid()
        assert "Another app already has this name" in form.errors["name"][0]
    with translation.override("es"):
        form = AppNameForm(data={"name": "ｍｙ  app"})
        assert not form.is_valid()
        assert "Otra aplicación ya tiene este nombre" in form.errors["name"][0]

    assert AppNameForm(data={"name": "Another App"}).is_valid()


@pytest.mark.django_db
def test_the_command_refuses_a_colliding_name_with_the_forms_words() -> None:
    register_public_app(name="My App", redirect_uris=URIS)

    with pytest.raises(CommandError, match="Another app already has this name"):
        call_command("register_connected_app", name="MY  APP", redirect_uris=URIS)

    assert Application.objects.count() == 1
