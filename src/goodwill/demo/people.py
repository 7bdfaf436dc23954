"""Who the customers are: names, addresses, timezones, phones, households, referrals and the
business accounts some of them buy for."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from goodwill.demo import names as nm
from goodwill.demo.timebase import acquisition_days

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

LEAD_SHARE = 0.06  # newsletter sign-ups who never bought
CONTACT_SHARE = 0.05  # people who belong to a business account
PHONE_SHARE = 0.38
HOUSEHOLD_SHARE = 0.03
REFERRED_SHARE = 0.09
_MULTIPLIER = 7_919  # coprime with 10: scrambles customer numbers into email suffixes


@dataclass(slots=True)
class AccountDraft:
    number: list[str]
    name: list[str]
    domain: list[str]
    owner: list[str]
    created: Floats
    #: (account, person, role) memberships, batch-local
    member_account: Ints
    member_person: Ints
    member_role: list[str]


@dataclass(slots=True)
class Population:
    n: int
    number: list[str]  # customer number, e.g. C0000042
    acq: Floats  # acquisition (first order or sign-up), days
    lead: Bools
    locale: list[str]
    zone: list[str]
    offset: Floats  # standard UTC offset in hours (times of day only)
    domestic: Bools
    first: list[str]
    last: list[str]
    email: list[str]
    phone: list[str | None]
    household: Ints  # partner (earlier customer), -1 for none
    referrer: Ints  # who referred them, -1 for none
    account: Ints  # primary account, -1 for none
    role: list[str | None]
    satisfaction: Floats  # latent, standard normal; drives NPS, reviews and loyalty
    engagement: Floats  # propensity to open emails, 0..1
    accounts: AccountDraft


def _suffixes(global_index: Ints, total: int) -> list[str]:
    """A number per customer, unique in the run, that looks like what people add to emails."""
    width = max(2, len(str(max(total - 1, 1))))
    modulus = 10**width
    scrambled = (global_index * _MULTIPLIER + 37) % modulus
    return [str(v) for v in scrambled.tolist()]


_US_AREAS = (212, 305, 312, 415, 503, 512, 617, 646, 720, 737, 773, 818, 917)
_CA_AREAS = (416, 437, 604, 647, 778)


def _phone(loc: nm.Locale, serial: int) -> str:
    """A phone number unique to the customer number ``serial`` within its country."""
    if loc.phone_prefix == "+1":
        # NANP: the 555 exchange is reserved for fiction; further blocks use 556, 557...
        areas = _CA_AREAS if loc.tag == "en-CA" else _US_AREAS
        block, line = divmod(serial, 10_000)
        step, area_no = divmod(block, len(areas))
        return f"+1{areas[area_no]}{555 + step}{line:04d}"
    digits = loc.phone_digits
    body = (serial * 104_729 + 1_234) % 10**digits
    return f"{loc.phone_prefix}{body:0{digits}d}"


def _choose(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> Ints:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int64)


def account_name(ordinal: int) -> tuple[str, str]:
    """The ``ordinal``-th business account's name and domain, unique in a run."""
    combos = len(nm.COMPANY_FIRST) * len(nm.COMPANY_SECOND)
    round_no, k = divmod(ordinal, combos)
    j = (k * 7 + 3) % combos
    name = f"{nm.COMPANY_FIRST[j % len(nm.COMPANY_FIRST)]} {nm.COMPANY_SECOND[j // len(nm.COMPANY_FIRST)]}"
    slug = nm.company_slug(name)
    if round_no:
        city = nm.CITIES[(round_no - 1) % len(nm.CITIES)]
        name = f"{name} {city}"
        slug = f"{slug}-{nm.company_slug(city)}{'' if round_no <= len(nm.CITIES) else round_no}"
    return name, f"{slug}.example.com"


def _accounts(
    rng: np.random.Generator, acq: Floats, lead: Bools, first_account: int
) -> tuple[AccountDraft, Ints, list[str | None]]:
    n = len(acq)
    account = np.full(n, -1, dtype=np.int64)
    role: list[str | None] = [None] * n
    pool = np.flatnonzero(rng.random(n) < CONTACT_SHARE)
    sizes: list[int] = []
    pos = 0
    while pos < len(pool):
        size = int(rng.choice([2, 3, 3, 4, 4, 5, 6]))
        sizes.append(min(size, len(pool) - pos))
        pos += size
    draft = AccountDraft([], [], [], [], np.zeros(len(sizes)), *_empty_members())
    m_acct: list[int] = []
    m_person: list[int] = []
    m_role: list[str] = []
    pos = 0
    for a, size in enumerate(sizes):
        members = pool[pos : pos + size]
        pos += size
        name, domain = account_name(first_account + a)
        draft.number.append(f"A{first_account + a + 1:06d}")
        draft.name.append(name)
        draft.domain.append(domain)
        draft.owner.append(str(rng.choice(nm.ACCOUNT_TEAM)))
        draft.created[a] = acq[members].min()
        roles = ["decision_maker", "champion"] + [
            str(rng.choice(["influencer", "user", "user", "billing"])) for _ in range(size - 2)
        ]
        for person, r in zip(members.tolist(), roles[:size], strict=True):
            account[person] = a
            role[person] = r
            if r == "billing":
                lead[person] = True  # billing contacts pay invoices; they do not shop themselves
            m_acct.append(a)
            m_person.append(person)
            m_role.append(r)
    # Now and then one person belongs to two accounts (a consultant, a franchise manager).
    for a in range(1, len(sizes)):
        if rng.random() < 0.12:
            person = m_person[m_acct.index(a - 1)]
            m_acct.append(a)
            m_person.append(person)
            m_role.append(str(rng.choice(["influencer", "user"])))
    draft.member_account = np.asarray(m_acct, dtype=np.int64)
    draft.member_person = np.asarray(m_person, dtype=np.int64)
    draft.member_role = m_role
    return draft, account, role


def _empty_members() -> tuple[Ints, Ints, list[str]]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), []


def populate(
    rng: np.random.Generator,
    start64: np.datetime64,
    first_index: int,
    n: int,
    total: int,
    currency: str,
    first_account: int,
) -> Population:
    gidx = np.arange(first_index, first_index + n, dtype=np.int64)
    acq = acquisition_days(start64, (gidx + rng.random(n)) / total)
    lead = rng.random(n) < LEAD_SHARE
    loc_idx = _choose(rng, n, nm.LOCALE_MIX[currency])
    domestic_tags = {"USD": ("en-US", "en-CA"), "EUR": ("de-DE", "pt-PT", "fr-FR", "es-ES")}[
        currency
    ]
    first: list[str] = []
    last: list[str] = []
    zone: list[str] = []
    offset = np.zeros(n)
    u_zone = rng.random(n)
    u_first = rng.integers(0, 1 << 30, size=n)
    u_last = rng.integers(0, 1 << 30, size=n)
    for i in range(n):
        loc = nm.LOCALES[int(loc_idx[i])]
        first.append(loc.first_names[int(u_first[i]) % len(loc.first_names)])
        # Zipf-ish surnames: common names are common.
        k = int(len(loc.last_names) * (u_last[i] / (1 << 30)) ** 1.6)
        last.append(loc.last_names[k])
        cum = 0.0
        for name, share, off in loc.zones:
            cum += share
            if u_zone[i] <= cum or name == loc.zones[-1][0]:
                zone.append(name)
                offset[i] = off
                break
    # Households: a partner (an earlier customer of the batch) shares surname, home and timezone.
    household = np.full(n, -1, dtype=np.int64)
    for i in np.flatnonzero(rng.random(n) < HOUSEHOLD_SHARE).tolist():
        if i == 0:
            continue
        j = int(max(0, i - 1 - int(rng.integers(0, 40))))
        household[i] = j
        last[i] = last[j]
        zone[i] = zone[j]
        offset[i] = offset[j]
        loc_idx[i] = loc_idx[j]
    # Referrals: someone who already bought told them about the shop.
    referrer = np.full(n, -1, dtype=np.int64)
    for i in np.flatnonzero(rng.random(n) < REFERRED_SHARE).tolist():
        if i < 3:
            continue
        j = int(max(0, i - 1 - int(rng.geometric(1 / 60))))
        if not lead[j] and household[i] != j:
            referrer[i] = j
    accounts, account, role = _accounts(rng, acq, lead, first_account)
    locale = [nm.LOCALES[int(k)].tag for k in loc_idx.tolist()]
    domestic = np.isin(np.asarray(locale), domestic_tags)
    email = _emails(rng, first, last, gidx, total, account, accounts)
    phone: list[str | None] = [None] * n
    has_phone = rng.random(n) < PHONE_SHARE
    for i in np.flatnonzero(has_phone).tolist():
        phone[i] = _phone(nm.LOCALES[int(loc_idx[i])], int(gidx[i]))
    # Satisfaction and email engagement, both standardised latent traits.
    satisfaction = rng.normal(0.0, 1.0, size=n)
    engagement = rng.beta(2.0, 3.2, size=n)
    return Population(
        n=n,
        number=[f"C{g + 1:07d}" for g in gidx.tolist()],
        acq=acq,
        lead=lead,
        locale=locale,
        zone=zone,
        offset=offset,
        domestic=domestic,
        first=first,
        last=last,
        email=email,
        phone=phone,
        household=household,
        referrer=referrer,
        account=account,
        role=role,
        satisfaction=satisfaction,
        engagement=engagement,
        accounts=accounts,
    )


def _emails(
    rng: np.random.Generator,
    first: list[str],
    last: list[str],
    gidx: Ints,
    total: int,
    account: Ints,
    accounts: AccountDraft,
) -> list[str]:
    """Personal addresses end in a number unique to the customer; work addresses are unique
    within their company's domain."""
    n = len(first)
    suffix = _suffixes(gidx, total)
    pattern = _choose(rng, n, nm.EMAIL_PATTERN_WEIGHTS)
    domain = _choose(rng, n, nm.DOMAIN_WEIGHTS)
    out: list[str] = []
    taken: set[str] = set()
    for i in range(n):
        f = nm.ascii_slug(first[i]) or "customer"
        la = nm.ascii_slug(last[i]) or "x"
        a = int(account[i])
        if a >= 0:
            local = f"{f}.{la}"
            address = f"{local}@{accounts.domain[a]}"
            if address in taken:
                address = f"{local}{suffix[i]}@{accounts.domain[a]}"
            taken.add(address)
            out.append(address)
            continue
        tpl = nm.EMAIL_PATTERNS[int(pattern[i])]
        local = tpl.format(f=f, l=la, i=f[0], n=suffix[i])
        out.append(f"{local}@{nm.PERSONAL_DOMAINS[int(domain[i])]}")
    return out
