"""The demo shop's catalogue: a coffee roaster that also sells brewing gear, clothing, homeware,
books and a little furniture.  Categories differ in how long a buyer needs to form an opinion
(``days_to_opinion``), which drives when review requests go out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from goodwill.demo.models import CatalogProduct


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    code: str
    days_to_opinion: int
    #: share of the shop's demand
    weight: float
    #: typical quantity on a line (consumables are bought by the bag)
    consumable: bool
    #: share of delivered orders sent back
    return_rate: float
    #: (product name, base price in major units, variants as (suffix, price factor))
    items: tuple[tuple[str, float], ...]
    variants: tuple[tuple[str, float], ...] = (("", 1.0),)


CATEGORIES: tuple[Category, ...] = (
    Category(
        "coffee",
        "COF",
        7,
        0.34,
        True,
        0.01,
        (
            ("Ethiopia Yirgacheffe", 17.5),
            ("Kenya Nyeri AA", 19.0),
            ("Colombia Huila", 15.5),
            ("Guatemala Antigua", 15.0),
            ("Brazil Cerrado", 13.5),
            ("Sumatra Mandheling", 16.0),
            ("Costa Rica Tarrazú", 17.0),
            ("Rwanda Nyamasheke", 18.0),
            ("House Espresso Blend", 14.0),
            ("Dark Harbor Blend", 13.5),
            ("Decaf Swiss Water", 15.0),
        ),
        (("Whole Bean 250 g", 1.0), ("Whole Bean 1 kg", 3.4)),
    ),
    Category(
        "tea",
        "TEA",
        7,
        0.10,
        True,
        0.01,
        (
            ("Darjeeling First Flush", 16.0),
            ("Assam Breakfast", 11.0),
            ("Sencha Uji", 14.0),
            ("Earl Grey Bergamot", 12.0),
            ("Jasmine Pearls", 19.0),
            ("Rooibos Vanilla", 10.5),
            ("Chamomile Blossom", 9.5),
            ("Oolong Tieguanyin", 18.5),
        ),
        (("Loose Leaf 100 g", 1.0),),
    ),
    Category(
        "brewing",
        "BRW",
        21,
        0.14,
        False,
        0.04,
        (
            ("Pour-Over Dripper", 28.0),
            ("Glass Carafe 600 ml", 34.0),
            ("French Press 1 l", 42.0),
            ("Hand Grinder", 89.0),
            ("Paper Filters (100)", 7.5),
            ("Gooseneck Kettle", 59.0),
            ("Brew Scale with Timer", 49.0),
            ("Cold Brew Jar", 36.0),
            ("Milk Frothing Pitcher", 24.0),
            ("Travel Press", 39.0),
        ),
    ),
    Category(
        "electronics",
        "ELE",
        30,
        0.06,
        False,
        0.07,
        (
            ("Burr Grinder E65", 249.0),
            ("Home Espresso Machine", 549.0),
            ("Temperature Kettle Pro", 159.0),
            ("Smart Brewer", 299.0),
            ("Milk Steamer", 129.0),
            ("Roaster Mini", 389.0),
        ),
    ),
    Category(
        "apparel",
        "APP",
        14,
        0.12,
        False,
        0.14,
        (
            ("Roastery Tee", 32.0),
            ("Heavyweight Hoodie", 78.0),
            ("Barista Apron", 58.0),
            ("Wool Beanie", 29.0),
            ("Canvas Tote", 24.0),
            ("Rain Shell Jacket", 149.0),
        ),
        (("S", 1.0), ("M", 1.0), ("L", 1.0)),
    ),
    Category(
        "home",
        "HOM",
        21,
        0.13,
        False,
        0.04,
        (
            ("Stoneware Mug", 22.0),
            ("Double-Wall Glasses (2)", 26.0),
            ("Insulated Tumbler", 34.0),
            ("Linen Tea Towel", 16.0),
            ("Beeswax Candle", 19.0),
            ("Ceramic Canister", 31.0),
            ("Serving Tray Oak", 45.0),
            ("Wool Throw", 95.0),
        ),
    ),
    Category(
        "books",
        "BOK",
        10,
        0.07,
        False,
        0.02,
        (
            ("Field Guide to Coffee Origins", 29.0),
            ("The Home Barista Handbook", 24.0),
            ("Tea: A Slow Craft", 27.0),
            ("Roasting at Home", 22.0),
            ("Café Kitchen Recipes", 34.0),
        ),
    ),
    Category(
        "furniture",
        "FUR",
        45,
        0.04,
        False,
        0.06,
        (
            ("Oak Café Table", 690.0),
            ("Walnut Bar Stool", 245.0),
            ("Rattan Lounge Chair", 520.0),
            ("Coffee Cart Trolley", 310.0),
            ("Floating Shelf Set", 140.0),
        ),
    ),
)

CATEGORY_NAMES = tuple(c.name for c in CATEGORIES)


def _shop_price(value: float) -> float:
    """Round to the price points shops use: x.50 or x.95 below 100, whole numbers above."""
    if value < 20:
        return max(2.5, round(value * 2) / 2 - 0.05) if value >= 5 else round(value * 2) / 2
    if value < 100:
        return float(np.floor(value)) + 0.95
    return float(round(value / 10) * 10 - 1)


def build_catalog(seed: int, currency: str) -> list[CatalogProduct]:
    """Every product of the shop; prices vary a little with the seed (and the currency)."""
    rng = np.random.default_rng([seed, 2])
    fx = 0.92 if currency == "EUR" else 1.0
    out: list[CatalogProduct] = []
    for cat in CATEGORIES:
        index = 0
        for item_no, (name, base) in enumerate(cat.items):
            jitter = float(rng.uniform(0.9, 1.12))
            # Popularity within a category falls off like Zipf; a few best-sellers per category.
            popularity = cat.weight / (1.0 + item_no) ** 0.9 * float(rng.uniform(0.7, 1.3))
            quality = float(rng.normal(0.0, 0.6))
            for suffix, factor in cat.variants:
                index += 1
                price = _shop_price(base * factor * jitter * fx)
                full = f"{name} {suffix}".strip() if cat.name != "apparel" else f"{name} — {suffix}"
                out.append(
                    CatalogProduct(
                        sku=f"{cat.code}-{index:03d}",
                        name=full,
                        category=cat.name,
                        price_minor=round(price * 100),
                        days_to_opinion=cat.days_to_opinion,
                        popularity=popularity / len(cat.variants),
                        quality=quality,
                    )
                )
    return out
