"""Password rules (NIST SP 800-63B): 15 to 256 characters, any Unicode and spaces, no composition
rules, refused with the reason when common, predictable or personal."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from rxportal.accounts.models import User
from rxportal.accounts.password_validation import fold, is_predictable
from tests.accounts.test_registration_support import adult_member, prove_membership, sign_up
from tests.accounts.test_signin_support import fresh_cache  # noqa: F401

WORDS = [
    "river",
    "stone",
    "lantern",
    "maple",
    "violin",
    "canoe",
    "orchard",
    "comet",
    "sparrow",
    "meadow",
    "bridge",
    "cabin",
    "pony",
    "harbor",
    "garden",
    "teacup",
    "kitten",
    "window",
    "thunder",
    "pepper",
    "marble",
    "ladder",
    "pocket",
    "silver",
    "candle",
    "forest",
    "engine",
    "basket",
    "feather",
    "island",
    "jacket",
    "kettle",
    "lemon",
    "mirror",
    "needle",
    "orange",
    "pillow",
    "quilt",
    "rocket",
    "saddle",
    "tunnel",
    "velvet",
    "wagon",
    "yellow",
    "zipper",
    "anchor",
    "blanket",
    "cherry",
    "dolphin",
]


def passphrase(length: int) -> str:
    """Distinct ordinary words, cut to exactly ``length`` characters (no repetition in it)."""
    text = " ".join(WORDS)
    assert len(text) >= length
    return text[:length]


DANA = User(username="dana_r", email="dana.rivera@example.org", first_name="Dana", last_name="Li")


def errors_for(password: str, user: User | None = DANA) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [e.code or "" for e in error.error_list]
    return []


@pytest.mark.parametrize(
    "password",
    [
        "a quiet harbor!",  # 15
        passphrase(64),
        passphrase(100),
        "🔥 tacos at the lake house 🌮 🌮",
        "    spaces    inside   and   out    ",
        "contraseña del desayuno tranquilo",
        "パスワードは長くても大丈夫です、本当に",
        "Correct horse battery staple",
    ],
)
def test_long_passphrases_of_any_characters_are_accepted(password: str) -> None:
    assert errors_for(password) == []


def test_the_lengths_at_the_edges() -> None:
    assert errors_for("a quiet harbor") == ["password_too_short"]  # 14
    assert errors_for("a quiet harbor!") == []  # 15
    assert errors_for(passphrase(64)) == []
    assert errors_for(passphrase(256)) == []
    assert errors_for(passphrase(256) + "s") == ["password_too_long"]  # 257


def test_length_is_counted_after_unicode_normalization() -> None:
    # "ﬃ" (one ligature character) is "ffi" (three) after NFKC: 254 + 3 = 257.
    assert len(passphrase(254) + "ﬃ") == 255
    assert "password_too_long" in errors_for(passphrase(254) + "ﬃ")
    assert fold("ﬁ ﬁ") == "fifi"


@pytest.mark.parametrize(
    "password",
    [
        "password123456789",
        "qwertyqwertyqwerty",
        "aaaaaaaaaaaaaaaaaaaa",
        "123456789012345678",
        "sunshine!!!!!!!!!!",
        "iloveyou 12345678",
        "abcdefghijklmnopq",
        "1q2w3e4r5t6y7u8i9o",
        "................",
    ],
)
def test_common_and_predictable_passwords_are_refused_with_the_reason(password: str) -> None:
    codes = errors_for(password, user=None)

    assert codes, password
    assert set(codes) <= {"password_too_common", "password_predictable"}


def test_the_predictable_check_allows_one_ordinary_word_among_others() -> None:
    assert not is_predictable("dragon slayer of the north")
    assert is_predictable("dragon123456789")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("my name is dana_r and I sail", "password_contains_username"),
        ("DANA-R likes long walks outside", "password_contains_username"),
        ("dana.rivera writes poems at night", "password_contains_username"),
        ("Dana sails the harbor every day", "password_contains_name"),
    ],
)
def test_passwords_containing_the_username_email_or_name_are_refused(
    password: str, code: str
) -> None:
    assert errors_for(password) == [code]


def test_names_shorter_than_three_letters_are_not_checked() -> None:
    # The last name "Li" is inside "lighthouse"; that is not a reason to refuse.
    assert errors_for("a lighthouse over the bay") == []


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_cache")
class TestOnTheRegistrationPage:
    def test_a_short_password_is_refused_with_the_reason(self, client: Client) -> None:
        prove_membership(client, adult_member())

        response = sign_up(client, password1="a quiet harbor", password2="a quiet harbor")

        html = response.content.decode()
        assert response.status_code == 200
        assert "at least 15 characters" in html
        assert "a quiet harbor" not in html
        assert not User.objects.exists()

    def test_a_common_password_is_refused_with_the_reason(self, client: Client) -> None:
        prove_membership(client, adult_member())

        html = sign_up(
            client, password1="password123456789", password2="password123456789"
        ).content.decode()

        assert "too easy to guess" in html or "too common" in html
        assert not User.objects.exists()

    def test_a_password_with_the_members_name_is_refused(self, client: Client) -> None:
        prove_membership(client, adult_member())  # Dana O'Brien-Núñez
        password = "obrien nunez went sailing today"

        html = sign_up(client, password1=password, password2=password).content.decode()

        assert "contain your first or last name" in html
        assert not User.objects.exists()

    def test_a_password_with_the_username_is_refused(self, client: Client) -> None:
        prove_membership(client, adult_member())
        password = "skipper42 went sailing today"

        html = sign_up(
            client, username="Skipper42", password1=password, password2=password
        ).content.decode()

        assert "contain your username" in html

    def test_passwords_that_differ_are_refused(self, client: Client) -> None:
        prove_membership(client, adult_member())

        html = sign_up(client, password2="a different long passphrase").content.decode()

        assert "don&#x27;t match" in html

    @pytest.mark.parametrize("length", [64, 100])
    def test_long_passwords_register(self, client: Client, length: int) -> None:
        password = passphrase(length)
        prove_membership(client, adult_member())

        response = sign_up(client, password1=password, password2=password)

        assert response.status_code == 302
        assert User.objects.get().check_password(password)

    def test_an_emoji_passphrase_with_spaces_registers(self, client: Client) -> None:
        password = "🔥 tacos at the lake house 🌮"
        prove_membership(client, adult_member())

        response = sign_up(client, password1=password, password2=password)

        assert response.status_code == 302
        assert User.objects.get().check_password(password)
