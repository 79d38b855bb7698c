"""Seniority from a job title as CRMs hold it: `seniority_of("VP, Sales")` → vp.

Pure and fast (the patterns compile once, at import): it runs inside the scorer for every
record whose title the scorer has not memoised.

How a title is read (tests/app/scoring/data/README.md gives the decisions and
`job_titles.csv` the cases):
1. Case, accents and dots are dropped (`V.P.` → `vp`, `Geschäftsführer` → `geschaftsfuhrer`);
   a title that is not one (empty, `-`, `n/a`, `test`) is `unknown`.
2. It is cut into parts at `&`, `/`, `,`, `|`, `;`, ` - `, brackets, `and` (also `und`, `et`,
   `y`, `e`) and `at`/`@` (what follows names a company).
3. Within a part: a former rank (`former`, `ex-`, `retired`, `previously`) counts for
   nothing; what follows `assistant to`/`advisor to` is whom they work for, as is the owner
   of a possessive (`Director's Assistant`) and what precedes `office` (`CEO Office
   Manager`); `office of …` names a place. An assistant or advisor is an individual
   contributor unless `assistant` grades a rank (`Assistant Director`).
4. The part's rank is the highest rank phrase in it, the title's the highest of its parts; a
   part without a rank phrase is an individual contributor.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from app.rubric.model import SENIORITY_LEVELS, SeniorityLevel

MAX_TITLE = 200
"""Characters read: CRM title fields are short; a pasted paragraph is cut."""


class Seniority(NamedTuple):
    level: SeniorityLevel
    words: str
    """The words that decided the level, lower case and without accents ("" when none did)."""
    plain: bool
    """True when the title held one rank phrase and nothing else bore on it: the level alone
    explains it. False when a part won over others or a rule (former, assistant to, …) decided."""


UNKNOWN = Seniority("unknown", "", True)
_RANK = {level: index for index, level in enumerate(SENIORITY_LEVELS)}

_PHRASES: list[tuple[str, SeniorityLevel]] = [
    # Before the single words they contain: `vice president` is not `president`, `partner
    # manager` not `partner`, `product owner` not `owner`, `teamleiter` not `…leiter`.
    (r"chief of staff", "manager"),
    (
        r"product\s+owner|process\s+owner|(?:hr\s+|people\s+|finance\s+)?business\s+partner",
        "individual_contributor",
    ),
    (r"(?:vice|vize)[\s-]?(?:president[ea]?|prasident(?:in)?)|[sear]?vp", "vp"),
    (r"(?:channel\s+)?partner(?:\s+account)?\s+manager", "manager"),
    (r"(?:managing|founding|general)\s+partner", "c_level"),
    (
        r"non[\s-]?executive\s+director|board\s+(?:member|director)|member\s+of\s+the\s+board",
        "c_level",
    ),
    (
        r"managing\s+director|general\s+manager|gerente\s+general|algemeen\s+directeur"
        r"|(?:director|directeur|directrice|diretor|diretora|direttore|direttrice)\s+genera(?:l|le)"
        r"|consejero\s+delegado|amministratore\s+delegato",
        "c_level",
    ),
    (r"team\s*lead(?:er)?|teamleiter(?:in)?|teamleider|chef\s+d\S*", "manager"),
    # Single rank words.
    (
        r"chief\s+(?:\w+\s+){0,3}officer|chief\s+executive"
        r"|c[a-z]o|ciso|chro|pdg|co[\s-]?ceo"
        r"|(?:co[\s-]?)?founder|cofounder|fundador[a]?|fondat(?:eur|rice|ore)|grunder(?:in)?"
        r"|oprichter|(?:co[\s-]?)?owner|inhaber(?:in)?|eigenaar|propietari[oa]|dueno|titolare"
        r"|proprietaire|president[ea]?|prasident(?:in)?|chair(?:man|woman|person)?"
        r"|gerant[e]?|geschaftsfuhr\w*|geschaeftsfuehr\w*|vorstand\w*",
        "c_level",
    ),
    (r"partner|socio", "vp"),
    (r"head|hoofd|\w*leiter(?:in)?", "head"),
    (
        r"(?:sub)?(?:director[a]?|directeur|directrice|diretor[a]?|direttore|direttrice|dir)"
        r"|direktor(?:in)?",
        "director",
    ),
    (
        r"\w*manager(?:in)?|mgr|mngr|gerente|responsable|responsabile|jef[ea]|supervisor"
        r"|coordenador[a]?",
        "manager",
    ),
]
_RANKS = re.compile(
    "|".join(rf"\b(?P<r{i}>{pattern})\b" for i, (pattern, _) in enumerate(_PHRASES))
)
_LEVEL_OF_GROUP = {f"r{i}": level for i, (_, level) in enumerate(_PHRASES)}

_SEPARATORS = re.compile(r"(?<!\S)(?:-|–|—|and|und|et|y|e)(?!\S)|[&/,|;()\[\]+]|\s[-–—]|[-–—]\s")
_AT_COMPANY = re.compile(r"\s+at\s+.*$|\s*@.*$")
_FORMER = re.compile(r"^(?:former(?:ly)?|ex|retired|previous(?:ly)?|past)\b")
_SUBORDINATE = re.compile(
    r"\b(?P<role>assistant|asst|assistent(?:in)?|assistente|secretary|secretaire|sekretar(?:in)?"
    r"|advisor|adviser|advisory|aide|pa|ea)\b"
)
_GRADED_RANK = re.compile(r"\s*(?:vice|vp|director|dir|manager|mgr|head|general)\b")
_DEPARTMENT_OF = re.compile(r"\b(?:of|for|de|des|du)\b")
_POSSESSIVE = re.compile(r"^.*\b\w+(?:'s|s')(?:\s+|$)")
_OFFICE_OF = re.compile(r"^office\s+of\b")
_IN_OFFICE = re.compile(r"^.*?\b(?=office\s+(?!of\b)\w)")
_RULES_APPLY = re.compile(rf"'|\boffice\b|{_FORMER.pattern}|{_SUBORDINATE.pattern}")
_APOSTROPHES = str.maketrans({"’": "'", "`": "'", "´": "'"})
_NOT_TITLES = frozenset(
    (
        "na", "n a", "none", "null", "nil", "unknown", "test", "testing", "tbd", "tba", "tbc",
        "xx", "xxx", "asdf", "abc", "title", "job title", "no title", "not applicable",
        "not available", "undefined", "dummy", "sample", "other", "open to work",
        "looking for work", "looking for opportunities", "seeking opportunities", "unemployed",
        "retired",
    )
)  # fmt: skip
_LETTERS = re.compile(r"[^\W\d_]+")


def normalise_title(title: str) -> str:
    """Lower case, accents and dots dropped, apostrophes made plain, spaces collapsed."""
    folded = title[: MAX_TITLE * 2].casefold()
    if not folded.isascii():  # most titles are ASCII: no accents to strip
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(folded.translate(_APOSTROPHES).replace(".", "").split())[:MAX_TITLE]


def _is_not_a_title(text: str) -> bool:
    words = " ".join(_LETTERS.findall(text))
    return len(words) < 2 or words in _NOT_TITLES


def _part_rank(part: str) -> tuple[SeniorityLevel, str, bool] | None:
    """(level, deciding words, plain) for one part, or None when it says nothing of a rank."""
    if _is_not_a_title(part):
        return None
    plain = True
    if _RULES_APPLY.search(part):  # most parts need none of these rules: one search skips them
        if _OFFICE_OF.match(part):
            return None
        if _FORMER.match(part):
            return ("unknown", "former", False)
        possessive = _POSSESSIVE.match(part)
        if possessive:
            part, plain = part[possessive.end() :], False
        subordinate = _SUBORDINATE.search(part)
        if (
            subordinate
            and not _GRADED_RANK.match(part, subordinate.end())
            and not _DEPARTMENT_OF.search(part, 0, subordinate.start())
        ):
            return ("individual_contributor", subordinate["role"], False)
        in_office = _IN_OFFICE.match(part)
        if in_office and in_office.end():
            part, plain = part[in_office.end() :], False
    best: tuple[SeniorityLevel, str] | None = None
    found = 0
    for match in _RANKS.finditer(part):
        found += 1
        level = _LEVEL_OF_GROUP[str(match.lastgroup)]
        if best is None or _RANK[level] < _RANK[best[0]]:
            best = (level, match.group())
    if best is None:
        return ("individual_contributor", "", plain)
    return (best[0], best[1], plain and found == 1)


def seniority_of(title: str | None) -> Seniority:
    """The seniority a job title states; `unknown` for no title or one that is not a title."""
    if title is None:
        return UNKNOWN
    text = normalise_title(title)
    if _is_not_a_title(text):
        return UNKNOWN
    ranked = [
        rank
        for piece in _SEPARATORS.split(text)
        if (part := _AT_COMPANY.sub("", piece).strip()) and (rank := _part_rank(part)) is not None
    ]
    current = [rank for rank in ranked if rank[0] != "unknown"]  # only a former rank is unknown
    if not current:
        return Seniority("unknown", "former", False) if ranked else UNKNOWN
    level, words, plain = min(current, key=lambda rank: _RANK[rank[0]])
    decisive = sum(1 for rank in ranked if rank[1])
    return Seniority(level, words, plain and decisive <= 1)
