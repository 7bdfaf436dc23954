"""Names, places and people of the demo: customers by locale, the shop's staff, business accounts.

Email addresses use the reserved ``example.com``/``.net``/``.org`` domains (RFC 2606), so a demo
database can never mail a real inbox.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Locale:
    tag: str
    #: (IANA zone, share within the locale, standard UTC offset in hours: used for times of day)
    zones: tuple[tuple[str, float, float], ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    #: E.164 country code and a mobile prefix the generated numbers start with
    phone_prefix: str
    phone_digits: int


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _pipe(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|"))


LOCALES: tuple[Locale, ...] = (
    Locale(
        "en-US",
        (
            ("America/New_York", 0.42, -5),
            ("America/Chicago", 0.26, -6),
            ("America/Denver", 0.09, -7),
            ("America/Los_Angeles", 0.23, -8),
        ),
        _words(
            "James Mary Michael Patricia Robert Jennifer David Linda William Elizabeth Daniel "
            "Sarah Matthew Jessica Anthony Karen Joshua Emily Andrew Ashley Kevin Megan Brian "
            "Rachel Tyler Olivia Ethan Madison Noah Hannah Jordan Lauren Marcus Maya Carlos Sofia "
            "Jamal Aaliyah Wei Priya"
        ),
        _words(
            "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
            "Lopez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White Harris "
            "Clark Lewis Robinson Walker Young Allen King Wright Scott Nguyen Hill Flores Green "
            "Adams Baker Nelson Carter Patel Kim"
        ),
        "+1",
        10,
    ),
    Locale(
        "en-CA",
        (("America/Toronto", 0.65, -5), ("America/Vancouver", 0.35, -8)),
        _words(
            "Liam Emma Lucas Chloe Benjamin Charlotte Owen Ava Nathan Zoe Samuel Leah Gabriel "
            "Camille Logan Abigail"
        ),
        _words(
            "Tremblay Gagnon Roy Côté Bouchard Gauthier Morin Wilson MacDonald Campbell Stewart "
            "Fraser Singh Chen"
        ),
        "+1",
        10,
    ),
    Locale(
        "en-GB",
        (("Europe/London", 1.0, 0),),
        _words(
            "Oliver Amelia George Isla Harry Poppy Jack Freya Alfie Florence Charlie Evie Archie "
            "Imogen Thomas Rosie Arjun Niamh"
        ),
        _words(
            "Smith Jones Taylor Brown Evans Walker Wright Robinson Thompson Hughes Edwards Green "
            "Hall Wood Clarke Khan Murphy"
        ),
        "+447",
        9,
    ),
    Locale(
        "de-DE",
        (("Europe/Berlin", 1.0, 1),),
        _words(
            "Lukas Anna Jonas Lea Felix Laura Maximilian Sophie Paul Marie Leon Katharina Jan "
            "Julia Tobias Lena Jürgen Sabine"
        ),
        _words(
            "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch "
            "Richter Klein Wolf Schröder Neumann Braun Zimmermann"
        ),
        "+4915",
        9,
    ),
    Locale(
        "pt-PT",
        (("Europe/Lisbon", 0.92, 0), ("Atlantic/Azores", 0.08, -1)),
        _words(
            "João Maria Rodrigo Ana Tiago Inês Duarte Beatriz Miguel Mariana Francisco Leonor "
            "Gonçalo Carolina Rui Sofia"
        ),
        _words(
            "Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Sousa Fernandes "
            "Gonçalves Gomes Lopes Marques Almeida"
        ),
        "+3519",
        8,
    ),
    Locale(
        "fr-FR",
        (("Europe/Paris", 1.0, 1),),
        _words(
            "Hugo Léa Louis Manon Gabriel Camille Arthur Chloé Jules Inès Raphaël Juliette Théo "
            "Sarah Mathis Élodie"
        ),
        _words(
            "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
            "Lefèvre Michel Garnier Faure"
        ),
        "+336",
        8,
    ),
    Locale(
        "es-ES",
        (("Europe/Madrid", 1.0, 1),),
        _words(
            "Alejandro Lucía Pablo Martina Álvaro Paula Javier Carmen Diego Elena Sergio Alba "
            "Adrián Nerea"
        ),
        _words(
            "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín "
            "Jiménez Ruiz Navarro Torres"
        ),
        "+346",
        8,
    ),
    Locale(
        "ja-JP",
        (("Asia/Tokyo", 1.0, 9),),
        _words("Haruto Yui Sota Hina Yuto Aoi Riku Sakura Kenji Yuki Takumi Mei Daiki Emi"),
        _words(
            "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida "
            "Yamada"
        ),
        "+8190",
        8,
    ),
    Locale(
        "en-AU",
        (("Australia/Sydney", 0.6, 10), ("Australia/Melbourne", 0.4, 10)),
        _words("Jack Matilda Cooper Ruby Lachlan Chloe Riley Sienna Xavier Mia Hamish Isabella"),
        _words("Smith Jones Williams Brown Wilson Taylor Nguyen Kelly Ryan Walsh O'Brien Murray"),
        "+614",
        8,
    ),
)

#: Share of customers per locale, for a dollar shop and for a euro shop.
LOCALE_MIX = {
    "USD": (0.52, 0.06, 0.08, 0.08, 0.04, 0.06, 0.05, 0.06, 0.05),
    "EUR": (0.10, 0.02, 0.10, 0.26, 0.16, 0.16, 0.12, 0.05, 0.03),
}

PERSONAL_DOMAINS = (
    "example.com",
    "example.net",
    "example.org",
    "mail.example.com",
    "inbox.example.net",
    "post.example.org",
)
#: Domain shares (the big mailbox first).
DOMAIN_WEIGHTS = (0.38, 0.2, 0.14, 0.12, 0.1, 0.06)

#: Local-part patterns; every generated address ends in a number unique to the customer.
EMAIL_PATTERNS = ("{f}.{l}{n}", "{f}{l}{n}", "{i}{l}{n}", "{f}_{l}{n}", "{f}{n}", "{l}.{f}{n}")
EMAIL_PATTERN_WEIGHTS = (0.34, 0.2, 0.16, 0.1, 0.12, 0.08)

#: The shop's staff: account owners, note takers, task assignees.
STAFF = (
    "Ana Costa",
    "Ben Okafor",
    "Chloé Martin",
    "Daniel Weber",
    "Emi Sato",
    "Grace Liu",
    "Marcus Reed",
    "Priya Shah",
)
#: Staff who own business accounts and high-value customers (a subset: the account team).
ACCOUNT_TEAM = ("Ana Costa", "Ben Okafor", "Grace Liu", "Marcus Reed")

COMPANY_FIRST = _pipe(
    "Northwind | Blue Harbor | Kestrel | Copper Kettle | Juniper | Lighthouse | Red Fern | "
    "Saltmarsh | Granite | Meridian | Orchard | Tidewater | Foxglove | Ironbridge | "
    "Silver Birch | Hearth | Little Owl | Bright Lane | Cedar | Harbourside"
)
COMPANY_SECOND = _pipe(
    "Café | Coworking | Design Studio | Hotel | Dental | Architects | Bakery | Law Partners | "
    "Bookshop | Yoga Studio | Consulting | Brewing Co. | Gallery | Clinic | Software | Florist"
)
CITIES = _pipe(
    "Porto | Austin | Leeds | Lyon | Kyoto | Denver | Bilbao | Hamburg | Halifax | Adelaide | "
    "Boston | Seville | Bristol | Toulouse | Osaka | Portland"
)
ROLES = ("decision_maker", "champion", "influencer", "user", "billing")


def ascii_slug(text: str) -> str:
    """Lowercase ASCII letters only: ``"Lefèvre"`` -> ``"lefevre"``, ``"O'Brien"`` -> ``"obrien"``."""
    text = text.replace("ß", "ss").replace("ø", "o").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if "a" <= ch <= "z")


def company_slug(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.lower())
    words = [
        "".join(ch for ch in w if "a" <= ch <= "z" or ch.isdigit()) for w in decomposed.split()
    ]
    return "-".join(w for w in words if w)
