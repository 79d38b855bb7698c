"""Seeded companies' and leads' free-text descriptions, with a hidden trigger only the text shows.

A CRM's description field is where a team's written ICP narrative can meet account data by
meaning (issue 20's `semantic` rule). So each seeded company gets a short CRM-style description
(1-4 sentences, 80-400 characters): what it does (by industry, `description_activities`), how
big and where (from its own fields), and optional filler (founding year, awards, customers, how
we met them), in several sentence shapes and voices.

Each company also draws a theme (`description_themes`), independent of every other field:

- ~30 % `trigger`: its customer and revenue data is scattered after growth, an acquisition or a
  reorganisation. The true ICP (`true_icp`) raises the odds of winning for these, and nothing
  but the text says so, so a rubric can only find this lift by reading;
- ~4 % `not_us`: a partner, reseller or consultancy that implements such tools for clients, or
  a public-sector body: the true ICP lowers their odds, again from text alone;
- ~7 % `contrast`: hard negatives using the trigger's vocabulary for the opposite situation;
- ~5 % `blank`: "" or a placeholder ("N/A", "Website coming soon");
- the rest `plain`.

Drawn from its own random stream (`random.Random(f"{seed}:descriptions")`), after the
companies, so every other seeded value stays what it was; only deal outcomes move, because the
true ICP now reads the theme. A lead's description retells its company's (same theme, its own
wording, from another stream), so lead and account agree.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from crm_sandbox.core.description_activities import (
    ACTIVITIES,
    DEFAULT_SECTOR,
    PERSONAL_ACTIVITIES,
    PUBLIC_PLAUSIBLE,
    SECTORS,
    UNKNOWN_ACTIVITIES,
    VENDOR_PLAUSIBLE,
    Activity,
)
from crm_sandbox.core.description_themes import (
    CONTRAST_SENTENCES,
    FILLERS,
    NOT_US_PARTNER_OPENINGS,
    NOT_US_PUBLIC_SENTENCES,
    PLACEHOLDERS,
    TRIGGER_ANY,
    TRIGGER_ORG,
    VENDOR_ACTIVITIES,
    TextTheme,
)
from crm_sandbox.core.vocabulary import PERSONAL_EMAIL_DOMAINS

if TYPE_CHECKING:
    from crm_sandbox.core.seed import SeedCompany

#: Each theme's share of companies; drawn with one uniform number, before anything else.
THEME_SHARES: tuple[tuple[TextTheme, float], ...] = (
    ("blank", 0.05),
    ("trigger", 0.30),
    ("not_us", 0.04),
    ("contrast", 0.07),
)
MIN_CHARS, MAX_CHARS, MAX_SENTENCES = 80, 400, 4
LEAD_BLANK_SHARE = 0.05
#: Below this headcount, trigger sentences about teams, regions and acquisitions would not fit.
SMALL_ORG = 20
_COUNTS = ("two", "three", "four", "five", "six")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Subject:
    """What a description may say about a company (its own fields, nothing else)."""

    name: str
    industry: str | None
    employees: int | None
    city: str | None
    country: str | None
    personal: bool = False

    @classmethod
    def of(cls, company: SeedCompany) -> Subject:
        return cls(
            name=company.name,
            industry=company.industry,
            employees=company.employees,
            city=company.city,
            country=company.country,
            personal=company.domain in PERSONAL_EMAIL_DOMAINS,
        )


class Describer:
    """One stream of descriptions: the same stream and calls give the same texts."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    @classmethod
    def for_seed(cls, seed: int, stream: str = "descriptions") -> Describer:
        return cls(random.Random(f"{seed}:{stream}"))  # noqa: S311 - reproducible fake data

    def company(self, company: SeedCompany) -> SeedCompany:
        """The company with a theme and a description drawn for it."""
        theme, text = self.new(Subject.of(company))
        return replace(company, description=text, text_theme=theme)

    def new(self, subject: Subject) -> tuple[TextTheme, str]:
        """A theme drawn independently of `subject`, and a description carrying it."""
        theme = draw_theme(self.rng)
        return theme, describe(self.rng, subject, theme)

    def retell(self, subject: Subject, theme: TextTheme) -> str:
        """Another wording of a company's description, for a lead at it: the same theme (a
        blank company's lead gets a plain text), and its own ~5 % of blanks."""
        if self.rng.random() < LEAD_BLANK_SHARE:
            return describe(self.rng, subject, "blank")
        return describe(self.rng, subject, "plain" if theme == "blank" else theme)


def describe_companies(seed: int, companies: Iterable[SeedCompany]) -> tuple[SeedCompany, ...]:
    """The companies with their descriptions, from the seed's description stream."""
    describer = Describer.for_seed(seed)
    return tuple(describer.company(company) for company in companies)


def draw_theme(rng: random.Random) -> TextTheme:
    draw = rng.random()
    for theme, share in THEME_SHARES:
        if draw < share:
            return theme
        draw -= share
    return "plain"


def describe(rng: random.Random, subject: Subject, theme: TextTheme) -> str:
    """A description of `subject` carrying `theme` (a placeholder for `blank`)."""
    if theme == "blank":
        return _choice(rng, PLACEHOLDERS)
    slots = {
        "name": subject.name,
        "sector": SECTORS.get(subject.industry or "", DEFAULT_SECTOR),
        "city": subject.city or "",
        "year": str(rng.randint(2016, 2024)),
        "founded": str(rng.randint(1962, 2021)),
        "count": _choice(rng, _COUNTS),
    }
    activity = _activity(rng, subject)
    themed: str | None = None
    opening: list[str]
    if theme == "trigger":
        small = subject.personal or (subject.employees or 100) < SMALL_ORG
        themed = _choice(rng, TRIGGER_ANY if small else TRIGGER_ANY + TRIGGER_ORG)
    elif theme == "contrast":
        vendor = subject.industry in VENDOR_PLAUSIBLE and not subject.personal
        if vendor and rng.random() < 0.5:
            activity = _choice(rng, VENDOR_ACTIVITIES)
        else:
            themed = _choice(rng, CONTRAST_SENTENCES)
    if theme == "not_us" and not (subject.industry in PUBLIC_PLAUSIBLE and rng.random() < 0.5):
        opening = [_choice(rng, NOT_US_PARTNER_OPENINGS), *_size_and_place(rng, subject)]
    else:
        opening = _opening(rng, subject, activity)
        if theme == "not_us":
            themed = _choice(rng, NOT_US_PUBLIC_SENTENCES)
    body = opening + ([themed] if themed else [])
    if themed and len(opening) > 1 and rng.random() < 0.3:
        body = [opening[0], themed, *opening[1:]]
    text = _with_fillers(rng, body, slots, subject)
    return text.format(**slots)


def _with_fillers(
    rng: random.Random, body: list[str], slots: dict[str, str], subject: Subject
) -> str:
    """`body` plus 0-2 filler sentences (more while under `MIN_CHARS`, at most
    `MAX_SENTENCES` in all), the last fillers dropped again while over `MAX_CHARS`."""
    pool = [f for f in FILLERS if subject.city or "{city}" not in f]
    fillers = [pool[i] for i in rng.sample(range(len(pool)), 3)]
    wanted = _choice(rng, (0, 0, 1, 1, 2))
    sentences = list(body)
    while (
        fillers
        and len(sentences) < MAX_SENTENCES
        and (wanted > 0 or _length(sentences, slots) < MIN_CHARS)
    ):
        sentences.append(fillers.pop())
        wanted -= 1
    while _length(sentences, slots) > MAX_CHARS and len(sentences) > len(body):
        sentences.pop()
    return " ".join(sentences)


def _length(sentences: Sequence[str], slots: dict[str, str]) -> int:
    return len(" ".join(sentences).format(**slots))


def _activity(rng: random.Random, subject: Subject) -> Activity:
    if subject.personal:
        return _choice(rng, PERSONAL_ACTIVITIES)
    return _choice(rng, ACTIVITIES.get(subject.industry or "", UNKNOWN_ACTIVITIES))


def _opening(rng: random.Random, subject: Subject, activity: Activity) -> list[str]:
    """The what-it-does sentence, in one of several shapes, with size and place when known."""
    verb, noun = activity
    name = _escaped(subject.name)
    headcount = _headcount(rng, subject)
    place = _place(rng, subject)
    shape = rng.randrange(5)
    if (shape == 1 and not place) or (shape == 4 and subject.personal):
        shape = 0  # nowhere to say it is based; "we" is no one-person business's voice
    if shape == 0:
        return [f"{name} {verb}.", *_size_and_place(rng, subject)]
    if shape == 1:
        tail = [f"{_capitalised(headcount)}."] if headcount else []
        return [f"Based in {place}, {name} {verb}.", *tail]
    if shape == 2:
        adjective = _band(subject.employees) if not subject.personal else None
        lead = _capitalised(_with_adjective(noun, adjective))
        where = f" in {place}" if place else ""
        size = f" with {headcount}" if headcount else ""
        return [f"{lead}{where}{size}."]
    if shape == 3:
        parts = ", ".join(p for p in (_short_headcount(subject), subject.city) if p)
        return [f"{name}: {noun}" + (f" ({parts})." if parts else ".")]
    return [f"We {_we_verb(verb)}.", *_size_and_place(rng, subject)]


def _size_and_place(rng: random.Random, subject: Subject) -> list[str]:
    """A sentence with the headcount and place, or none when neither is known."""
    headcount = _headcount(rng, subject)
    place = _place(rng, subject)
    if headcount and place:
        return [
            _choice(
                rng,
                (
                    f"{_capitalised(headcount)}, based in {place}.",
                    f"Headquartered in {place} with {headcount}.",
                    f"HQ in {place}; {headcount}.",
                ),
            )
        ]
    if place:
        return [_choice(rng, (f"Based in {place}.", f"HQ in {place}.", f"Offices in {place}."))]
    if headcount:
        return [f"{_capitalised(headcount)}."]
    return []


def _headcount(rng: random.Random, subject: Subject) -> str | None:
    """How many work there, in words; not said of one-person businesses."""
    if subject.employees is None or subject.personal:
        return None
    n = _rounded(subject.employees)
    return _choice(
        rng,
        (f"about {n} people", f"{n} employees", f"roughly {n} staff", f"a team of around {n}",
         f"some {n} people"),
    )  # fmt: skip


def _short_headcount(subject: Subject) -> str | None:
    if subject.employees is None or subject.personal:
        return None
    return f"~{_rounded(subject.employees)} staff"


def _rounded(employees: int) -> str:
    if employees >= 100:
        digits = len(str(employees)) - 2
        return f"{round(employees, -digits):,}"
    if employees >= 20:
        return str(round(employees / 5) * 5)
    return str(employees)


def _band(employees: int | None) -> str | None:
    if employees is None:
        return None
    for limit, word in ((10, "tiny"), (50, "small"), (200, "growing"), (2_000, "mid-sized"),
                        (10_000, "large")):  # fmt: skip
        if employees < limit:
            return word
    return "very large"


def _place(rng: random.Random, subject: Subject) -> str | None:
    if subject.city is None:
        return subject.country
    if subject.country is None or rng.random() < 0.5:
        return subject.city
    return f"{subject.city}, {subject.country}"


def _with_adjective(noun: str, adjective: str | None) -> str:
    """The noun phrase with an adjective after its article: "a data company" with "small" is
    "a small data company" (the bands' adjectives start with a consonant, so it is "a")."""
    if adjective is None:
        return noun
    _, rest = noun.split(" ", 1)
    return f"a {adjective} {rest}"


def _we_verb(verb: str) -> str:
    """The first-person plural of a third-person verb phrase: "builds X" is "build X"."""
    head, _, rest = verb.partition(" ")
    if rest.startswith("and "):  # "owns and runs X": both verbs
        rest = "and " + _we_verb(rest[4:])
    irregular = {"is": "are", "does": "do"}
    if head in irregular:
        base = irregular[head]
    elif head.endswith("ies"):
        base = head[:-3] + "y"
    elif head.endswith(("shes", "ches", "sses", "xes")):
        base = head[:-2]
    else:
        base = head[:-1]
    return f"{base} {rest}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _escaped(text: str) -> str:
    """A value put into a template: braces doubled, so `format` leaves them as they are."""
    return text.replace("{", "{{").replace("}", "}}")


def _choice(rng: random.Random, options: Sequence[_T]) -> _T:
    return options[int(rng.random() * len(options))]
