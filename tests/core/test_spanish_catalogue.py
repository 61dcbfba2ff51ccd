"""The Spanish catalogue is complete: every message translated, none left fuzzy, and the
compiled .mo agrees with the .po (so no page falls back to English unnoticed)."""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "rxportal/locale/es/LC_MESSAGES/django.po"


@dataclass
class Entry:
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)


def read_catalogue(path: Path) -> list[Entry]:
    """The entries of a .po file (obsolete ``#~`` entries and the header left out)."""
    entries: list[Entry] = []
    current, name = Entry(), ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current.fields.get("msgid"):
                entries.append(current)
            current, name = Entry(), ""
        elif line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current.fields[name] += ast.literal_eval(line)
        else:
            name, _, text = line.partition(" ")
            current.fields[name] = ast.literal_eval(text)
    return entries


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    entries = read_catalogue(CATALOGUE)
    fuzzy = [e.fields["msgid"] for e in entries if "fuzzy" in e.flags]
    untranslated = [
        e.fields["msgid"]
        for e in entries
        if not all(text for name, text in e.fields.items() if name.startswith("msgstr"))
    ]

    assert len(entries) > 1000
    assert untranslated == [], f"{len(untranslated)} untranslated, e.g. {untranslated[:3]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:3]}"


def test_the_compiled_catalogue_matches_the_source() -> None:
    with CATALOGUE.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [
        e.fields["msgid"]
        for e in read_catalogue(CATALOGUE)
        if "msgid_plural" not in e.fields
        and "msgctxt" not in e.fields
        and compiled.gettext(e.fields["msgid"]) != e.fields["msgstr"]
    ]

    assert stale == [], f"run `make messages` (compilemessages): {len(stale)} differ, {stale[:3]}"


def test_every_plural_message_has_as_many_forms_as_the_header_declares() -> None:
    # The header says nplurals=3 (Django's Spanish: "un millón de ..." takes a third form);
    # an entry with two forms makes msgfmt --check refuse the file and the third falls back.
    header = CATALOGUE.read_text(encoding="utf-8").split("\n\n", 1)[0]
    declared = int(header.split("nplurals=", 1)[1].split(";", 1)[0])
    short = [
        e.fields["msgid"]
        for e in read_catalogue(CATALOGUE)
        if "msgid_plural" in e.fields
        and sum(name.startswith("msgstr[") for name in e.fields) != declared
    ]

    assert short == [], f"{len(short)} plural entries without {declared} forms, e.g. {short[:3]}"
