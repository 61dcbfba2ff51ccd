"""The SiteKey catalog: anti-phishing images and phrase validation.

Before asking for a password the sign-in page shows the image and phrase the user chose, so a
look-alike site that does not know them is easier to spot. It is shown only on a browser the
portal recognizes for that user or after a right answer to the user's challenge question
(``accounts/flows/signin.py``), so there are no decoy SiteKeys: a name that cannot pass the
question never sees one. Image alt texts are translated.

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

from rxportal.accounts.errors import InvalidSiteKeyPhrase, UnknownSiteKeyImage

STATIC_DIR = "accounts/sitekeys"
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
