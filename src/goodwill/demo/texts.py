"""The words of the demo: remembered facts, notes, tasks, tickets, campaigns and reviews."""

from __future__ import annotations

#: Things staff remember about a customer (``{p}`` is replaced by a product name).
FACTS = (
    "prefers morning deliveries",
    "daughter starts college in September",
    "allergic to nuts: no hazelnut samples",
    "runs a small café and orders for the staff room",
    "loves the {p}",
    "prefers a phone call to email",
    "buys gifts for the whole family every December",
    "moving house in the spring: check the address before shipping",
    "left a lovely note about the packaging",
    "works night shifts: don't call before noon",
    "brews with an old Italian moka pot",
    "asked us to stop sending paper catalogues",
    "training for a marathon in April",
    "is vegan: skip the dairy recipes",
    "has two dogs who bark at couriers: leave parcels at the side gate",
    "teaches a latte-art class on weekends",
    "asked about a wholesale price for their office",
    "prefers decaf after a doctor's advice",
    "celebrates 25 years of marriage this year",
    "likes to hear about new single origins first",
    "collects our limited-edition mugs",
    "son is studying abroad in Lisbon",
    "wants invoices in the company name",
    "had a delayed parcel last winter: be extra careful with deliveries",
)

#: Notes staff write on a customer's record.
NOTES = (
    "Called about a delayed parcel; sent a 10% code as an apology.",
    "Asked for grind advice for a Chemex; recommended medium-coarse.",
    "Wants to be told when the Kenya lot is back in stock.",
    "Gift order: include a handwritten card, no prices on the slip.",
    "Upgraded shipping for free after the courier lost the first box.",
    "Interested in a monthly subscription; sent the details.",
    "Complained about the new bag design: hard to reseal. Passed to product.",
    "Chatted at the Saturday market stall; regular since last year.",
    "Requested a VAT invoice for the last three orders.",
    "Returned the grinder: too loud for a small flat. Suggested the hand grinder.",
)
ACCOUNT_NOTES = (
    "Quarterly review: happy with the espresso blend, asking about a second machine.",
    "Office moving in the new year; confirm the delivery address before each order.",
    "Renewal discussed: 5 kg of espresso a month, invoiced monthly.",
    "Champion is leaving in the summer; meet their successor.",
    "Asked for a tasting session for the team.",
)

#: Follow-ups (title, body).
TASKS = (
    ("Send a thank-you card", "Big order this month: handwritten card with the next parcel."),
    ("Check in after the first month", "Ask how the grinder settled in and offer a grind guide."),
    ("Call back about the return", "Customer wants an exchange rather than a refund."),
    ("Follow up on subscription interest", "Send the subscription options and pricing."),
    ("Birthday gift", "Pick a sample to include with their next order."),
    ("Ask for a review", "Loved the Oak Café Table at delivery; ask for a review in a week."),
    ("Win-back call", "No orders in a while; ask what changed."),
)
ACCOUNT_TASKS = (
    ("Renewal call", "Review the last quarter's orders and the next quarter's needs."),
    ("Send the tasting invitation", "Team tasting at their office: pick three origins."),
    ("Introduce the new account manager", "Hand-over meeting with the decision maker."),
)

#: Support tickets: (subject, channel); opened by trouble with an order or out of the blue.
ORDER_TICKETS = (
    ("Where is my order?", "email"),
    ("Parcel arrived damaged", "email"),
    ("Wrong size, need an exchange", "chat"),
    ("Can I change the delivery address?", "chat"),
    ("Refund not received yet", "email"),
    ("Grinder stopped working", "phone"),
)
GENERAL_TICKETS = (
    ("Which grind for an Aeropress?", "chat"),
    ("Do you ship to the Azores?", "email"),
    ("How do I update my payment card?", "email"),
    ("Question about wholesale prices", "phone"),
)

#: Newsletter and promotion subjects; ``{month}`` is the month name.
CAMPAIGN_SUBJECTS = (
    "New this {month}: fresh lots from the roastery",
    "Brew better at home: our {month} guide",
    "{month} picks from the team",
    "Back in stock: the origins you asked for",
    "Meet the farmers behind this {month}'s coffee",
)
SPECIAL_CAMPAIGNS = {
    (11, 27): ("black-friday", "Black Friday: 20% off gear, this weekend only"),
    (12, 5): ("gift-guide", "The gift guide: something for every coffee lover"),
    (2, 10): ("valentines", "For the one who makes your coffee"),
    (9, 20): ("autumn-release", "The autumn harvest has landed"),
}
SMS_CAMPAIGNS = {
    (11, 27): (
        "black-friday-sms",
        "Black Friday starts now: 20% off gear until Monday. Reply STOP to opt out.",
    ),
    (12, 15): (
        "last-shipping-sms",
        "Last day for delivery before the holidays is Dec 18. Reply STOP to opt out.",
    ),
}

REVIEW_TITLES = {
    5: ("Perfect", "Exactly what I hoped for", "Best I've had", "Buying again"),
    4: ("Really good", "Very happy", "Great, small quibble", "Solid"),
    3: ("It's fine", "Okay for the price", "Not bad, not special"),
    2: ("Disappointing", "Expected more", "Not for me"),
    1: ("Arrived broken", "Would not buy again", "Poor quality"),
}
NPS_COMMENTS = {
    "promoter": (
        "Always fresh and always on time.",
        "The tasting notes are spot on.",
        "You remembered my birthday!",
        "Lovely people, lovely coffee.",
    ),
    "passive": ("Good coffee, shipping could be faster.", "A bit pricey but good."),
    "detractor": (
        "My last parcel was late and nobody answered.",
        "Quality has dropped lately.",
        "Too many emails.",
    ),
}

#: What customers say they are interested in, per category.
INTERESTS = {
    "coffee": ("espresso", "single origin", "filter coffee", "decaf"),
    "tea": ("green tea", "black tea", "herbal tea"),
    "brewing": ("pour-over", "cold brew", "home barista"),
    "electronics": ("espresso machines", "grinders"),
    "apparel": ("merch", "outdoor"),
    "home": ("homeware", "gifts"),
    "books": ("recipes", "coffee culture"),
    "furniture": ("interior design", "café setup"),
}

MILESTONES = (
    "moving house",
    "baby due",
    "graduation",
    "opening their own café",
    "retirement",
    "wedding",
)
WEB_REFERRERS = ("", "", "", "google", "instagram", "newsletter", "pinterest", "facebook")
