"""The SiteKey catalog: anti-phishing images, decoys for unknown names, phrase validation.

Before asking for a password the sign-in page shows the image and phrase the user chose, so a
look-alike site that does not know them is easier to spot. To avoid telling anyone whether a
username exists, every other name gets a *decoy*: an image from the same pool and a phrase that
reads like one a person would pick, both derived from a keyed HMAC of the normalized username, so
the same unknown name shows the same decoy on every visit.

The decoy phrase is deliberately never translated: switching the page language must not change a
decoy while leaving a real phrase alone. Image alt texts are translated for real and decoy images
alike.

The images in ``static/accounts/sitekeys/`` are simple illustrations drawn for this project
(96×96, no text, no external references), so they carry no third-party licence.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rxportal.accounts.crypto import keyed_digest
from rxportal.accounts.errors import InvalidSiteKeyPhrase, UnknownSiteKeyImage

STATIC_DIR = "accounts/sitekeys"
DECOY_DIGEST_PURPOSE = "sitekey-decoy"
PHRASE_MIN_LENGTH = 3
PHRASE_MAX_LENGTH = 60


@dataclass(frozen=True)
class SiteKeyImage:
    slug: str
    alt_text: Promise  # gettext_lazy

    @property
    def static_path(self) -> str:
        """For ``{% static %}``: ``accounts/sitekeys/<slug>.svg``."""
        return f"{STATIC_DIR}/{self.slug}.svg"


SITEKEY_IMAGES: tuple[SiteKeyImage, ...] = (
    SiteKeyImage("acorn", _("An acorn with a green leaf")),
    SiteKeyImage("anchor", _("A navy-blue ship's anchor")),
    SiteKeyImage("apple", _("A red apple with a leaf")),
    SiteKeyImage("bell", _("A golden bell")),
    SiteKeyImage("bicycle", _("An orange bicycle")),
    SiteKeyImage("butterfly", _("An orange butterfly")),
    SiteKeyImage("cactus", _("A cactus with a pink flower in a clay pot")),
    SiteKeyImage("cat", _("The face of an orange cat")),
    SiteKeyImage("coffee-cup", _("A steaming cup of coffee on a saucer")),
    SiteKeyImage("compass", _("A compass with a red needle")),
    SiteKeyImage("crown", _("A golden crown with jewels")),
    SiteKeyImage("feather", _("A teal feather")),
    SiteKeyImage("fish", _("An orange fish with bubbles")),
    SiteKeyImage("guitar", _("An acoustic guitar")),
    SiteKeyImage("hot-air-balloon", _("A red and yellow hot-air balloon")),
    SiteKeyImage("house", _("A small house with a red roof")),
    SiteKeyImage("kite", _("A colorful diamond kite")),
    SiteKeyImage("leaf", _("A green leaf")),
    SiteKeyImage("lightbulb", _("A glowing light bulb")),
    SiteKeyImage("lighthouse", _("A lighthouse shining over the sea")),
    SiteKeyImage("moon-and-stars", _("A crescent moon and stars at night")),
    SiteKeyImage("mountain", _("Snowy mountains under the sun")),
    SiteKeyImage("mushroom", _("A red mushroom with white spots")),
    SiteKeyImage("open-book", _("An open book")),
    SiteKeyImage("owl", _("A brown owl on a branch")),
    SiteKeyImage("pine-tree", _("A pine tree in the snow")),
    SiteKeyImage("rocket", _("A rocket taking off")),
    SiteKeyImage("sailboat", _("A sailboat on the water")),
    SiteKeyImage("snowflake", _("A blue snowflake")),
    SiteKeyImage("strawberry", _("A strawberry")),
    SiteKeyImage("sun", _("A bright yellow sun")),
    SiteKeyImage("teapot", _("A green teapot")),
    SiteKeyImage("tent", _("An orange tent on the grass")),
    SiteKeyImage("tulip", _("A red tulip")),
    SiteKeyImage("turtle", _("A green turtle")),
    SiteKeyImage("umbrella", _("A purple umbrella in the rain")),
    SiteKeyImage("whale", _("A blue whale spouting water")),
    SiteKeyImage("windmill", _("A windmill in a field")),
)
SITEKEY_IMAGES_BY_SLUG: dict[str, SiteKeyImage] = {image.slug: image for image in SITEKEY_IMAGES}

# Decoy phrases: adjective + noun + place, e.g. "Quiet harbor at dawn" (16 × 16 × 12 = 3,072).
DECOY_ADJECTIVES = (
    "Quiet", "Golden", "Little", "Silver", "Bright", "Gentle", "Lucky", "Sleepy",
    "Happy", "Old", "Green", "Blue", "Cozy", "Wild", "Red", "Sunny",
)  # fmt: skip
DECOY_NOUNS = (
    "harbor", "garden", "river", "meadow", "lantern", "kitten", "sparrow", "maple",
    "bridge", "cabin", "orchard", "canoe", "violin", "teacup", "pony", "comet",
)  # fmt: skip
DECOY_PLACES = (
    "at dawn", "by the sea", "in the rain", "after the storm", "under the stars",
    "near the hills", "in the snow", "at midnight", "on a Sunday", "by the fire",
    "in the spring", "at the lake",
)  # fmt: skip
DECOY_PHRASE_COUNT = len(DECOY_ADJECTIVES) * len(DECOY_NOUNS) * len(DECOY_PLACES)


class SiteKeyDisplay(NamedTuple):
    image_slug: str
    alt_text: str
    phrase: str


def get_sitekey_image(slug: str) -> SiteKeyImage:
    try:
        return SITEKEY_IMAGES_BY_SLUG[slug]
    except KeyError:
        raise UnknownSiteKeyImage(
            gettext("Choose one of the pictures shown."), image_slug=slug[:40]
        ) from None


def decoy_phrase(index: int) -> str:
    """The ``index``-th decoy phrase (wraps around the 3,072 combinations)."""
    index %= DECOY_PHRASE_COUNT
    index, place = divmod(index, len(DECOY_PLACES))
    adjective, noun = divmod(index, len(DECOY_NOUNS))
    return f"{DECOY_ADJECTIVES[adjective]} {DECOY_NOUNS[noun]} {DECOY_PLACES[place]}"


def decoy_sitekey(normalized_username: str) -> tuple[str, str]:
    """(image slug, phrase) for a name without a real SiteKey; stable for a given name."""
    digest = keyed_digest(DECOY_DIGEST_PURPOSE, normalized_username)
    image = SITEKEY_IMAGES[int(digest[:16], 16) % len(SITEKEY_IMAGES)]
    return image.slug, decoy_phrase(int(digest[16:32], 16))


def clean_sitekey_phrase(raw: str) -> str:
    """The phrase to store (NFKC, trimmed) or ``InvalidSiteKeyPhrase``.

    3-60 characters after normalization; no control, format (bidi override, zero-width) or
    unassigned characters, which could make two phrases look alike.
    """
    phrase = unicodedata.normalize("NFKC", raw).strip()
    if not PHRASE_MIN_LENGTH <= len(phrase) <= PHRASE_MAX_LENGTH:
        raise InvalidSiteKeyPhrase(
            gettext("Your phrase must be between %(min)d and %(max)d characters long.")
            % {"min": PHRASE_MIN_LENGTH, "max": PHRASE_MAX_LENGTH},
            reason="length",
        )
    if any(unicodedata.category(char).startswith("C") for char in phrase):
        raise InvalidSiteKeyPhrase(
            gettext("Your phrase contains characters that cannot be shown."),
            reason="characters",
        )
    return phrase
