"""The table definitions: one pandera model per table, the single source of truth.

Everything else is generated from these models: the Arrow schema each
Parquet file is written with, the Frictionless Table Schemas in
``schemas/``, ``datapackage.json`` and ``docs/codebook.md``. Each model
records its primary key and foreign keys in ``Config.metadata``; pandera
itself checks columns, types, nullability, vocabularies, patterns, ranges and
the rules across the columns of one row, and :mod:`usjapan_data.validation`
checks the keys across tables.

Importing this module imports pandera; the loaders do not.
"""

from collections.abc import Sequence
from functools import lru_cache

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from usjapan_data.parsing import ColumnSpec

__all__ = ["TABLES", "CODED_TABLES", "MEANINGS", "columns", "keys", "meanings", "table_model"]

# --------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------

MODES = ("fact", "assessment", "expectation", "recommendation")
PRECISIONS = ("day", "month", "year", "decade", "unknown")
REVIEWS = ("both_passes", "adjudicated", "first_pass_only", "second_pass_only")
EVENT_TYPES = (
    "treaty", "agreement", "war", "attack", "deployment", "guidelines_revision",
    "constitutional_reinterpretation", "defense_reform", "strategy_document",
    "policy_announcement", "inauguration", "election", "summit", "meeting",
    "visit", "missile_launch", "nuclear_test", "grouping_change", "other",
)
COMMITMENT_CATEGORIES = (
    "defense_spending", "acquisition", "deployment", "basing", "new_unit",
    "capability", "joint_development", "security_guarantee",
    "host_nation_support", "policy_stance", "agreement", "other",
)
COMMITMENT_FORMS = (
    "treaty", "agreement", "strategy_document", "statement", "decision", "policy",
    "unknown",
)
COMMITMENT_STATUSES = (
    "considered", "under_discussion", "announced", "decided", "under_way",
    "completed", "abandoned", "unclear",
)
EXERCISE_DOMAINS = (
    "land", "maritime", "air", "amphibious", "cyber", "space", "hadr",
    "multi_domain",
)
EXERCISE_FREQUENCIES = ("annual", "regular", "one_off", "unknown")
EXERCISE_STATUSES = (
    "held", "expanded", "increased", "reduced", "cancelled", "constrained",
    "recommended", "unclear",
)
RECOMMENDATION_LEVELS = ("overall", "bullet", "ask")
POLICY_DOMAINS = (
    "alliance_commitment", "extended_deterrence", "quad", "multilateral_frameworks",
    "trilateral_cooperation", "regional_security_roles", "korea_japan_relations",
    "north_korea", "human_rights", "missile_defense", "military_exercises",
    "force_posture", "defense_spending", "defense_planning", "strike_capabilities",
    "taiwan", "maritime_security", "technology", "economic_security",
)
MODALS = ("should", "must", "need", "would", "could")
REFERENCE_ROLES = ("source_document", "cited_work")
CSL_TYPES = ("article-journal", "book", "chapter", "report", "document")
ACTOR_KINDS = ("state", "grouping", "organisation")
ROLES = (
    "participant", "initiator", "target", "host", "committer", "partner",
    "beneficiary", "addressee", "subject",
)
RECORD_TABLES = ("events", "commitments", "exercises", "recommendations")
EVIDENCED_TABLES = (*RECORD_TABLES, "references", "actors")

# --------------------------------------------------------------------------
# What each vocabulary value means: the one source for describe(), the
# codebook and the Table Schemas' categories. A test checks that every value
# of every category column has a meaning here.
# --------------------------------------------------------------------------


def _table_names(values: tuple[str, ...]) -> dict[str, str]:
    return {v: f"the record is a row of table {v}" for v in values}


MEANINGS: dict[tuple[str, ...], dict[str, str]] = {
    MODES: {
        "fact": "reported as having happened or being so",
        "assessment": "the author's judgement or interpretation",
        "expectation": "a plan, forecast or announced future step",
        "recommendation": "the document asks for it",
    },
    PRECISIONS: {
        "day": "the source gives the days: start and end are those days",
        "month": "the source gives months: first day of the first month to last day of the last",
        "year": "the source gives years: January 1 of the first year to December 31 of the last",
        "decade": "the source gives a decade: January 1 of its first year to December 31 of its last",
        "unknown": "the source fixes no date: both dates are null",
    },
    REVIEWS: {
        "both_passes": "both coding passes coded it, and agreed or differed only in wording",
        "adjudicated": "both passes coded it but disagreed on a coded value; the "
        "reconciliation decided (see note or the reconciliation log)",
        "first_pass_only": "only the first pass coded it; the reconciliation confirmed it "
        "against the text",
        "second_pass_only": "only the second pass coded it; the reconciliation confirmed it "
        "against the text",
    },
    EVENT_TYPES: {
        "treaty": "a treaty concluded, in force or revised",
        "agreement": "an agreement between governments that is not a treaty",
        "war": "a war, as a whole",
        "attack": "an attack, such as a terrorist attack",
        "deployment": "a dispatch or deployment of forces",
        "guidelines_revision": "a revision of the US-Japan Defense Guidelines",
        "constitutional_reinterpretation": "a reinterpretation of a constitution "
        "(Article 9 of Japan's)",
        "defense_reform": "a reform of defense laws, institutions or forces",
        "strategy_document": "a strategy or planning document issued or revised",
        "policy_announcement": "a policy, demand or threat that a government states",
        "inauguration": "a head of state or government takes office",
        "election": "an election",
        "summit": "a meeting of heads of state or government",
        "meeting": "a meeting or series of meetings not coded as a summit",
        "visit": "a trip or visit by an official to another country",
        "missile_launch": "a missile launch or test, or a series of them",
        "nuclear_test": "a nuclear test, carried out or expected",
        "grouping_change": "a grouping formed, reconstituted, widened or changed in kind",
        "other": "a happening that fits none of the other types",
    },
    COMMITMENT_CATEGORIES: {
        "defense_spending": "the level or growth of defense spending",
        "acquisition": "acquiring weapons systems or equipment",
        "deployment": "deploying or stationing forces or assets, or patrolling",
        "basing": "military bases: allowing, using or upgrading them",
        "new_unit": "establishing a new military unit",
        "capability": "developing a military capability",
        "joint_development": "developing systems or technology together with another state",
        "security_guarantee": "a pledge to defend another state",
        "host_nation_support": "support that a host nation gives to foreign forces stationed there",
        "policy_stance": "a general policy, orientation or stance",
        "agreement": "concluding or widening an agreement",
        "other": "a commitment that fits none of the other categories",
    },
    COMMITMENT_FORMS: {
        "treaty": "set down in a treaty",
        "agreement": "set down in an agreement between governments",
        "strategy_document": "set down in a strategy or planning document",
        "statement": "a statement, pledge or vow",
        "decision": "a government decision",
        "policy": "an ongoing policy or approach",
        "unknown": "the source does not say what form it takes",
    },
    COMMITMENT_STATUSES: {
        "considered": "being considered or studied",
        "under_discussion": "under discussion between governments",
        "announced": "announced, pledged or vowed, not yet said to be decided",
        "decided": "decided, adopted or agreed",
        "under_way": "being carried out, or in force and continuing",
        "completed": "carried out in full",
        "abandoned": "given up or reversed",
        "unclear": "the source does not make the status clear",
    },
    EXERCISE_DOMAINS: {
        "land": "on land",
        "maritime": "at sea",
        "air": "in the air",
        "amphibious": "from the sea onto land",
        "cyber": "in cyberspace",
        "space": "in space",
        "hadr": "humanitarian assistance and disaster relief",
        "multi_domain": "across several domains",
    },
    EXERCISE_FREQUENCIES: {
        "annual": "held every year",
        "regular": "held regularly, at no stated interval",
        "one_off": "held once",
        "unknown": "the source does not say how often",
    },
    EXERCISE_STATUSES: {
        "held": "held or carried out",
        "expanded": "widened in scope, such as to new scenarios or participants",
        "increased": "held more often or on a larger scale",
        "reduced": "scaled down or held less often",
        "cancelled": "cancelled",
        "constrained": "held under constraints that limit it",
        "recommended": "the source recommends holding, resuming or using it",
        "unclear": "the source does not say what happened to it",
    },
    RECOMMENDATION_LEVELS: {
        "overall": "an ask that frames the whole document",
        "bullet": "a headed bullet of the document's recommendations",
        "ask": "a distinct concrete ask, inside a bullet (parent_id) or on its own",
    },
    POLICY_DOMAINS: {
        "alliance_commitment": "the alliance itself and the commitment to allies",
        "extended_deterrence": "extended deterrence: defending allies with one's own forces, "
        "nuclear included",
        "quad": "the Quadrilateral Security Dialogue (Quad)",
        "multilateral_frameworks": "multilateral frameworks and groupings other than the Quad",
        "trilateral_cooperation": "cooperation of the United States, Japan and South Korea",
        "regional_security_roles": "the roles allies take in regional security",
        "korea_japan_relations": "relations between South Korea and Japan",
        "north_korea": "North Korea and the threat it poses",
        "human_rights": "human rights",
        "missile_defense": "missile defense",
        "military_exercises": "military exercises",
        "force_posture": "which forces are where: deployments and stationing",
        "defense_spending": "defense budgets and spending",
        "defense_planning": "defense planning, strategy and command arrangements",
        "strike_capabilities": "strike and counterstrike capabilities",
        "taiwan": "Taiwan and the Taiwan Strait",
        "maritime_security": "maritime security and freedom of navigation",
        "technology": "technology and defense-industrial cooperation",
        "economic_security": "economic security: trade, supply chains, economic coercion",
    },
    MODALS: {
        "should": "worded with 'should'",
        "must": "worded with 'must'",
        "need": "worded with 'need' or 'needs to'",
        "would": "worded with 'would' (e.g. 'it would be a waste to')",
        "could": "worded with 'could'",
    },
    REFERENCE_ROLES: {
        "source_document": "one of the documents the data are coded from",
        "cited_work": "a work that a source document cites",
    },
    CSL_TYPES: {
        "article-journal": "an article in a journal",
        "book": "a book",
        "chapter": "a chapter of a book",
        "report": "a report or issue brief",
        "document": "another kind of document, such as a government statement or strategy",
    },
    ACTOR_KINDS: {
        "state": "a state (with ISO 3166-1 alpha-3 and Correlates of War codes)",
        "grouping": "a grouping of states without an organisation of its own, such as the Quad",
        "organisation": "an international organisation, such as NATO",
    },
    ROLES: {
        "participant": "takes part (events, exercises)",
        "initiator": "carries it out or starts it, such as the state that launches a "
        "missile (events)",
        "target": "acted against, or the threat a commitment answers (events, commitments)",
        "host": "hosts a summit or a visit (events)",
        "committer": "makes the commitment (commitments; at least one per commitment)",
        "partner": "commits jointly with, or is the counterpart of, the committer (commitments)",
        "beneficiary": "the commitment is made to or for it (commitments)",
        "addressee": "asked to act (recommendations; at least one per recommendation)",
        "subject": "the ask is about it, without asking it to act (recommendations)",
    },
    RECORD_TABLES: _table_names(RECORD_TABLES),
    EVIDENCED_TABLES: _table_names(EVIDENCED_TABLES),
}


def meanings(values: Sequence[str]) -> dict[str, str | None]:
    """Return what each value of a vocabulary means, in the vocabulary's order.

    Parameters
    ----------
    values : sequence of str
        The allowed values of a category column (``ColumnSpec.categories``).

    Returns
    -------
    dict of str to str or None
        ``None`` for a value whose meaning is not written in :data:`MEANINGS`
        (a test keeps that from happening for the shipped tables).

    Examples
    --------
    >>> meanings(MODES)["fact"]
    'reported as having happened or being so'
    """
    written = MEANINGS.get(tuple(values), {})
    return {value: written.get(value) for value in values}


ID_PATTERNS = {
    "events": r"^EVT-[0-9]{3}$",
    "commitments": r"^COM-[0-9]{3}$",
    "exercises": r"^EXR-[0-9]{3}$",
    "recommendations": r"^REC-[0-9]{3}$",
    "references": r"^[a-z0-9]+(-[a-z0-9]+)*$",
    "actors": r"^[A-Z][A-Z0-9_]*$",
}


# --------------------------------------------------------------------------
# Column helpers: each returns a pandera Field; the annotation gives the type.
# --------------------------------------------------------------------------


def _text(description: str, *, nullable: bool = False, **kwargs) -> object:
    return pa.Field(
        nullable=nullable,
        description=description,
        dtype_kwargs={"storage": "pyarrow"},
        **kwargs,
    )


def _category(
    values: tuple[str, ...], description: str, *, nullable: bool = False
) -> object:
    return pa.Field(
        nullable=nullable,
        description=description,
        dtype_kwargs={"categories": list(values), "ordered": False},
    )


def _pk(table: str, description: str) -> object:
    return _text(description, unique=True, str_matches=ID_PATTERNS[table])


String = Series[pd.StringDtype]
Category = Series[pd.CategoricalDtype]
Date = Series[pa.DateTime]
Int16 = Series[pd.Int16Dtype]
Float = Series[pd.Float64Dtype]
Boolean = Series[pd.BooleanDtype]


# --------------------------------------------------------------------------
# Shared parts of the coded tables
# --------------------------------------------------------------------------


class _Coded(pa.DataFrameModel):
    """Columns every coded record carries after its own."""

    note: String = _text(
        "Coder's note: vagueness, errors or inconsistencies in the source, "
        "how a year was fixed from context, links to related records.",
        nullable=True,
    )
    review: Category = _category(
        REVIEWS,
        "How the record came through double coding: both_passes, adjudicated, "
        "first_pass_only or second_pass_only (see the coding rules).",
    )


class _Claim(_Coded):
    """A claim of the source: its mode, and a date range with its precision."""

    mode: Category = _category(
        MODES,
        "How the source states it: fact, assessment, expectation or recommendation.",
    )

    date_start: Date = pa.Field(
        nullable=True,
        description="Earliest day of the range (null when the date is unknown).",
    )
    date_end: Date = pa.Field(
        nullable=True,
        description="Latest day of the range, never before date_start "
        "(null when the date is unknown).",
    )
    date_precision: Category = _category(
        PRECISIONS,
        "What the source fixes: day, month, year, decade, or unknown "
        "(then both dates are null).",
    )
    date_text: String = _text(
        "The source's own words for the date, verbatim.", nullable=True
    )

    @pa.dataframe_check(
        name="date_range_ordered",
        error="date_end must not be earlier than date_start",
    )
    def _date_range_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["date_end"] < df["date_start"]).fillna(False)

    @pa.dataframe_check(
        name="date_precision_agrees",
        error="date_start/date_end must be null exactly when date_precision is "
        "'unknown', and fall on the boundaries that the precision implies "
        "(month: 1st to last day; year: Jan 1 to Dec 31; decade: 1st year of "
        "a decade to Dec 31 of its 9th)",
    )
    def _date_precision_agrees(cls, df: pd.DataFrame) -> Series[bool]:
        return precision_agrees(df["date_start"], df["date_end"], df["date_precision"])


def precision_agrees(start: pd.Series, end: pd.Series, precision: pd.Series) -> pd.Series:
    """Return, row by row, whether a date range agrees with its precision.

    Parameters
    ----------
    start, end : pandas.Series of datetime64
        The first and last day of each range.
    precision : pandas.Series
        One of :data:`PRECISIONS` per row.

    Returns
    -------
    pandas.Series of bool
    """
    prec = precision.astype("object")
    unknown = prec == "unknown"
    both_null = start.isna() & end.isna()
    both_set = start.notna() & end.notna()
    month_start = start.dt.day == 1
    month_end = end.dt.is_month_end
    year_start = month_start & (start.dt.month == 1)
    year_end = (end.dt.month == 12) & (end.dt.day == 31)
    decade = year_start & year_end & (start.dt.year % 10 == 0) & (end.dt.year % 10 == 9)
    shaped = (
        (prec == "day")
        | ((prec == "month") & month_start & month_end)
        | ((prec == "year") & year_start & year_end)
        | ((prec == "decade") & decade)
    )
    ok = (unknown & both_null) | (~unknown & both_set & shaped.fillna(False))
    return ok.fillna(False).astype(bool)


# --------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------


class Events(_Claim):
    """Dated happenings the documents state, from the alliance's origins to 2022."""

    event_id: String = _pk("events", "Event identifier, EVT-NNN.")
    event_type: Category = _category(EVENT_TYPES, "Kind of happening.")
    title: String = _text("Short description of the event, in the coder's words.")
    place: String = _text("Place, only when the source states it.", nullable=True)

    class Config:
        strict = True
        title = "Events"
        description = (
            "Dated happenings the documents state: treaties, wars, attacks, "
            "deployments, guideline revisions, reforms, strategy documents, "
            "inaugurations, elections, summits, visits, missile launches and "
            "tests. Actors are in record_actors, evidence in evidence."
        )
        metadata = {"primary_key": ["event_id"], "foreign_keys": []}


class Commitments(_Claim):
    """Pledges, decisions and policies of a state, with their status."""

    commitment_id: String = _pk("commitments", "Commitment identifier, COM-NNN.")
    category: Category = _category(COMMITMENT_CATEGORIES, "What kind of commitment.")
    item: String = _text("What is committed to, in the coder's words.")
    quantity: Float = pa.Field(
        nullable=True, ge=0, description="Amount, only when the source gives a number."
    )
    unit: String = _text(
        "Unit of the quantity (e.g. 'percent of GDP'); required with a quantity.",
        nullable=True,
    )
    form: Category = _category(COMMITMENT_FORMS, "The form the commitment takes.")
    status: Category = _category(
        COMMITMENT_STATUSES, "Status as the source tells it, as of the date range."
    )
    status_text: String = _text(
        "The source's own words for the status, verbatim.", nullable=True
    )

    @pa.dataframe_check(
        name="quantity_has_unit", error="a quantity needs a unit, and a unit a quantity"
    )
    def _quantity_has_unit(cls, df: pd.DataFrame) -> Series[bool]:
        return df["quantity"].isna() == df["unit"].isna()

    class Config:
        strict = True
        title = "Commitments"
        description = (
            "Pledges, decisions and policies of a state: spending, acquisitions, "
            "deployments, basing, new units, capabilities, joint development, "
            "security guarantees and policy stances. The date range says as of "
            "when the status holds. Who commits is in record_actors (role "
            "committer)."
        )
        metadata = {"primary_key": ["commitment_id"], "foreign_keys": []}


class Exercises(_Claim):
    """Named exercise series and described exercise activities."""

    exercise_id: String = _pk("exercises", "Exercise identifier, EXR-NNN.")
    name: String = _text(
        "Name of the exercise series, null for a described activity.", nullable=True
    )
    description: String = _text("What the exercise is, in the coder's words.")
    domain: Category = _category(
        EXERCISE_DOMAINS, "Main domain, when the source tells it.", nullable=True
    )
    frequency: Category = _category(
        EXERCISE_FREQUENCIES, "How often it is held, as the source tells it."
    )
    status: Category = _category(
        EXERCISE_STATUSES, "What the source says happened to it."
    )
    status_text: String = _text(
        "The source's own words for what happened, verbatim.", nullable=True
    )

    class Config:
        strict = True
        title = "Exercises"
        description = (
            "Named exercise series and described exercise activities, with "
            "what the source says happened to them. Participants are in "
            "record_actors, scenarios in exercise_scenarios."
        )
        metadata = {"primary_key": ["exercise_id"], "foreign_keys": []}


class Recommendations(_Coded):
    """Every distinct ask of the documents, bullets and the asks inside them."""

    recommendation_id: String = _pk(
        "recommendations", "Recommendation identifier, REC-NNN."
    )
    parent_id: String = _text(
        "The bullet this ask belongs to (a recommendation_id), or null.",
        nullable=True,
        str_matches=ID_PATTERNS["recommendations"],
    )
    level: Category = _category(
        RECOMMENDATION_LEVELS,
        "overall (frames the whole document), bullet (a headed bullet) or ask "
        "(a distinct concrete ask).",
    )
    number: Int16 = pa.Field(
        nullable=True, ge=1, description="Position of the bullet in its list, if any."
    )
    heading: String = _text("The bullet's heading, verbatim.", nullable=True)
    action: String = _text("What is asked, in the coder's words.")
    policy_domain: Category = _category(POLICY_DOMAINS, "Policy domain of the ask.")
    modal: Category = _category(MODALS, "The modal wording of the ask.")
    recommender_id: String = _text(
        "The source document whose authors recommend (a reference_id).",
        str_matches=ID_PATTERNS["references"],
    )

    class Config:
        strict = True
        title = "Recommendations"
        description = (
            "Every distinct ask of the documents: the overall asks, each headed "
            "bullet and each concrete ask inside a bullet (linked by parent_id). "
            "Addressees and subjects are in record_actors."
        )
        metadata = {
            "primary_key": ["recommendation_id"],
            "foreign_keys": [
                {"fields": ["parent_id"], "reference": {"resource": "recommendations", "fields": ["recommendation_id"]}},
                {"fields": ["recommender_id"], "reference": {"resource": "references", "fields": ["reference_id"]}},
            ],
        }


class References(_Coded):
    """The two source documents and every work they cite."""

    reference_id: String = _pk("references", "Reference identifier, a lower-case slug.")
    role: Category = _category(
        REFERENCE_ROLES, "source_document (coded from) or cited_work (cited by one)."
    )
    cited_by: String = _text(
        "The source document that cites this work; null for the source documents.",
        nullable=True,
        str_matches=ID_PATTERNS["references"],
    )
    in_reference_list: Boolean = pa.Field(
        nullable=True,
        description="Whether the work is in the citing document's reference list "
        "(null for the source documents).",
    )
    reference_list_number: Int16 = pa.Field(
        nullable=True, ge=1, description="Its number in that reference list."
    )
    citation_text: String = _text(
        "How the citing document cites it in its text (e.g. 'Koga, 2020', 'endnote 5').",
        nullable=True,
    )
    csl_type: Category = _category(
        CSL_TYPES, "CSL item type; null when the work is unidentified.", nullable=True
    )
    title: String = _text("Title, as printed.", nullable=True)
    container_title: String = _text(
        "Journal, book or collection it appears in (CSL container-title).", nullable=True
    )
    publisher: String = _text("Publisher.", nullable=True)
    publisher_place: String = _text("Place of publication.", nullable=True)
    issued_year: Int16 = pa.Field(
        nullable=True, ge=1900, le=2100, description="Year of publication, as printed."
    )
    volume: String = _text("Volume.", nullable=True)
    issue: String = _text("Issue.", nullable=True)
    page: String = _text("Pages or article number.", nullable=True)
    license: String = _text("License of a source document.", nullable=True)
    source_file: String = _text(
        "File name of the source text the data were coded from.", nullable=True
    )
    sha256: String = _text(
        "sha256 of that source text.", nullable=True, str_matches=r"^[0-9a-f]{64}$"
    )

    @pa.dataframe_check(
        name="source_documents_complete",
        error="a source_document has a source_file and sha256 and no cited_by; "
        "a cited_work has cited_by and in_reference_list",
    )
    def _source_documents_complete(cls, df: pd.DataFrame) -> Series[bool]:
        source = df["role"].astype("object") == "source_document"
        as_source = df["source_file"].notna() & df["sha256"].notna() & df["cited_by"].isna()
        as_cited = df["cited_by"].notna() & df["in_reference_list"].notna()
        return (source & as_source) | (~source & as_cited)

    class Config:
        strict = True
        title = "References"
        description = (
            "The two source documents (role source_document, with the sha256 of "
            "the text coded from) and every work either cites (role cited_work), "
            "with CSL-like fields, whether it is in the citing document's "
            "reference list, and how it is cited in the text. Authors are in "
            "reference_authors."
        )
        metadata = {
            "primary_key": ["reference_id"],
            "foreign_keys": [
                {"fields": ["cited_by"], "reference": {"resource": "references", "fields": ["reference_id"]}},
            ],
        }


class ReferenceAuthors(pa.DataFrameModel):
    """Authors of each reference, in order (CSL author)."""

    reference_id: String = _text(
        "The reference (a reference_id).", str_matches=ID_PATTERNS["references"]
    )
    position: Int16 = pa.Field(ge=1, description="Position in the author list, from 1.")
    family: String = _text("Family name, for a person.", nullable=True)
    given: String = _text("Given names or initials, as printed.", nullable=True)
    literal: String = _text(
        "The name as one string, for an institution or a name whose parts the "
        "source does not mark.",
        nullable=True,
    )

    @pa.dataframe_check(
        name="author_named", error="an author has a family name or a literal name, not both"
    )
    def _author_named(cls, df: pd.DataFrame) -> Series[bool]:
        return df["family"].notna() != df["literal"].notna()

    class Config:
        strict = True
        title = "Reference authors"
        description = "Authors of each reference, in order (CSL author: family, given, literal)."
        metadata = {
            "primary_key": ["reference_id", "position"],
            "foreign_keys": [
                {"fields": ["reference_id"], "reference": {"resource": "references", "fields": ["reference_id"]}},
            ],
        }


class Actors(pa.DataFrameModel):
    """States, groupings and organisations the records name."""

    actor_id: String = _pk(
        "actors",
        "Actor identifier: ISO 3166-1 alpha-3 for a state, an upper-case code "
        "for a grouping or organisation.",
    )
    name: String = _text("Name.")
    kind: Category = _category(ACTOR_KINDS, "state, grouping or organisation.")
    iso3: String = _text(
        "ISO 3166-1 alpha-3 code (states).", nullable=True, str_matches=r"^[A-Z]{3}$"
    )
    cow_ccode: Int16 = pa.Field(
        nullable=True, ge=1, le=999, description="Correlates of War country code (states)."
    )
    cow_abbrev: String = _text(
        "Correlates of War abbreviation (states).", nullable=True, str_matches=r"^[A-Z]{3}$"
    )
    note: String = _text("Note.", nullable=True)

    @pa.dataframe_check(
        name="state_codes", error="a state has iso3 and COW codes; a grouping or organisation has none"
    )
    def _state_codes(cls, df: pd.DataFrame) -> Series[bool]:
        state = df["kind"].astype("object") == "state"
        codes = df[["iso3", "cow_ccode", "cow_abbrev"]].notna()
        return (state & codes.all(axis=1)) | (~state & ~codes.any(axis=1))

    class Config:
        strict = True
        title = "Actors"
        description = (
            "States (ISO 3166-1 alpha-3 and Correlates of War codes), groupings "
            "and organisations named by the records. Members of groupings are in "
            "actor_members."
        )
        metadata = {"primary_key": ["actor_id"], "foreign_keys": []}


class ActorMembers(pa.DataFrameModel):
    """Members of a grouping, as the documents name them."""

    grouping_id: String = _text("The grouping (an actor_id).", str_matches=ID_PATTERNS["actors"])
    member_id: String = _text("A member (an actor_id).", str_matches=ID_PATTERNS["actors"])

    class Config:
        strict = True
        title = "Actor members"
        description = "Members of each grouping, only as the documents name them."
        metadata = {
            "primary_key": ["grouping_id", "member_id"],
            "foreign_keys": [
                {"fields": ["grouping_id"], "reference": {"resource": "actors", "fields": ["actor_id"]}},
                {"fields": ["member_id"], "reference": {"resource": "actors", "fields": ["actor_id"]}},
            ],
        }


class RecordActors(pa.DataFrameModel):
    """Which actors each event, commitment, exercise or recommendation names, and how."""

    record_table: Category = _category(RECORD_TABLES, "Table of the record.")
    record_id: String = _text("The record's identifier in that table.")
    actor_id: String = _text("The actor (an actor_id).", str_matches=ID_PATTERNS["actors"])
    role: Category = _category(ROLES, "The actor's role in the record (see the coding rules).")

    class Config:
        strict = True
        title = "Record actors"
        description = (
            "Links each event, commitment, exercise and recommendation to the "
            "actors it names, with their role."
        )
        metadata = {
            "primary_key": ["record_table", "record_id", "actor_id", "role"],
            "foreign_keys": [
                {"fields": ["actor_id"], "reference": {"resource": "actors", "fields": ["actor_id"]}},
            ],
            "record_link": {"table": "record_table", "id": "record_id"},
        }


class ExerciseScenarios(pa.DataFrameModel):
    """Scenarios each exercise includes, in the source's words."""

    exercise_id: String = _text("The exercise (an exercise_id).", str_matches=ID_PATTERNS["exercises"])
    scenario: String = _text("A scenario, in the source's words.")

    class Config:
        strict = True
        title = "Exercise scenarios"
        description = "Scenarios each exercise includes, in the source's words."
        metadata = {
            "primary_key": ["exercise_id", "scenario"],
            "foreign_keys": [
                {"fields": ["exercise_id"], "reference": {"resource": "exercises", "fields": ["exercise_id"]}},
            ],
        }


class Evidence(pa.DataFrameModel):
    """One row per piece of evidence: document, locator and verbatim quote."""

    evidence_id: String = _text(
        "Evidence identifier: the record's id, '#', and a number.",
        unique=True,
        str_matches=r"^[A-Za-z0-9_-]+#[0-9]+$",
    )
    record_table: Category = _category(EVIDENCED_TABLES, "Table of the record.")
    record_id: String = _text("The record's identifier in that table.")
    source_id: String = _text(
        "The source document (a reference_id of role source_document).",
        str_matches=ID_PATTERNS["references"],
    )
    locator: String = _text(
        "Where in the document: section, heading, paragraph or bullet.",
        str_length={"min_value": 1},
    )
    quote: String = _text(
        "A short verbatim quote (letters and digits as in the source).",
        str_length={"min_value": 1},
    )
    note: String = _text("Note on this piece of evidence.", nullable=True)

    class Config:
        strict = True
        title = "Evidence"
        description = (
            "One row per piece of evidence for a record: which source document, "
            "a locator a reader can follow and a short verbatim quote. A fact "
            "stated in both documents has evidence from each."
        )
        metadata = {
            "primary_key": ["evidence_id"],
            "foreign_keys": [
                {"fields": ["source_id"], "reference": {"resource": "references", "fields": ["reference_id"]}},
            ],
            "record_link": {"table": "record_table", "id": "record_id"},
        }


#: Columns each row rule (dataframe-level check) reads, for error reports.
RULE_COLUMNS = {
    "date_range_ordered": ["date_start", "date_end"],
    "date_precision_agrees": ["date_start", "date_end", "date_precision"],
    "quantity_has_unit": ["quantity", "unit"],
    "source_documents_complete": ["role", "cited_by", "in_reference_list", "source_file", "sha256"],
    "author_named": ["family", "literal"],
    "state_codes": ["kind", "iso3", "cow_ccode", "cow_abbrev"],
}

def rule_name(check: pa.Check) -> str:
    """The name of a row rule; pandera gives inherited ones their function's name."""
    return check.name.lstrip("_")


#: Every table, in the order they are listed and written.
TABLES: dict[str, type[pa.DataFrameModel]] = {
    "events": Events,
    "commitments": Commitments,
    "exercises": Exercises,
    "recommendations": Recommendations,
    "references": References,
    "actors": Actors,
    "evidence": Evidence,
    "record_actors": RecordActors,
    "actor_members": ActorMembers,
    "exercise_scenarios": ExerciseScenarios,
    "reference_authors": ReferenceAuthors,
}

#: Tables whose every record must have at least one evidence row.
CODED_TABLES = ("events", "commitments", "exercises", "recommendations", "references")


def table_model(name: str) -> type[pa.DataFrameModel]:
    """Return the model of a table, or raise a KeyError that lists the names."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(
            f"unknown table {name!r}; the tables are: {', '.join(TABLES)}"
        ) from None


@lru_cache(maxsize=None)
def columns(model: type[pa.DataFrameModel]) -> tuple[str, ...]:
    """Column order of a table: the model's own columns, then inherited ones.

    Parameters
    ----------
    model : pandera DataFrameModel subclass

    Returns
    -------
    tuple of str
    """
    names = model.to_schema().columns
    order: list[str] = []
    for klass in model.__mro__:
        for name in vars(klass).get("__annotations__", {}):
            if name in names and name not in order:
                order.append(name)
    return tuple(order)


@lru_cache(maxsize=None)
def keys(model: type[pa.DataFrameModel]) -> dict:
    """Return the key metadata of a model (primary_key, foreign_keys, record_link).

    Cached: treat the result as read-only.
    """
    return dict(model.get_metadata()[model.__name__]["dataframe"])


def record_links(model: type[pa.DataFrameModel]) -> list[dict[str, str]]:
    """Return the links through which a table names records of other tables.

    Each is a key metadata entry whose name ends in ``_link`` (such as
    ``record_link``): ``{"table": column naming the table, "id": column
    holding the record's primary key}``.
    """
    return [value for name, value in keys(model).items() if name.endswith("_link")]


#: The dtype of every text column, under pandas 2 and 3 alike.
TEXT_DTYPE = pd.StringDtype("pyarrow")

_KINDS = {
    "string[pyarrow]": "text",
    "category": "category",
    "datetime64[ns]": "date",
    "Int16": "integer",
    "Float64": "number",
    "boolean": "boolean",
}


@lru_cache(maxsize=None)
def column_specs(model: type[pa.DataFrameModel]) -> tuple[ColumnSpec, ...]:
    """Describe each column of a table for parsing and export, in column order.

    Parameters
    ----------
    model : pandera DataFrameModel subclass

    Returns
    -------
    tuple of ColumnSpec
    """
    schema = model.to_schema()
    specs = []
    for name in columns(model):
        column = schema.columns[name]
        kind = _KINDS[str(column.dtype)]
        # pandera's string type follows the pandas major version (NaN-backed
        # ``str`` under pandas 3); the package gives ``string[pyarrow]`` with
        # pd.NA under both, which pandera accepts as the same type.
        dtype = TEXT_DTYPE if kind == "text" else column.dtype.type
        categories = tuple(dtype.categories) if kind == "category" else ()
        specs.append(ColumnSpec(name, kind, dtype, categories, column.nullable))
    return tuple(specs)
