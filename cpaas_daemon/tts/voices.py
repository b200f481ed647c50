"""Amazon Polly voice ids and language codes (what seed 003 clients send), as espeak-ng sees them.

Clients written against the hosted API name Polly voices ("Joanna", "Raveena",
"Matthew"). We have no Polly offline, so a voice id only picks a gender and a distinct
espeak-ng variant (``+f3``, ``+m1`` ...) so that two voices still sound different; the
language comes from ``language_code`` (or, when absent, the voice's own language, which
is how Polly behaves). See docs/tts.md for the full table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Gender = Literal["female", "male"]

# BCP-47 code (Polly spelling) -> espeak-ng voice. Where espeak-ng has no regional
# variant we take the nearest one it has (documented in docs/tts.md).
LANGUAGES: Mapping[str, str] = {
    "en-US": "en-us",
    "en-GB": "en-gb",
    "en-IN": "en-gb",
    "en-AU": "en-gb",
    "hi-IN": "hi",
    "bn-IN": "bn",
    "gu-IN": "gu",
    "kn-IN": "kn",
    "ml-IN": "ml",
    "mr-IN": "mr",
    "pa-IN": "pa",
    "ta-IN": "ta",
    "te-IN": "te",
    "es-ES": "es",
    "es-MX": "es-419",
    "es-US": "es-419",
    "fr-FR": "fr-fr",
    "fr-CA": "fr-fr",
    "de-DE": "de",
    "it-IT": "it",
    "pt-BR": "pt-br",
    "pt-PT": "pt",
    "nl-NL": "nl",
    "ja-JP": "ja",
    "cmn-CN": "cmn",
    "ko-KR": "ko",
    "arb": "ar",
    "ru-RU": "ru",
    "tr-TR": "tr",
    "pl-PL": "pl",
    "sv-SE": "sv",
    "da-DK": "da",
    "nb-NO": "nb",
}

# Polly voice ids by home language: (female, male). Order matters: it picks the variant.
_POLLY: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en-US": (
        ("Joanna", "Salli", "Kendra", "Kimberly", "Ivy", "Ruth", "Danielle"),
        ("Matthew", "Joey", "Justin", "Kevin", "Stephen", "Gregory"),
    ),
    "en-GB": (("Amy", "Emma"), ("Brian", "Arthur")),
    "en-IN": (("Raveena", "Aditi", "Kajal"), ()),
    "en-AU": (("Nicole", "Olivia"), ("Russell",)),
    "es-ES": (("Conchita", "Lucia"), ("Enrique", "Sergio")),
    "es-MX": (("Mia",), ("Andres",)),
    "es-US": (("Lupe", "Penelope"), ("Miguel", "Pedro")),
    "fr-FR": (("Celine", "Lea"), ("Mathieu", "Remi")),
    "fr-CA": (("Chantal", "Gabrielle"), ("Liam",)),
    "de-DE": (("Marlene", "Vicki"), ("Hans", "Daniel")),
    "it-IT": (("Carla", "Bianca"), ("Giorgio", "Adriano")),
    "pt-BR": (("Vitoria", "Camila"), ("Ricardo", "Thiago")),
    "pt-PT": (("Ines",), ("Cristiano",)),
    "nl-NL": (("Lotte", "Laura"), ("Ruben",)),
    "ja-JP": (("Mizuki", "Kazuha", "Tomoko"), ("Takumi",)),
    "cmn-CN": (("Zhiyu",), ()),
    "ko-KR": (("Seoyeon",), ()),
    "arb": (("Zeina",), ()),
    "ru-RU": (("Tatyana",), ("Maxim",)),
    "tr-TR": (("Filiz",), ()),
    "pl-PL": (("Ewa", "Maja"), ("Jacek", "Jan")),
    "sv-SE": (("Astrid",), ()),
    "da-DK": (("Naja",), ("Mads",)),
    "nb-NO": (("Liv", "Ida"), ()),
}

# espeak-ng variants, most natural-sounding first; voices take them in turn.
_VARIANTS: Mapping[Gender, tuple[str, ...]] = {
    "female": ("f3", "f2", "f4", "f1", "f5"),
    "male": ("m3", "m1", "m2", "m4", "m5", "m6", "m7"),
}


@dataclass(frozen=True)
class Voice:
    name: str
    gender: Gender
    language_code: str
    variant: str


def _voices() -> dict[str, Voice]:
    voices = {}
    for language_code, names_by_gender in _POLLY.items():
        for (gender, variants), names in zip(_VARIANTS.items(), names_by_gender, strict=True):
            for index, name in enumerate(names):
                variant = variants[index % len(variants)]
                voices[name] = Voice(name, gender, language_code, variant)
    return voices


VOICES: Mapping[str, Voice] = _voices()
"""Polly voice id (canonical spelling) -> :class:`Voice`."""
