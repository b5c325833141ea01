"""What an answer is: text, the spans it cites, the sources it looked at, or a refusal.

Every ``Citation.quote`` equals ``article.text[start:end]`` of the article it names; the
answer layer guarantees it, the UI and the evals rely on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Citation:
    n: int  # the number shown as [n] in the answer text
    article_id: str
    source: str  # path relative to the sources folder
    title: str
    url: str | None
    published: str | None
    quote: str  # == article text[start:end], one sentence
    start: int
    end: int
    support: float  # 0..1, how well the quote supports the sentence citing it
    chunk_id: str


@dataclass
class Source:
    """A retrieved chunk shown to the reader (and, in generative mode, to the model as [n])."""

    article_id: str
    source: str
    title: str
    score: float
    chunk_id: str
    start: int
    end: int
    url: str | None = None
    published: str | None = None
    # for a refusal: the passage shares a name (or, for a question without one, a word) of the
    # question, so it is worth showing as a close source; retrieval ranks something whatever is asked
    on_topic: bool = True


@dataclass
class AnswerSentence:
    text: str  # without citation markers
    citations: list[int] = field(default_factory=list)  # the n of each citation it rests on
    support: float = 0.0
    unsupported: bool = False  # nothing in the sources supports it
    heading: bool = False  # an article's headline and date over its quotes (a briefing): states no fact
    # why it is flagged, in plain words ("the source says withdrawing, not increased"); None when
    # it is supported
    reason: str | None = None
    # the model's label (SUPPORTED / CONTRADICTED / NOT_STATED) when it gave a second opinion
    model_label: str | None = None


@dataclass
class Answer:
    question: str
    answer: str  # the text shown, with [n] markers
    refused: bool
    mode: str  # "extractive" | "generative"
    citations: list[Citation] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)
    standalone_question: str = ""  # the follow-up rewritten so it stands alone
    error: str | None = None  # set when the answer could not be produced (LLM down...)
    kind: str = "answer"  # "answer", or an analyst request: "mentions" (every article), "quote" (a quote check)
    scope: str = ""  # what filters kept, shown with the answer: "searched 60 tech articles, 2005-01 to 2005-03"
    report: dict | None = None  # the whole result of a mentions list or a quote check (its to_json())
    verified_by: str = "local"  # "local+model" when a model's second opinion was read (RAG_VERIFY=model)
    notice: str | None = None  # why the model's second opinion is missing, when it was asked for

    def answer_parts(self) -> list[str]:
        """The answer text sentence by sentence (with markers), for streaming it piecewise."""
        from rag.answer.citations import with_markers

        if not self.sentences:
            return [self.answer] if self.answer else []
        return [with_markers(s.text, s.citations) for s in self.sentences]

    def text_pieces(self) -> list[str]:
        """The answer text in pieces that join ("".join) to exactly ``answer``: a sentence, or a
        heading on a line of its own, with the spacing before it."""
        if not self.sentences:
            return [self.answer] if self.answer else []
        pieces = []
        for i, (sentence, part) in enumerate(zip(self.sentences, self.answer_parts())):
            if sentence.heading:
                pieces.append(("\n\n" if i else "") + part + "\n")
            else:
                pieces.append(("" if i == 0 or self.sentences[i - 1].heading else " ") + part)
        return pieces

    def closest_sources(self, limit: int = 3) -> list[tuple[int, Source]]:
        """For a refusal: (n, source) of the first passage of each article on the question's topic
        (``Source.on_topic``), n counting from 1 in ``sources``, at most ``limit`` articles."""
        closest: list[tuple[int, Source]] = []
        seen: set[str] = set()
        for n, source in enumerate(self.sources, start=1):
            if source.on_topic and source.article_id not in seen and len(closest) < limit:
                seen.add(source.article_id)
                closest.append((n, source))
        return closest

    @property
    def unsupported_count(self) -> int:
        return sum(1 for s in self.sentences if s.unsupported)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question or self.question,
            "answer": self.answer,
            "refused": self.refused,
            "mode": self.mode,
            "citations": [asdict(c) for c in self.citations],
            "sources": [
                {"article_id": s.article_id, "source": s.source, "title": s.title, "score": round(s.score, 4),
                 "chunk_id": s.chunk_id, "url": s.url, "published": s.published}
                for s in self.sources
            ],
            "sentences": [asdict(s) for s in self.sentences],
            "error": self.error,
            "kind": self.kind,
            "scope": self.scope or None,
            "report": self.report,
            "verified_by": self.verified_by,
            "notice": self.notice,
        }


# -- streaming events: the sources first, then text, then the verified answer -------------------


@dataclass
class SourcesEvent:
    sources: list[Source]
    standalone_question: str


@dataclass
class TextEvent:
    delta: str


@dataclass
class AnswerEvent:
    answer: Answer
