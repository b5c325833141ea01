"""What kind of request a chat question is: a mentions list, a quote check, a comparison, what a
short form stands for, or a question.

"Which articles mention Microsoft?" wants every article (rag.answer.mentions), not the top-k
passages; "Did Blair say 'I have lost my passion for politics'?" wants a verdict on the quote
(rag.answer.quotes); "How do the sources differ on X?" wants each article heard
(rag.answer.compare); "What does IAAF stand for?" wants the name the sources spell out for it.
They are recognised by the shape of the request, never by its topic; any
other question is answered as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.quotes import MIN_WORDS
from rag.text import stopwords

# "which/what articles mention X", "articles that mention X", "every mention of X",
# "list all mentions of X", "where is X mentioned", "who mentions X"
_MENTIONS = [re.compile(p, re.IGNORECASE) for p in (
    r"^(?:which|what|list(?: all| every| the)?|show(?: me)?(?: all| every| the)?|find(?: all| every| the)?)?\s*"
    r"(?:articles|stories|sources|documents|texts)\s+(?:that\s+|which\s+)?(?:mention|mentions|mentioning|"
    r"refer to|talk about|name)\s+(?P<x>.+?)\s*[?.!]*$",
    r"^(?:list|show|find|give)?\s*(?:me\s+)?(?:all|every)\s+(?:the\s+)?mentions?\s+of\s+(?P<x>.+?)\s*[?.!]*$",
    r"^where\s+(?:is|are|was|were)\s+(?P<x>.+?)\s+mentioned\s*[?.!]*$",
)]
# "compare what A and B say about X", "what do A and B say about X", "how do the sources differ on X",
# "compare the articles on X", "compare A's X with B's", "compare A with B"
_SIDES = r"(?P<a>[^,?]+?)\s+(?:and|with|versus|vs\.?)\s+(?P<b>[^,?]+?)"
_COMPARE = [re.compile(p, re.IGNORECASE) for p in (
    rf"^compare\s+(?:what\s+)?{_SIDES}\s+(?:say|said|says|report|reported|write|wrote)\s+(?:about|on|of)\s+(?P<x>.+?)\s*[?.!]*$",
    rf"^what\s+do\s+{_SIDES}\s+(?:say|report|write)\s+(?:about|on)\s+(?P<x>.+?)\s*[?.!]*$",
    r"^how\s+do\s+(?:the\s+)?(?:sources|articles|reports|stories)\s+(?:differ|disagree|compare|vary)\s+"
    r"(?:on|about|over|in|regarding)\s+(?P<x>.+?)\s*[?.!]*$",
    r"^compare\s+(?:the\s+)?(?:sources|articles|reports|stories|coverage)\s+(?:on|about|of)\s+(?P<x>.+?)\s*[?.!]*$",
    # "compare Lufthansa's results with Marsh's (results in 2004)", "compare A with B"; B holds no
    # joining word ("Lufthansa's response to the strike with BA's": the topic is the response to the strike)
    r"^compare\s+(?P<a>[^,?]+?)['’]s?\s+(?P<x>[^,?]+?)\s+(?:with|to|and|against|versus|vs\.?)\s+"
    r"(?P<b>(?:(?!\s(?:with|to|and|against|versus|vs)\s)[^,?])+?)(?:['’]s?(?P<tail>\s+[^,?]*)?)?\s*[?.!]*$",
    rf"^compare\s+{_SIDES}\s*[?.!]*$",
)]
# "what does IAAF stand for", "what is the ECB short for", "what is the full name of the IOC"
_EXPANSION = [re.compile(p, re.IGNORECASE) for p in (
    r"^what\s+(?:does|do|did)\s+(?:the\s+)?(?P<x>[\w.&-]+)\s+stand\s+for\s*[?.!]*$",
    r"^what\s+is\s+(?:the\s+)?(?P<x>[\w.&-]+)\s+short\s+for\s*[?.!]*$",
    r"^what\s+is\s+the\s+full\s+(?:name|form)\s+of\s+(?:the\s+)?(?P<x>[\w.&-]+)\s*[?.!]*$",
)]
_QUOTED = re.compile(r"[\"“‘'](?P<q>[^\"“”‘’]{3,}?)[\"”’'](?![A-Za-z])")


@dataclass(frozen=True)
class MentionsRequest:
    query: str


@dataclass(frozen=True)
class QuoteRequest:
    text: str
    speaker: str | None  # "Blair" in "Did Blair say '...'?"; None for "Who said '...'?"


_MORE = re.compile(r"^(?:show\s+)?(?:more|next(?:\s+page)?|the\s+next\s+ones|continue)\s*[.!?]*$", re.IGNORECASE)


def asks_for_more(question: str) -> bool:
    """"more", "next page": the next page of a list the previous answer showed."""
    return bool(_MORE.match(" ".join((question or "").split())))


@dataclass(frozen=True)
class ExpansionRequest:
    short: str  # "IAAF" in "What does IAAF stand for?"


@dataclass(frozen=True)
class CompareRequest:
    topic: str
    sides: tuple[str, ...] = ()  # ("Blair", "Brown"); empty: the sources themselves


def request_of(question: str) -> MentionsRequest | QuoteRequest | CompareRequest | ExpansionRequest | None:
    """The analyst request ``question`` makes, or None for an ordinary question."""
    question = " ".join((question or "").split())
    for n, pattern in enumerate(_EXPANSION):
        match = pattern.match(question)
        short = match.group("x").replace(".", "") if match else ""
        if sum(ch.isupper() for ch in short) >= 2:  # "IAAF", "BoE", "U.N."
            return ExpansionRequest(short)
        # "iaaf", "Nato": a short form written as a word, when it is no English word ("What does the
        # party stand for?", "What does it stand for?" are questions about something else);
        # "the full name of" a word asks for a person's or a club's name
        if n < 2 and short.isalpha() and 2 <= len(short) <= 6 and short[1:].islower() and not _is_word(short):
            return ExpansionRequest(short.upper())
    for pattern in _COMPARE:
        match = pattern.match(question)
        if match:
            sides = tuple(match.group(k).strip() for k in ("a", "b") if k in pattern.groupindex)
            topic = match.group("x").strip() if "x" in pattern.groupindex else ""
            tail = (match.group("tail") or "").strip() if "tail" in pattern.groupindex else ""
            if tail.lower().startswith(topic.lower()):
                tail = tail[len(topic):].strip()  # "results in 2004" after "Lufthansa's results": "in 2004"
            return CompareRequest(f"{topic} {tail}".strip(), sides)
    for pattern in _MENTIONS:
        match = pattern.match(question)
        if match:
            return MentionsRequest(match.group("x").strip("\"“”'‘’ "))
    quoted = [m for m in _QUOTED.finditer(question) if len(m.group("q").split()) >= MIN_WORDS]
    if quoted:
        quote = max(quoted, key=lambda m: len(m.group("q")))
        if _asks_about_the_quote(question[:quote.start("q") - 1] + " " + question[quote.end("q") + 1:]):
            return QuoteRequest(quote.group("q").strip(), _speaker(question, quote.start("q") - 1, quote.end("q") + 1))
    return None


def _is_word(text: str) -> bool:
    from rag import language

    return text.lower() in stopwords() or language.is_english_word(text)


# A question that asks for something else, and quotes a phrase on the way ("Trump said the US
# “will take over” which territory?", "Which dog won 'best in show'?"), is an ordinary question:
# a quote check answers whether, by whom, where and when the words were said.
_ASKS_FOR_SOMETHING_ELSE = re.compile(r"\b(?:what|which|how|why|whose)\b", re.IGNORECASE)


def _asks_about_the_quote(rest: str) -> bool:
    """``rest``: the question without its quote. "Did X say ...?", "Who said ...?", "When did X
    say ...?", "Check: ..." ask about the quote; a what/which/how/why question asks for something else."""
    return not _ASKS_FOR_SOMETHING_ELSE.search(rest)


def _speaker(question: str, start: int, end: int) -> str | None:
    """The speaker the question names for its quote: the subject of its reporting verb."""
    from rag import language

    # Curly marks around the quote: the language layer does not read straight single quotes as quotation marks.
    question = question[:start] + "“" + question[start + 1:end - 1] + "”" + question[end:]
    analysis = language.analyze(question)
    for quote in analysis.quotes:
        if quote.start <= end and start <= quote.end and quote.speaker is not None:
            speaker = analysis.resolve(quote.speaker)
            if speaker.pronoun or speaker.text.lower() in ("who", "whom", "anyone", "someone", "anybody"):
                return None
            return quote.speaker_name or speaker.text
    return None
