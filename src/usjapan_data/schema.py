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

import warnings
from collections.abc import Sequence
from functools import lru_cache

import pandas as pd

# With pyspark installed (the spark extra), pandera imports pyspark.pandas, now and when
# it builds a schema, and pyspark.pandas warns each time that it does not support pandas 3.
# Nothing here uses pyspark.pandas (the Spark engine runs Spark SQL): that one warning is
# silenced, by its message, and no other.
warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)

import pandera.pandas as pa  # noqa: E402
from pandera.typing import Series  # noqa: E402

from usjapan_data.parsing import ColumnSpec

__all__ = [
    "TABLES", "CODED_TABLES", "MEANINGS", "columns", "keys", "label_columns", "meanings", "table_model",
]

# --------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------

MODES = ("fact", "assessment", "expectation")
PRECISIONS = ("day", "month", "year", "decade", "window", "unknown")
#: Precisions whose range is the happening's own span (a window is not).
SPAN_PRECISIONS = ("day", "month", "year", "decade")
DATE_BASES = ("printed", "context", "time_of_writing", "heading", "none")
#: Bases that fix no date: the record's dates are null.
UNDATED_BASES = ("heading", "none")
REVIEWS = ("agreed", "adjudicated", "single_pass")
EVENT_STATUSES = ("occurred", "ongoing", "upcoming", "unclear")
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
    "considered", "under_discussion", "announced", "decided", "in_effect",
    "under_way", "completed", "abandoned", "unclear",
)
#: Statuses that end a commitment: never set by an expectation.
FINAL_COMMITMENT_STATUSES = ("completed", "abandoned")
EXERCISE_DOMAINS = (
    "land", "maritime", "air", "amphibious", "cyber", "space", "hadr",
    "multi_domain",
)
EXERCISE_FREQUENCIES = ("annual", "regular", "one_off", "unknown")
EXERCISE_STATUSES = (
    "held", "expanded", "increased", "reduced", "cancelled", "constrained",
    "unclear",
)
FINAL_EXERCISE_STATUSES = ("cancelled",)
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
ACTOR_KINDS = ("state", "leader", "administration", "grouping", "organisation")
#: Actor kinds that belong to a state (``state_id``).
STATE_PARTS = ("leader", "administration")
ROLES = (
    "participant", "initiator", "target", "host", "committer", "partner",
    "beneficiary", "addressee", "subject",
)
RECORD_TABLES = ("events", "commitments", "exercises", "recommendations")
CLAIM_TABLES = ("events", "commitments", "exercises")
LINK_RELATIONS = ("part_of", "outcome_of", "related", "conflicts_with")
#: The record-id prefix of each record table (``EVT-001`` is an event).
ID_PREFIXES = {"events": "EVT", "commitments": "COM", "exercises": "EXR", "recommendations": "REC"}
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
    },
    PRECISIONS: {
        "day": "the happening spans these days: start and end are the days given",
        "month": "the happening spans these months: first day of the first month to last day "
        "of the last",
        "year": "the happening spans these years: January 1 of the first year to December 31 "
        "of the last",
        "decade": "the happening spans this decade: January 1 of its first year to December 31 "
        "of its last",
        "window": "the happening lies somewhere within the range; its own dates are not given",
        "unknown": "no date: both dates are null",
    },
    DATE_BASES: {
        "printed": "the sentence that states the claim prints the date",
        "context": "inferred from elsewhere in the document; the evidence row marked for the "
        "date quotes that context",
        "time_of_writing": "anchored to the source's time of writing ('now', 'ongoing', "
        "'during the past four years'): a window ending when it was written",
        "heading": "the only tie to a time is a heading or the title: headings fix no date",
        "none": "nothing in the document fixes a date",
    },
    REVIEWS: {
        "agreed": "every coding pass that coded it agreed on its coded values",
        "adjudicated": "the passes differed on a coded value or on whether to code it; the "
        "adjudication decided (see the log in review/)",
        "single_pass": "only one pass coded it; the adjudication confirmed it against the text",
    },
    EVENT_STATUSES: {
        "occurred": "took place before the source was written",
        "ongoing": "taking place at the source's time of writing",
        "upcoming": "expected or scheduled after the source's time of writing",
        "unclear": "the source does not say whether it took place",
    },
    LINK_RELATIONS: {
        "part_of": "the record is a part or stage of the other",
        "outcome_of": "the record results from the other",
        "related": "same subject, a different claim",
        "conflicts_with": "the documents report different states of the same thing",
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
        "announced": "announced, pledged, vowed or signalled, not reported as decided or "
        "carried out",
        "decided": "reported as decided, adopted or agreed; implementation not reported",
        "in_effect": "a standing policy, stance, arrangement or guarantee (of the "
        "administration the record names, for a past one)",
        "under_way": "being carried out",
        "completed": "carried out in full",
        "abandoned": "given up or reversed",
        "unclear": "the source does not say, or only forecasts it",
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
        "leader": "a head of state or government, with the state it leads (no dates)",
        "administration": "a government named by its leader, with its state (no dates)",
        "grouping": "a grouping of states without an organisation of its own, such as the Quad",
        "organisation": "an international organisation, such as NATO",
    },
    ROLES: {
        "participant": "takes part (events, exercises)",
        "initiator": "carries it out or starts it, such as the state that launches a "
        "missile (events)",
        "target": "acted against, or the one a commitment is aimed at (events, commitments)",
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
Int64 = Series[pd.Int64Dtype]
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
    """A claim of the source: its mode, and a date range with its precision and basis."""

    mode: Category = _category(
        MODES,
        "How the source states it: fact (reported as so), assessment (the "
        "author's judgement) or expectation (a plan or forecast).",
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
        "day, month, year or decade: the range is the happening's own span, "
        "to that unit; window: the happening lies somewhere within the range, "
        "its own dates not given; unknown: no date (both dates null).",
    )
    date_basis: Category = _category(
        DATE_BASES,
        "Where the date comes from: printed in the sentence, inferred from "
        "context (the evidence row marked for the date quotes it), anchored to "
        "the source's time_of_writing, a heading only (headings fix no date), "
        "or none.",
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
        "a decade to Dec 31 of its 9th; window: any range)",
    )
    def _date_precision_agrees(cls, df: pd.DataFrame) -> Series[bool]:
        return precision_agrees(df["date_start"], df["date_end"], df["date_precision"])

    @pa.dataframe_check(
        name="date_basis_agrees",
        error="date_basis heading or none goes with date_precision 'unknown' "
        "(headings fix no date), and 'unknown' only with them; time_of_writing "
        "gives a 'window'",
    )
    def _date_basis_agrees(cls, df: pd.DataFrame) -> Series[bool]:
        basis = df["date_basis"].astype("object")
        prec = df["date_precision"].astype("object")
        undated = basis.isin(UNDATED_BASES)
        ok = (undated == (prec == "unknown")) & ((basis != "time_of_writing") | (prec == "window"))
        return ok.fillna(False).astype(bool)


def expectation_not_final(mode: pd.Series, status: pd.Series, final: tuple[str, ...]) -> pd.Series:
    """Row by row: an expectation never sets one of the ``final`` statuses."""
    bad = (mode.astype("object") == "expectation") & status.astype("object").isin(final)
    return ~bad.fillna(False).astype(bool)


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
    window = (prec == "window") & (start <= end).fillna(False)
    ok = (unknown & both_null) | (~unknown & both_set & (shaped | window).fillna(False))
    return ok.fillna(False).astype(bool)


# --------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------


class Events(_Claim):
    """Happenings the documents state, with their status at the time of writing."""

    event_id: String = _pk("events", "Event identifier, EVT-NNN.")
    event_type: Category = _category(EVENT_TYPES, "Kind of happening.")
    title: String = _text("Short description of the event, in the coder's words.")
    place: String = _text("Place, only when the source states it.", nullable=True)
    status: Category = _category(
        EVENT_STATUSES,
        "The state the source reports at its time of writing: occurred, "
        "ongoing, upcoming (expected or scheduled) or unclear. Count what "
        "took place with status 'occurred'.",
    )

    @pa.dataframe_check(
        name="event_status_agrees_mode",
        error="an expectation is 'upcoming' or 'unclear', and an 'upcoming' "
        "event is an expectation or an assessment",
    )
    def _event_status_agrees_mode(cls, df: pd.DataFrame) -> Series[bool]:
        mode = df["mode"].astype("object")
        status = df["status"].astype("object")
        bad = ((mode == "expectation") & ~status.isin(("upcoming", "unclear"))) | (
            (status == "upcoming") & (mode == "fact")
        )
        return ~bad.fillna(False).astype(bool)

    class Config:
        strict = True
        title = "Events"
        description = (
            "Happenings the documents state, with their status at the time of "
            "writing (occurred, ongoing, upcoming): treaties, wars, attacks, "
            "deployments, guideline revisions, reforms, strategy documents, "
            "inaugurations, elections, summits, visits, missile launches and "
            "tests. Actors are in record_actors, evidence in evidence, links "
            "to related records in record_links."
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
        COMMITMENT_STATUSES,
        "The state the source reports at its time of writing (see the coding "
        "rules); an expected change never sets a final status (completed, "
        "abandoned); unclear when the source does not say.",
    )
    status_text: String = _text(
        "The source's own words for the status, verbatim.", nullable=True
    )

    @pa.dataframe_check(
        name="quantity_has_unit", error="a quantity needs a unit, and a unit a quantity"
    )
    def _quantity_has_unit(cls, df: pd.DataFrame) -> Series[bool]:
        return df["quantity"].isna() == df["unit"].isna()

    @pa.dataframe_check(
        name="commitment_expectation_not_final",
        error="an expectation never sets a final status (completed, abandoned)",
    )
    def _commitment_expectation_not_final(cls, df: pd.DataFrame) -> Series[bool]:
        return expectation_not_final(df["mode"], df["status"], FINAL_COMMITMENT_STATUSES)

    class Config:
        strict = True
        title = "Commitments"
        description = (
            "Pledges, decisions, plans and policies of a state (or its leader or "
            "administration): spending, acquisitions, deployments, basing, new "
            "units, capabilities, joint development, security guarantees and "
            "policy stances. Another state's capabilities and threats are not "
            "commitments. The date range says as of when the status holds. Who "
            "commits is in record_actors (role committer)."
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
        EXERCISE_STATUSES,
        "What the source reports of it at its time of writing; unclear when "
        "it does not say.",
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

    @pa.dataframe_check(
        name="exercise_expectation_not_final",
        error="an expectation never sets a final status (cancelled)",
    )
    def _exercise_expectation_not_final(cls, df: pd.DataFrame) -> Series[bool]:
        return expectation_not_final(df["mode"], df["status"], FINAL_EXERCISE_STATUSES)


class Recommendations(_Coded):
    """Every distinct ask of the documents, bullets and the asks inside them."""

    recommendation_id: String = _pk(
        "recommendations", "Recommendation identifier, REC-NNN."
    )
    parent_id: String = _text(
        "The record above this one in its document's tree (a recommendation_id): "
        "null for an overall record; a bullet's parent is the overall record of "
        "its list; an ask's parent is its bullet, or the overall record.",
        nullable=True,
        str_matches=ID_PATTERNS["recommendations"],
    )
    level: Category = _category(
        RECOMMENDATION_LEVELS,
        "overall (frames the whole document), bullet (a headed bullet) or ask "
        "(a distinct concrete ask).",
    )
    number: Int64 = pa.Field(
        nullable=True, ge=1, description="Position of the bullet in its list, if any."
    )
    heading: String = _text("The bullet's heading, verbatim.", nullable=True)
    action: String = _text("What is asked, in the coder's words.")
    modal: Category = _category(MODALS, "The modal wording of the ask.")
    recommender_id: String = _text(
        "The source document whose authors recommend (a reference_id).",
        str_matches=ID_PATTERNS["references"],
    )

    @pa.dataframe_check(
        name="parent_agrees_level",
        error="an overall record has no parent; a bullet or an ask has one",
    )
    def _parent_agrees_level(cls, df: pd.DataFrame) -> Series[bool]:
        overall = df["level"].astype("object") == "overall"
        return (overall == df["parent_id"].isna()).astype(bool)

    class Config:
        strict = True
        title = "Recommendations"
        description = (
            "Every distinct ask of the documents, as one tree per document: the "
            "overall records, each headed bullet and each concrete ask (linked "
            "by parent_id). Policy domains are in recommendation_domains, "
            "addressees and subjects in record_actors."
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
    reference_list_number: Int64 = pa.Field(
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
    issued_year: Int64 = pa.Field(
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
    written_start: Date = pa.Field(
        nullable=True,
        description="A source document's time of writing, derived from its own "
        "text: the earliest day (null for cited works).",
    )
    written_end: Date = pa.Field(
        nullable=True,
        description="The latest day of the time of writing (null for cited works).",
    )
    written_basis: String = _text(
        "How the document's own text fixes its time of writing.", nullable=True
    )

    @pa.dataframe_check(
        name="source_documents_complete",
        error="a source_document has a source_file, sha256 and time of writing "
        "(written_start <= written_end, written_basis) and no cited_by; a "
        "cited_work has cited_by and in_reference_list and no time of writing",
    )
    def _source_documents_complete(cls, df: pd.DataFrame) -> Series[bool]:
        source = df["role"].astype("object") == "source_document"
        written = df[["written_start", "written_end", "written_basis"]].notna()
        ordered = (df["written_start"] <= df["written_end"]).fillna(False)
        as_source = (
            df["source_file"].notna() & df["sha256"].notna() & df["cited_by"].isna()
            & written.all(axis=1) & ordered
        )
        as_cited = df["cited_by"].notna() & df["in_reference_list"].notna() & ~written.any(axis=1)
        return ((source & as_source) | (~source & as_cited)).astype(bool)

    class Config:
        strict = True
        title = "References"
        description = (
            "The two source documents (role source_document, with the sha256 of "
            "the text coded from and the time of writing derived from each "
            "document's own text) and every work either cites (role cited_work), "
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
    position: Int64 = pa.Field(ge=1, description="Position in the author list, from 1.")
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
    """States, leaders, administrations, groupings and organisations the records name."""

    actor_id: String = _pk(
        "actors",
        "Actor identifier: ISO 3166-1 alpha-3 for a state, an upper-case code "
        "for a leader, administration, grouping or organisation.",
    )
    name: String = _text("Name, as the documents give it.")
    kind: Category = _category(
        ACTOR_KINDS,
        "state, leader (a head of state or government), administration (a "
        "government named by its leader), grouping or organisation.",
    )
    state_id: String = _text(
        "The state a leader or administration belongs to (an actor_id); null "
        "for other kinds. No dates: the documents give no terms of office.",
        nullable=True,
        str_matches=ID_PATTERNS["actors"],
    )
    iso3: String = _text(
        "ISO 3166-1 alpha-3 code (states).", nullable=True, str_matches=r"^[A-Z]{3}$"
    )
    cow_ccode: Int64 = pa.Field(
        nullable=True, ge=1, le=999, description="Correlates of War country code (states)."
    )
    cow_abbrev: String = _text(
        "Correlates of War abbreviation (states).", nullable=True, str_matches=r"^[A-Z]{3}$"
    )
    note: String = _text("Note.", nullable=True)

    @pa.dataframe_check(
        name="state_codes",
        error="a state has iso3 and COW codes; a leader or administration has a "
        "state_id and no codes; a grouping or organisation has neither",
    )
    def _state_codes(cls, df: pd.DataFrame) -> Series[bool]:
        kind = df["kind"].astype("object")
        state = kind == "state"
        part = kind.isin(STATE_PARTS)
        codes = df[["iso3", "cow_ccode", "cow_abbrev"]].notna()
        has_state = df["state_id"].notna()
        ok = (state & codes.all(axis=1) & ~has_state) | (
            ~state & ~codes.any(axis=1) & (has_state == part)
        )
        return ok.fillna(False).astype(bool)

    class Config:
        strict = True
        title = "Actors"
        description = (
            "States (ISO 3166-1 alpha-3 and Correlates of War codes), leaders "
            "and administrations (with their state), groupings and organisations "
            "named by the records. Members of groupings are in actor_members."
        )
        metadata = {
            "primary_key": ["actor_id"],
            "foreign_keys": [
                {"fields": ["state_id"], "reference": {"resource": "actors", "fields": ["actor_id"]}},
            ],
        }


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
    evidence_id: String = _text(
        "The evidence row of the same record whose quote names the actor (an evidence_id).",
        str_matches=r"^[A-Za-z0-9_-]+#[0-9]+$",
    )

    class Config:
        strict = True
        title = "Record actors"
        description = (
            "Links each event, commitment, exercise and recommendation to the "
            "actors it names, with their role and the evidence row that names "
            "each."
        )
        metadata = {
            "primary_key": ["record_table", "record_id", "actor_id", "role"],
            "foreign_keys": [
                {"fields": ["actor_id"], "reference": {"resource": "actors", "fields": ["actor_id"]}},
                {"fields": ["evidence_id"], "reference": {"resource": "evidence", "fields": ["evidence_id"]}},
            ],
            "record_link": {"table": "record_table", "id": "record_id"},
        }


class RecordLinks(pa.DataFrameModel):
    """Related and part-of links between records, instead of merges of different claims."""

    record_table: Category = _category(RECORD_TABLES, "Table of the record.")
    record_id: String = _text("The record's identifier in that table.")
    relation: Category = _category(
        LINK_RELATIONS,
        "part_of (a part or stage of the other), outcome_of (results from the "
        "other), related (same subject, a different claim) or conflicts_with "
        "(the documents report different states of the same thing).",
    )
    target_table: Category = _category(RECORD_TABLES, "Table of the other record.")
    target_id: String = _text("The other record's identifier in that table.")

    @pa.dataframe_check(name="link_not_to_itself", error="a record cannot be linked to itself")
    def _link_not_to_itself(cls, df: pd.DataFrame) -> Series[bool]:
        same = (df["record_table"].astype("object") == df["target_table"].astype("object")) & (
            df["record_id"] == df["target_id"]
        )
        return ~same.fillna(False).astype(bool)

    class Config:
        strict = True
        title = "Record links"
        description = (
            "Links between events, commitments, exercises and recommendations: "
            "a claim that is part of another, results from it, is related to it "
            "or conflicts with it. Each link is stated once, from the record "
            "that names the other."
        )
        metadata = {
            "primary_key": ["record_table", "record_id", "relation", "target_table", "target_id"],
            "foreign_keys": [],
            "record_link": {"table": "record_table", "id": "record_id"},
            "target_link": {"table": "target_table", "id": "target_id"},
        }


class RecommendationDomains(pa.DataFrameModel):
    """The policy domains of each recommendation (one or more)."""

    recommendation_id: String = _text(
        "The recommendation (a recommendation_id).",
        str_matches=ID_PATTERNS["recommendations"],
    )
    policy_domain: Category = _category(POLICY_DOMAINS, "A policy domain the text gives.")

    class Config:
        strict = True
        title = "Recommendation domains"
        description = "Every policy domain the text of each recommendation gives (at least one)."
        metadata = {
            "primary_key": ["recommendation_id", "policy_domain"],
            "foreign_keys": [
                {"fields": ["recommendation_id"], "reference": {"resource": "recommendations", "fields": ["recommendation_id"]}},
            ],
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
    supports_date: Boolean = pa.Field(
        description="The row supports the record's date (for a date of basis "
        "context, it quotes the context)."
    )
    supports_status: Boolean = pa.Field(description="The row supports the record's status.")
    supports_quantity: Boolean = pa.Field(
        description="The row supports the record's quantity and unit."
    )
    repeat: Boolean = pa.Field(
        description="The quote stands in the second printing of a passage the "
        "document prints twice (the paper's section 3.3): count evidence "
        "without these rows."
    )
    note: String = _text("Note on this piece of evidence.", nullable=True)

    class Config:
        strict = True
        title = "Evidence"
        description = (
            "One row per piece of evidence for a record: which source document, "
            "a locator a reader can follow and a short verbatim quote, with the "
            "coded values it supports (date, status, quantity; actors point at "
            "their row from record_actors). A claim stated in both documents "
            "has evidence from each."
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
    "date_basis_agrees": ["date_basis", "date_precision"],
    "event_status_agrees_mode": ["mode", "status"],
    "commitment_expectation_not_final": ["mode", "status"],
    "exercise_expectation_not_final": ["mode", "status"],
    "parent_agrees_level": ["level", "parent_id"],
    "source_documents_complete": ["role", "cited_by", "in_reference_list", "source_file", "sha256",
                                  "written_start", "written_end", "written_basis"],
    "author_named": ["family", "literal"],
    "state_codes": ["kind", "state_id", "iso3", "cow_ccode", "cow_abbrev"],
    "link_not_to_itself": ["record_table", "record_id", "target_table", "target_id"],
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
    "record_links": RecordLinks,
    "recommendation_domains": RecommendationDomains,
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


#: Text columns that name a record, before any other (see :func:`label_columns`).
LABEL_NAMES = ("title", "name")


def label_columns(model: type[pa.DataFrameModel]) -> list[str]:
    """Return the columns whose first non-null value labels a record of a table.

    Its ``title`` or ``name`` column, then its first required text column that
    is not a key, then its first primary-key column: the last is never null,
    so every record has a label.

    Examples
    --------
    >>> label_columns(Exercises)
    ['name', 'description', 'exercise_id']
    """
    table_keys = keys(model)
    key_columns = set(table_keys["primary_key"])
    for fk in table_keys.get("foreign_keys", []):
        key_columns.update(fk["fields"])
    for link in record_links(model):
        key_columns.update((link["table"], link["id"]))
    text = [s for s in column_specs(model) if s.kind == "text"]
    candidates = [s.name for s in text if s.name in LABEL_NAMES]
    required = [s.name for s in text if not s.nullable and s.name not in key_columns]
    candidates += [c for c in required[:1] if c not in candidates]
    return candidates + table_keys["primary_key"][:1]


#: The dtype of every text column, under pandas 2 and 3 alike.
TEXT_DTYPE = pd.StringDtype("pyarrow")

_KINDS = {
    "string[pyarrow]": "text",
    "category": "category",
    "datetime64[ns]": "date",
    "Int64": "integer",
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
