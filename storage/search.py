"""Full-text search over stored responses, the same on SQLite and PostgreSQL.

Both databases index the same words: text is reduced here to lower-case words without accents
(``search_words``) before either database sees it, and each then only splits on spaces. SQLite
keeps them in an FTS5 table, PostgreSQL in a ``tsvector`` column (the ``simple`` configuration,
no stemming, no stop words) with a GIN index. A query is parsed here too (``parse_query``) and
written out in each database's own syntax, so one query finds the same responses on both.

Matching rules, for people more than for engines: every word must appear (``OR`` between two
words or phrases accepts either); ``"quoted words"`` must appear together in that order; ``-word``
excludes; ``word*`` matches any word starting so. A plain word also finds its plural and singular
(camera, cameras; policy, policies), which covers most of what stemming would, and stays
predictable. Ranking differs between the engines (bm25, ts_rank); which responses match
does not.

Known difference: PostgreSQL records word positions only up to 16,383, so a phrase that first
appears after that many words of one response (deep in a long attachment) is found on SQLite only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    bindparam,
    column,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from storage.models import (
    Attachment,
    Response,
    ResponseFacts,
    ResponseIndex,
    ResponseVersion,
    TopicMatch,
)

WORD = re.compile(r"[^\W_]+")
# The longest document indexed per response: a bound on what one attachment can cost the index.
MAX_DOCUMENT_CHARS = 1_000_000
MAX_QUERY_TERMS = 32
CHUNK = 500


class QueryError(ValueError):
    """A search query that cannot be run; the message says why, for the person who typed it."""


def search_words(value: str) -> list[str]:
    """The words of ``value`` as both engines index them: lower case, accents removed."""
    return WORD.findall(_without_marks(unicodedata.normalize("NFKD", value)).casefold())


_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def _without_marks(text: str) -> str:
    """``text`` without its combining marks. Only runs of non-ASCII characters are looked at one by
    one (an ASCII character is never a mark): a character at a time, the whole index's largest cost."""
    if text.isascii():
        return text
    return _NOT_ASCII.sub(_marks_dropped, text)


def _marks_dropped(run: re.Match[str]) -> str:
    return "".join(ch for ch in run.group() if not unicodedata.combining(ch))


def search_document(texts: Iterable[str | None]) -> str:
    words = " ".join(" ".join(search_words(t)) for t in texts if t)
    return words[:MAX_DOCUMENT_CHARS].rsplit(" ", 1)[0] if len(words) > MAX_DOCUMENT_CHARS else words


@dataclass(frozen=True)
class Term:
    """One thing a query asks for: a word (with its plural/singular), a prefix, or a phrase."""

    words: tuple[str, ...]
    prefix: bool = False

    def variants(self) -> tuple[str, ...]:
        """The word forms a single plain word stands for."""
        if len(self.words) != 1 or self.prefix:
            return self.words
        return word_forms(self.words[0])


@dataclass(frozen=True)
class TextQuery:
    """All of ``required`` (each an OR of terms) and none of ``excluded``."""

    required: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    def terms(self) -> list[Term]:
        """Every term the query looks for (not the excluded ones): what snippets highlight."""
        return [term for group in self.required for term in group]


def word_forms(word: str) -> tuple[str, ...]:
    forms = [word]
    if word.isdigit() or len(word) < 3:
        return tuple(forms)
    if word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")
    elif word.endswith("es") and len(word) > 4:
        forms += [word[:-2], word[:-1]]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        forms.append(word[:-1])
    else:
        forms += [word + "s", word + "es"]
        if word.endswith("y") and len(word) > 3:
            forms.append(word[:-1] + "ies")
    return tuple(dict.fromkeys(forms))


TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def parse_query(query: str) -> TextQuery | None:
    """Parse what a person typed; None when it holds no words at all.

    Raises ``QueryError`` for a query that only excludes, or that has too many terms.
    """
    required: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for match in TOKEN.finditer(query):
        negated, phrase, bare = match.group(1) == "-", match.group(2), match.group(3)
        if bare is not None:
            if bare == "OR":
                join_next = bool(required)
                continue
            negated = bare.startswith("-") and len(bare) > 1
            phrase = bare[1:] if negated else bare
        words = tuple(search_words(phrase or ""))
        if not words:
            continue
        prefix = bare is not None and phrase is not None and phrase.endswith("*") and len(words) == 1
        term = Term(words, prefix=prefix)
        if negated:
            excluded.append(term)
        elif join_next:
            required[-1].append(term)
        else:
            required.append([term])
        join_next = False
    if not required and not excluded:
        return None
    if not required:
        raise QueryError("a search needs at least one word that is not excluded with '-'")
    if sum(len(group) for group in required) + len(excluded) > MAX_QUERY_TERMS:
        raise QueryError(f"a search can hold at most {MAX_QUERY_TERMS} words or phrases")
    return TextQuery(tuple(tuple(group) for group in required), tuple(excluded))


def _fts5_term(term: Term) -> str:
    if len(term.words) > 1:
        return '"' + " ".join(term.words) + '"'
    if term.prefix:
        return f'"{term.words[0]}"*'
    return "(" + " OR ".join(f'"{form}"' for form in term.variants()) + ")"


def fts5_query(query: TextQuery) -> str:
    """The query in FTS5's MATCH syntax (every word quoted: no word is read as an operator)."""
    groups = ["(" + " OR ".join(_fts5_term(term) for term in group) + ")" for group in query.required]
    expression = " AND ".join(groups)
    for term in query.excluded:
        expression = f"({expression}) NOT {_fts5_term(term)}"
    return expression


def _tsquery_term(term: Term) -> str:
    if len(term.words) > 1:
        return "(" + " <-> ".join(term.words) + ")"
    if term.prefix:
        return f"{term.words[0]}:*"
    return "(" + " | ".join(term.variants()) + ")"


def tsquery(query: TextQuery) -> str:
    """The query in PostgreSQL's to_tsquery syntax (words are letters and digits only)."""
    groups = ["(" + " | ".join(_tsquery_term(term) for term in group) + ")" for group in query.required]
    return " & ".join(groups + [f"!{_tsquery_term(term)}" for term in query.excluded])


# --- the word index: created by migration 0008, written by refresh_index -------------------------


SQLITE_WORD_STORE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS response_words USING fts5(document, tokenize = 'unicode61')"
)


def create_word_index(connection: Connection) -> None:
    """Create the word store where it is missing (migration 0008, and ``rebuild_index``)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE response_index ADD COLUMN IF NOT EXISTS document tsvector"))
        connection.execute(
            text(
                "CREATE INDEX IF NOT EXISTS ix_response_index_document ON response_index USING gin (document)"
            )
        )
    else:
        connection.execute(text(SQLITE_WORD_STORE))


def rebuild_index(session: Session) -> int:
    """``foiwatch db reindex``: put back a missing word store and index every response again."""
    create_word_index(session.connection())
    return refresh_index(session)


def is_word_index(name: str | None, type_: str) -> bool:
    """Whether a database object is part of the word index, which the models do not describe (for
    alembic's comparisons of models and schema)."""
    if type_ == "table":
        return bool(name and name.startswith("response_words"))
    return name in ("document", "ix_response_index_document")


def drop_word_index(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        connection.execute(text("DROP TABLE IF EXISTS response_words"))


PG_WRITE_WORDS = (
    "UPDATE response_index SET document = to_tsvector('simple', :document) WHERE response_id = :id"
)


def _write_words(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(PG_WRITE_WORDS),
            list(rows),
        )
        return
    ids = [{"id": row["id"]} for row in rows]
    session.execute(text("DELETE FROM response_words WHERE rowid = :id"), ids)
    session.execute(text("INSERT INTO response_words (rowid, document) VALUES (:id, :document)"), list(rows))


def _bars(values: Iterable[str]) -> str:
    """``|a|b|``: a list a LIKE '%|a|%' can look into on any database."""
    return "|" + "".join(f"{value}|" for value in sorted(set(values)) if value) if values else "|"


def exemption_sections(exemptions: Iterable[str]) -> list[str]:
    """The sections of cited exemptions, as filters take them: 's31(1)(a)' -> 's31'."""
    sections = []
    for exemption in exemptions:
        found = re.match(r"\s*(?:s|section\s*)?(\d+[a-z]?)", str(exemption).lower())
        if found:
            sections.append("s" + found.group(1))
    return sections


def refresh_index(session: Session, response_ids: Sequence[int] | None = None) -> int:
    """Rebuild the index rows of ``response_ids`` (every response when None) from stored data.

    Works in chunks, so rebuilding a large database holds a few hundred responses in memory at a
    time. Reads named columns only, so a migration can call it on a database that later migrations
    have not reached yet. Returns how many responses were indexed.
    """
    if response_ids is None:
        session.execute(delete(ResponseIndex))
        if session.get_bind().dialect.name != "postgresql":
            session.execute(text("DELETE FROM response_words"))
        ids = list(session.scalars(select(Response.id).order_by(Response.id)))
    else:
        ids = sorted(set(response_ids))
        session.execute(delete(ResponseIndex).where(ResponseIndex.response_id.in_(ids)))
    done = 0
    for start in range(0, len(ids), CHUNK):
        done += _refresh_chunk(session, ids[start : start + CHUNK])
    return done


def _refresh_chunk(session: Session, response_ids: Sequence[int]) -> int:
    current = (
        select(
            func.max(ResponseVersion.id).label("version_id"),
            func.count(ResponseVersion.id).label("version_count"),
        )
        .where(ResponseVersion.response_id.in_(response_ids))
        .group_by(ResponseVersion.response_id)
        .subquery()
    )
    versions = session.execute(
        select(
            ResponseVersion.id,
            ResponseVersion.response_id,
            ResponseVersion.authority,
            ResponseVersion.title,
            ResponseVersion.url,
            ResponseVersion.published,
            ResponseVersion.date_source,
            ResponseVersion.request_text,
            ResponseVersion.response_text,
            ResponseVersion.outcome,
            ResponseVersion.exemptions,
            ResponseVersion.first_seen,
            current.c.version_count,
            Response.source_id,
            Response.reference,
        )
        .join(current, current.c.version_id == ResponseVersion.id)
        .join(Response, Response.id == ResponseVersion.response_id)
    ).all()
    _index_versions(session, versions)
    return len(versions)


def _index_versions(session: Session, versions: Sequence[Any]) -> None:
    version_ids = [row.id for row in versions]
    attachments: dict[int, list[str]] = {}
    for version_id, name, body in session.execute(
        select(Attachment.version_id, Attachment.name, Attachment.text).where(
            Attachment.version_id.in_(version_ids)
        )
    ):
        attachments.setdefault(version_id, []).extend([name or "", body or ""])
    topics = matched_topics(session, version_ids)
    vendors = {
        version_id: index
        for version_id, index in session.execute(
            select(ResponseFacts.version_id, ResponseFacts.vendor_index).where(
                ResponseFacts.version_id.in_(version_ids)
            )
        )
    }
    rows, words = [], []
    for v in versions:
        exemptions = [str(e) for e in (v.exemptions or [])]
        rows.append(
            {
                "response_id": v.response_id,
                "version_id": v.id,
                "version_count": v.version_count,
                "source_id": v.source_id,
                "authority": v.authority,
                "reference": v.reference,
                "title": v.title,
                "url": v.url,
                "published": v.published,
                "date_source": v.date_source,
                "outcome": v.outcome,
                "topics": _bars(topics.get(v.id, {}).keys()),
                "exemptions": _bars(exemption_sections(exemptions)),
                "vendors": vendors.get(v.id) or "|",
                "updated_at": v.first_seen,
            }
        )
        texts = [v.title, v.reference, v.request_text, v.response_text, *attachments.get(v.id, [])]
        words.append({"id": v.response_id, "document": search_document(texts)})
    if rows:
        session.execute(ResponseIndex.__table__.insert(), rows)  # type: ignore[attr-defined]
    _write_words(session, words)


def matched_topics(session: Session, version_ids: Sequence[int]) -> dict[int, dict[str, list[str]]]:
    """For each version, the topics it matches by its latest verdict (a reclassified topic's old
    verdicts are history), each with the snippets that made it match."""
    latest = (
        select(func.max(TopicMatch.id))
        .where(TopicMatch.version_id.in_(version_ids))
        .group_by(TopicMatch.version_id, TopicMatch.topic)
    )
    found: dict[int, dict[str, list[str]]] = {}
    for version_id, topic, snippets in session.execute(
        select(TopicMatch.version_id, TopicMatch.topic, TopicMatch.snippets).where(
            TopicMatch.id.in_(latest), TopicMatch.matched.is_(True)
        )
    ):
        found.setdefault(version_id, {})[topic] = [str(s) for s in snippets or []]
    return found


def stale_responses(session: Session, source_id: str | None = None) -> list[int]:
    """Responses whose index row is missing or was built from an older version."""
    versions = select(ResponseVersion.response_id, func.max(ResponseVersion.id).label("version_id"))
    if source_id is not None:  # one source's versions only: the check costs what that source holds
        versions = versions.join(Response, Response.id == ResponseVersion.response_id).where(
            Response.source_id == source_id
        )
    current = versions.group_by(ResponseVersion.response_id).subquery()
    query = (
        select(current.c.response_id)
        .outerjoin(ResponseIndex, ResponseIndex.response_id == current.c.response_id)
        .where((ResponseIndex.version_id.is_(None)) | (ResponseIndex.version_id != current.c.version_id))
    )
    return list(session.scalars(query))


def with_text_match(session: Session, statement: Select[Any], query: TextQuery) -> tuple[Select[Any], Any]:
    """``statement`` (a select over ``response_index``) narrowed to ``query``'s matches, and a rank
    to order by (smaller is better)."""
    if session.get_bind().dialect.name == "postgresql":
        document: ColumnElement[Any] = literal_column("response_index.document")
        config: ColumnElement[Any] = literal_column("'simple'::regconfig")
        tsq = func.to_tsquery(config, bindparam(None, tsquery(query), unique=True))
        # The word index always beats reading every row: without this, PostgreSQL reads the whole
        # table for a common word (a third of the rows), at twice the time (see tests/bench_search.py).
        session.execute(text("SET LOCAL enable_seqscan = off"))
        return statement.where(document.bool_op("@@")(tsq)), -func.ts_rank(document, tsq)
    matching = (
        text(
            "SELECT rowid AS response_id, bm25(response_words) AS rank FROM response_words "
            "WHERE response_words MATCH :fts"
        )
        .bindparams(bindparam("fts", fts5_query(query), unique=True))
        .columns(column("response_id", Integer), column("rank", Float))
        .cte("words")
        .prefix_with("MATERIALIZED")  # searched once, not once per row a filter keeps (SQLite)
    )
    joined = statement.join(matching, matching.c.response_id == ResponseIndex.response_id)
    return joined, matching.c.rank
