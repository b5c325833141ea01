"""The extractive answerer: quotes the few sentences that best answer the question.

No model writes anything: every sentence is a quote and its own citation (support 1.0). What
the answerer adds is read off the quoted sentences by the language layer, never made up:

* a fact question (who, when, where, how many, how much, which ...) leads with the answer, in
  bold: the entity of the asked kind in the best sentence that the question does not already
  name ("**July 18**: ... wrote to the UN officer on July 18 [1]."); for "Who said ...?" the
  speaker, resolved through a "He said" to the name given before;
* a "when" question answered by an undated sentence says so, with the publication date;
* a quoted sentence whose subject is a he/she names that person first ("[David Davis] He said
  ..."), citing the sentence that names them too;
* a briefing ("Summarize the news about X", "Tell me about X") quotes 1-3 sentences per
  article under its headline and date; "Tell me more" continues the articles the previous
  answer quoted (rag/answer/conversation.py says what the previous answer was).

Sentences are chosen by relevance (rag/answer/evidence.py), near-duplicates dropped; the best
one comes first and the rest follow in the order the article tells them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Collection

from rag import language
from rag.answer.citations import SentenceSpan
from rag.answer.compose import AnswerBuilder, refusal
from rag.answer.evidence import (
    AMOUNT_LABELS, ANTECEDENT_WINDOW, NAME_LABELS, Evidence, RankedSpan, answer_entities, answered_amounts,
    antecedent_window, article_sentences, asks_itself, asked_noun_distance, bare_spelling, lede, near_duplicate,
    pronoun_people, sentence_bounds_at, tree_distance,
)
from rag.answer.question import Question
from rag.answer.record import Answer
from rag.answer.retrieve import Hit
from rag.index.store import published_day

if TYPE_CHECKING:
    from rag.index.sources import Article

MAX_SENTENCES = 3
# A second or third sentence must be nearly as relevant as the best one to be worth reading.
KEEP_RATIO = 0.85
# A briefing: this many articles, each with up to this many sentences.
BRIEF_ARTICLES = 4
BRIEF_SENTENCES = 2
# "Tell me more": sentences after the last one the previous answer quoted, per article.
MORE_SENTENCES = 3
# Words that may join two amounts of one answer: "jumped [76%] to [$1.13bn]".
_AMOUNT_JOINERS = frozenset({"to", "from", "and", "or", "-", "–", "of"})
_SCALE_WORDS = frozenset({"m", "mn", "bn", "k", "million", "billion", "trillion"})
_AMOUNTS = AMOUNT_LABELS - {"DATE", "TIME"}  # what "how much", "how many", "what share" ask for
_STATE_NOUNS = frozenset({"country", "nation", "state"})
# Edges from an amount to the verb that governs it: "lost [$1.5 billion]" is 1, "paid up to [$5bn]" 2.
AMOUNT_TO_VERB = 2
FULL_NAME_SENTENCES = 3  # earlier sentences writing a surname read for the full name
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


@dataclass
class Lead:
    text: str  # the answer phrase, as the sentence writes it
    spans: list[SentenceSpan]  # extra sentences it rests on (the one naming a "he")


def answer_extractive(question: str, hits: list[Hit], evidence: Evidence, standalone_question: str = "") -> Answer:
    if evidence.refusal_reason:
        return refusal(question, "extractive", hits, standalone_question, evidence.refusal_reason)
    asked = evidence.asked
    if asked is not None and asked.kind != "fact":
        return brief(question, hits, evidence, standalone_question)
    chosen = _the_asked_role_first(asked, _amount_of_the_asked_act_first(asked, choose(evidence.ranked, evidence.spread)))
    articles = {h.article.id: h.article for h in hits}
    builder = AnswerBuilder(question, "extractive", hits, standalone_question)
    best = chosen[0]
    lead = lead_phrase(asked, best.span, articles[best.span.article_id]) if asked is not None else None
    note = undated_note(asked, best.span, articles[best.span.article_id]) if asked is not None else None
    for i, item in enumerate(chosen):
        article = articles[item.span.article_id]
        text, spans = balanced_quotes(item.span.text), [item.span]
        person, named_in = attribution(article, item.span)
        if person and not (i == 0 and lead is not None and person in lead.text):
            text = f"[{person}] {text}"
            spans = ([named_in] if named_in is not None else []) + spans
        if i == 0 and lead is not None:
            text = f"**{lead.text}**: {text}"
            spans = [s for s in lead.spans if s not in spans] + spans
        builder.add(text, spans, support=1.0)
        if i == 0 and note:
            builder.add(note, [], support=1.0)
    return builder.build()


def choose(ranked: list[RankedSpan], spread: list[str] = ()) -> list[RankedSpan]:
    """The best sentence, then up to two nearly as relevant, in the order their articles tell them.
    When the question's dates are spread over articles (``spread``), the best sentence of each."""
    best = ranked[0]
    chosen = [best]
    for article_id in spread:
        if len(chosen) < MAX_SENTENCES and article_id not in {c.span.article_id for c in chosen}:
            chosen += [r for r in ranked if r.span.article_id == article_id][:1]
    for candidate in ranked[1:]:
        if candidate in chosen:
            continue
        if len(chosen) == MAX_SENTENCES or candidate.relevance < best.relevance * KEEP_RATIO:
            break
        if any(near_duplicate(candidate.span.text, c.span.text) for c in chosen):
            continue
        chosen.append(candidate)
    article_order = {aid: i for i, aid in enumerate(dict.fromkeys(c.span.article_id for c in chosen))}
    chosen[1:] = sorted(chosen[1:], key=lambda c: (article_order[c.span.article_id], c.span.position))
    return chosen


def _the_asked_role_first(asked: Question | None, chosen: list[RankedSpan]) -> list[RankedSpan]:
    """For "who", the chosen sentence of the best one's story where a person or organisation plays
    the asked role for the question's verb goes first: "Who was elected in March 2025?" is answered
    by "Kirsty Coventry ... has been elected as the first female president", not by a better-ranked
    quote of someone welcoming "Kirsty's election"."""
    main = asked.main_clause if asked is not None and asked.wh == "who" and len(chosen) > 1 else None
    verb = asked.act if main is not None else None
    if main is None or main.negated or verb is None:
        return chosen
    asks_actor = any(p.lemma.lower() in ("who", "whom") for p in main.agents)
    asks_acted_on = any(p.lemma.lower() in ("who", "whom") for p in main.patients)
    if asks_actor == asks_acted_on:
        return chosen
    # only when the best sentence tells of the act without the one asked about ("Kirsty's
    # election"), and never for a sentence dated otherwise than the question ("elected in 2013")
    if not set(_terms(verb)) & set(_terms(chosen[0].span.text)):
        return chosen
    story = chosen[0].span.article_id
    for i, item in enumerate(chosen):
        if item.span.article_id != story or (i > 0 and any(
                n.isdigit() and len(n) == 4 for n in _numbers(item.span.text) - asked.numbers)):
            continue
        a = language.analyze(item.span.text, language.Pipes.FULL)
        heads = {t for e in answer_entities(asked, a) for t in range(e.token_start, e.token_end)}
        for c in a.clauses:
            if c.verb.split()[0] != verb or c.negated:
                continue
            if any(p.head in heads for p in (c.agents if asks_actor else c.patients)):
                return _moved_first(chosen, i)
    return chosen


def _moved_first(chosen: list[RankedSpan], i: int) -> list[RankedSpan]:
    """``chosen`` with its ``i``-th sentence first, the others in their order."""
    return chosen if i == 0 else [chosen[i]] + chosen[:i] + chosen[i + 1:]


def _counts_a_thing(asked: Question, a: language.Analysis, ent: language.Entity) -> bool:
    """A bare number counting a noun ("deals with [20] other national Olympic bodies"): a count, no
    answer to "how much" (an amount of money, a share, a quantity)."""
    if _label(a, ent) != "CARDINAL":
        return False
    last = a.tokens[ent.token_end - 1]
    head = a.tokens[last.head]
    if not (last.dep == "nummod" and head.pos == "NOUN" and not language.is_currency(head)):
        return False
    # a count the asked act governs answers all the same: "sold 2.3 million iPods", "rose by 12 points"
    verb = asked.act
    act = set(_terms(verb)) if verb else set()
    acts = [t.i for t in a.tokens if act and act & set(_terms(t.lemma))]
    return not any(tree_distance(a, last.i, v) <= AMOUNT_TO_VERB + 1 for v in acts)


def _amount_of_the_asked_act_first(asked: Question | None, chosen: list[RankedSpan]) -> list[RankedSpan]:
    """For "how much/how many", the chosen sentence of the best one's story whose amount the
    question's verb governs, not negated, goes first: "How much did Disney's streaming business
    lose?" is answered by "It lost $1.5 billion", not by the best-ranked "... totaling more than
    235 million subscribers". Another story's sentence ("Rival Netflix lost $200m") is never moved
    up: it is ranked lower for what it says about the question's names."""
    verb = asked.act if asked is not None and asked.wh in ("how much", "how many") and len(chosen) > 1 else None
    if verb is None:
        return chosen
    story = chosen[0].span.article_id
    analyses = [language.analyze(item.span.text, language.Pipes.FULL) if item.span.article_id == story else None
                for item in chosen]

    def per_unit(a: language.Analysis) -> bool:
        amounts = answered_amounts(asked, a)
        return bool(amounts) and all(language.per_unit(a, e) for e in amounts)
    # "pay $76 for each share" is governed by "pay" too, but gives the price of one share: it is
    # not moved before a sentence giving a total, unless the question asks for one share's price
    units_last = asked.analysis is not None and not language.asks_per_unit(asked.analysis) \
        and any(a is not None and answered_amounts(asked, a) and not per_unit(a) for a in analyses)
    for i, a in enumerate(analyses):
        if a is None or (units_last and per_unit(a)):
            continue
        acts = [c.verb_token for c in a.clauses if c.verb.split()[0] == verb and not c.negated]
        if any(tree_distance(a, e.token_end - 1, v) <= AMOUNT_TO_VERB for e in answer_entities(asked, a) for v in acts):
            return _moved_first(chosen, i)
    return chosen


# -- the answer phrase ---------------------------------------------------------------------------


def lead_phrase(asked: Question, span: SentenceSpan, article: Article) -> Lead | None:
    """The answer in a few words, from the best sentence: the speaker for "Who said ...?", else the
    entity of the asked kind nearest the words the question shares with the sentence."""
    a = language.analyze(span.text, language.Pipes.FULL)
    if asked.asks_speaker:
        return _speaker(a, span, article)
    if asked.labels & {"PERSON"} and _act_done_by_a_pronoun(asked, a):
        # "She will voice Charlotte ...": the person she is answers "Who will voice Charlotte?", not
        # a name further on in the sentence
        lead = _person_by_pronoun(span, article)
        if lead is not None:
            return lead
    found = [e for e in answer_entities(asked, a) if not (asked.wh == "when" and _is_age(a, e))
             and not _is_amount_currency(a, e) and not (asked.wh == "how much" and _counts_a_thing(asked, a, e))]
    if not found:
        if asked.labels & {"PERSON"}:
            return _person_by_pronoun(span, article)  # "Who announced ...?" -> "He announced ..."
        return _named_by_headline(asked, a, span, article) or _named_next(asked, a, span, article)
    # "who": a person before an organisation; "how much": money before a share before a count
    preference = {"PERSON": 0, "ORG": 1} if asked.wh == "who" else {"MONEY": 0, "PERCENT": 1, "QUANTITY": 2}
    # Words of the question in the sentence, the noun "which" asks for left out (it sits next to
    # every candidate: "13 countries", "22 countries").
    anchors: dict[str, list[int]] = {}
    for t in a.tokens:
        if t.lemma.lower() != asked.wh_noun:
            for term in set(_terms(t.text)) & set(asked.weights):
                anchors.setdefault(term, []).append(t.i)

    def closeness(ent: language.Entity) -> tuple[int, int]:
        """Summed over the question's words: the entity near "Brent" and "London" and "crude" wins
        over one near "crude" alone ("US light crude rose $1.64 ..., while Brent crude in London ...")."""
        inside = range(ent.token_start, ent.token_end)
        tree = linear = 0
        for positions in anchors.values():
            outside = [i for i in positions if i not in inside]
            if not outside:
                continue
            tree += min(min(tree_distance(a, ent.token_end - 1, i) for i in outside), 8)
            linear += min(min(abs(ent.token_start - i) for i in outside), 20)
        return tree, linear

    stranded = _stranded_preposition(asked)
    best = min(found, key=lambda e: (min(asked_noun_distance(asked, a, e), 3),
                                     stranded is not None and _object_of(a, e) != stranded,
                                     preference.get(_label(a, e), 3), _whose_name_follows(asked, a, e, found),
                                     closeness(e), e.token_start))
    text = _widened(a, best, found)
    if best.label == "PERSON":
        text = _full_name(text, span, article)  # "Brody" -> "Adrien Brody"
    return Lead(text, [])


def _whose_name_follows(asked: Question, a: language.Analysis, ent: language.Entity,
                        found: list[language.Entity]) -> int:
    """For an amount asked of a place or other name the question gives after a preposition ("How
    much will the Mac mini cost in the UK?", "What is the jobless rate in Spain?"), when the sentence
    writes each amount with its own such phrase ("£339 in the UK and $499 in the US"): 0 when the
    phrase right after the amount names the asked one, 2 when it names another of its kind (the US's
    $499), 1 when no phrase follows the amount ("in the UK, where it costs £339, and the US ($499)"
    is left to the other tests)."""
    qualifiers = _prepositional_names(asked)
    if not qualifiers or len(found) < 2 or not (asked.labels and asked.labels <= _AMOUNTS):
        return 1
    after = ent.token_end
    if after >= len(a.tokens) or a.tokens[after].pos != "ADP":
        return 1
    # the preposition's object, "the" allowed before it: "in the UK", "in Spain"
    named = next((e for e in a.entities if after < e.token_start <= after + 2 and e.label in NAME_LABELS
                  and all(t.pos == "DET" for t in a.tokens[after + 1:e.token_start])), None)
    if named is None:
        return 1
    if _spelling(named.text) in qualifiers:
        return 0
    return 2 if named.label in qualifiers.values() else 1


def _prepositional_names(asked: Question) -> dict[str, str]:
    """The question's names that are a preposition's object, by spelling, with their labels: "uk"
    of "in the UK", not "argentina" of "Argentina's bondholders"."""
    if asked.analysis is None:
        return {}
    a = asked.analysis
    found = {}
    for e in a.entities:
        inside = range(e.token_start, e.token_end)
        root = next((t for t in a.tokens[e.token_start:e.token_end] if t.head not in inside), None)
        if e.label in NAME_LABELS and root is not None and root.dep == "pobj":
            found[_spelling(e.text)] = e.label
    return found


def _spelling(name: str) -> str:
    """A name as ``bare_spelling`` reads it, without "the": "the U.S." and "US" are both "us"."""
    return bare_spelling(re.sub(r"^the\s+", "", name, flags=re.IGNORECASE))


def _stranded_preposition(asked: Question) -> str | None:
    """The preposition a question leaves without its object, which is what is asked: "to" of "Which
    country did Ablikim Yusuf fear deportation to?", "from" of "Where did the virus come from?"."""
    if asked.analysis is None or asked.asking_sentence >= len(asked.analysis.sentences):
        return None
    a = asked.analysis
    sentence = a.sentences[asked.asking_sentence]
    for t in a.tokens[sentence.token_start:sentence.token_end]:
        # a preposition with no object of its own ("to in 2004?" too); not a particle ("take off")
        if t.pos != "ADP" or t.dep != "prep" or t.i <= sentence.token_start + 2:
            continue
        objects = [a.tokens[c] for c in a.children(t.i) if a.tokens[c].dep in ("pobj", "pcomp")]
        # the parser may give it the wh-word before it as its object ("Who ... send the letter to?")
        if not objects or all(o.i < t.i and o.tag in ("WP", "WDT", "WRB") for o in objects):
            return t.lower
    return None


def _object_of(a: language.Analysis, ent: language.Entity) -> str | None:
    """The preposition the entity is the object of ("China" of "back to China" -> "to")."""
    inside = range(ent.token_start, ent.token_end)
    root = next((t for t in a.tokens[ent.token_start:ent.token_end] if t.head not in inside), None)
    if root is None or root.dep != "pobj":
        return None
    return a.tokens[root.head].lower


def _named_by_headline(asked: Question, a: language.Analysis, span: SentenceSpan, article: Article) -> Lead | None:
    """The name a sentence calls "the company" (or "the country" ...), when the question asks for
    one of that kind and the headline names exactly one: "Which store is closing all 800 of its
    locations?" answered by "The company had previously announced the closures ..." in a story
    headlined "All Joann stores closing ..." gives Joann. The description is the subject of the
    sentence's main verb, "the" and the singular noun the question asks for (or "company"/"firm"
    for an organisation); the name is not one of the question's, and the lead rests on the
    article's first other sentence that writes it (none: no lead)."""
    labels = asked.labels & {"ORG", "GPE", "LOC", "NORP", "FAC"}
    # the noun the question asks for, or for an organisation the words news uses for any
    nouns = ({asked.wh_noun} if asked.wh_noun else set()) | ({"company", "firm"} if "ORG" in labels else set())
    if asked.wh_noun in _STATE_NOUNS:
        nouns.add("government")  # what a country does, "the government" does: "the government declared ..."
    if not labels or not any(
            t.dep in ("nsubj", "nsubjpass") and a.tokens[t.head].dep == "ROOT" and t.tag == "NN"
            and t.lemma.lower() in nouns and [a.tokens[c].lower for c in a.children(t.i)] == ["the"]
            for t in a.tokens):
        return None
    headline = language.analyze(article.title, language.Pipes.FULL)
    named = {n.canonical for n in headline.names if n.label in labels and not set(_terms(n.canonical)) & asked.name_terms}
    if len(named) != 1:
        return None
    name = named.pop()
    written = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    naming = next((SentenceSpan(article.id, span.chunk_id, s, e, article.text[s:e], n) for n, (s, e)
                   in enumerate(article_sentences(article.id, article.hash, article.text))
                   if s != span.start and written.search(article.text[s:e])), None)
    # the lead rests on a sentence of the story that writes the name; a headline alone is not quoted
    return Lead(name, [naming]) if naming is not None else None


# Nouns news puts after a firm's name ("the Titan corporation"), besides those that stand for an
# organisation in the language layer ("company", "group").
_ORGANISATION_NOUNS = frozenset({"corporation", "company", "firm", "group", "conglomerate"})
# How many sentences after a description the name it stands for may come.
NAMED_NEXT_WINDOW = 2


def _named_next(asked: Question, a: language.Analysis, span: SentenceSpan, article: Article) -> Lead | None:
    """The name the next sentences give a thing the sentence only describes, when the question asks
    for a thing of that kind: "U.S. tech stocks tumbled Monday after a small Chinese artificial
    intelligence startup said ..." followed by "DeepSeek, a Hangzhou-based startup founded in 2023,
    shot to the top ..." answers "... by which Chinese company?" with DeepSeek. The description is
    a subject with "a" and the noun asked for (for an organisation, any noun that stands for one:
    "startup", "airline"; "the firm" points back to a name the sentence has already given). The
    name, within ``NAMED_NEXT_WINDOW`` sentences after and none of the question's names, is a
    capitalised word set beside the same noun (an apposition, or "<name> is a ... <noun>"), or,
    after a story's opening sentence, the subject of a next one named with a word of its kind
    (``_organisation_subject``). The lead rests on that sentence."""
    organisation = "ORG" in asked.labels
    descriptions = {t.lemma.lower() for t in a.tokens if t.dep in ("nsubj", "nsubjpass") and t.tag == "NN"
                    and any(a.tokens[c].lower in ("a", "an") for c in a.children(t.i))
                    and (t.lemma.lower() == asked.wh_noun or (organisation and "ORG" in language.noun_labels(t.lemma)))}
    if not descriptions or asked.kind != "fact" or asked.wh not in ("which", "what", "who"):
        return None
    bounds = article_sentences(article.id, article.hash, article.text)
    after = [n for n, (s, _) in enumerate(bounds) if s > span.start][:NAMED_NEXT_WINDOW]
    is_lede = span.text.strip() == lede(article)
    for n in after:
        start, end = bounds[n]
        b = language.analyze(article.text[start:end], language.Pipes.FULL)
        for t in b.tokens:
            if t.tag != "NNP":
                continue
            beside = [b.tokens[c] for c in b.children(t.i) if b.tokens[c].dep == "appos"]
            if t.head != t.i and b.tokens[t.head].lemma == "be" and t.dep == "nsubj":
                beside += [b.tokens[c] for c in b.children(t.head) if b.tokens[c].dep == "attr"]
            if not any(x.lemma.lower() in descriptions for x in beside):
                continue
            words = [b.tokens[c] for c in b.children(t.i) if b.tokens[c].dep == "compound" and b.tokens[c].tag == "NNP"]
            first = min([t.i] + [w.i for w in words])
            name = b.text[b.tokens[first].start:t.end]
            if set(_terms(name)) & asked.name_terms:
                continue
            return Lead(name, [SentenceSpan(article.id, span.chunk_id, start, end, article.text[start:end], n)])
        if organisation and is_lede:
            # news describes the firm in its opening sentence and names it as the subject of a
            # next one, with a word of its kind: "A little-known Russian company has bought ..." /
            # "Baikal Finance Group outbid favourite Gazprom ..."; "The Titan corporation was
            # accused ..." (not "Boeing said the order ..." after "A European budget airline")
            name = _organisation_subject(b, descriptions | _ORGANISATION_NOUNS)
            if name is not None and not set(_terms(name)) & asked.name_terms:
                return Lead(name, [SentenceSpan(article.id, span.chunk_id, start, end, article.text[start:end], n)])
    return None


def _organisation_subject(b: language.Analysis, kinds: Collection[str]) -> str | None:
    """The organisation a sentence's main verb has as subject, named with a word of ``kinds``: an
    ORG entity ending in one ("Baikal Finance Group outbid ..."), or proper nouns before one ("The
    Titan corporation was accused ...")."""
    root = next((t for t in b.tokens if t.dep == "ROOT"), None)
    subject = next((b.tokens[c] for c in b.children(root.i) if b.tokens[c].dep in ("nsubj", "nsubjpass")), None) \
        if root is not None else None
    if subject is None:
        return None
    entity = b.entity_of(subject.i)
    if entity is not None and entity.label == "ORG" and entity.text.split()[-1].lower().rstrip("s") in kinds:
        return entity.text
    names = [b.tokens[c] for c in b.children(subject.i) if b.tokens[c].dep == "compound" and b.tokens[c].tag == "NNP"]
    if names and subject.tag == "NN" and subject.lemma.lower() in kinds:
        return b.text[names[0].start:names[-1].end]
    return None


def _label(a: language.Analysis, ent: language.Entity) -> str:
    """The entity's label, an amount written with a currency word counted as money: the model labels
    "885,000 Euros" a CARDINAL and "(£611,000)" MONEY; both are what the actor earned."""
    return "MONEY" if language.written_in_currency(a, ent) else ent.label


def _is_amount_currency(a: language.Analysis, ent: language.Entity) -> bool:
    """"Euros" of "5.45m Euros", a PERSON to the model: a currency word right after an amount (not
    "Pence" of "Vice President Pence", nor Raheem "Sterling")."""
    i = ent.token_start - 1
    while i >= 0 and a.tokens[i].lower in _SCALE_WORDS:
        i -= 1  # "5.45 m Euros"
    before = a.tokens[i] if i >= 0 else None
    return (before is not None and (before.pos == "NUM" or any(ch.isdigit() for ch in before.text))
            and all(language.is_currency(t) for t in a.tokens[ent.token_start:ent.token_end]))


def _is_age(a: language.Analysis, ent: language.Entity) -> bool:
    """"the age of 40", "58-year-old", "45 years old": an age, not a date, for a "when" question."""
    words = {t.lower for t in a.tokens[max(0, ent.token_start - 2):ent.token_end + 2]}
    return bool(words & {"age", "aged", "old", "year-old", "years-old"}) or "year-old" in ent.text.lower()


def _terms(text: str) -> list[str]:
    from rag.text import match_terms

    return match_terms(text)


def _numbers(text: str) -> set[str]:
    from rag.text import numbers

    return numbers(text)


def _widened(a: language.Analysis, ent: language.Entity, found: list[language.Entity]) -> str:
    """The entity with its currency sign and unit ("$1.13bn", not the model's "1.13bn"), the amounts
    joined to it ("76% to $1.13bn") and, for a count, its noun ("13 countries")."""
    first, last = _grown(a, ent.token_start, ent.token_end)
    # amounts join into a change or a range; names do not ("from Dublin to London" answers "Which city
    # did it move to?" with London)
    others = [] if ent.label in NAME_LABELS else sorted(_grown(a, e.token_start, e.token_end)
                                                        for e in found if e is not ent)
    for other_first, other_last in others:
        gap = a.tokens[last:other_first]
        if other_first >= last and gap and len(gap) <= 2 and all(t.lower in _AMOUNT_JOINERS for t in gap):
            last = other_last
    for other_first, other_last in reversed(others):
        gap = a.tokens[other_last:first]
        if other_last <= first and gap and len(gap) <= 2 and (all(t.lower in _AMOUNT_JOINERS for t in gap)
                                                              or [t.lower for t in gap] == ["of", "the"]):
            first = other_first  # "[76%] to $1.13bn", "[49] of the 97 votes"
    if ent.label in ("CARDINAL", "QUANTITY") and last < len(a.tokens):
        after = a.tokens[last]
        if a.tokens[last - 1].dep == "nummod" and a.tokens[last - 1].head == after.i and after.pos == "NOUN":
            last += 1
    if ent.label in ("PERSON", "ORG", "GPE", "FAC", "NORP", "LOC"):
        # a name the model cut short: "UN" of "the UN High Commissioner" -> the whole proper name
        for chunk in a.noun_chunks:
            if chunk.token_start <= first and last <= chunk.token_end and not first <= chunk.root < last \
                    and a.tokens[chunk.root].pos == "PROPN" \
                    and all(t.pos in ("PROPN", "DET") for t in a.tokens[chunk.token_start:chunk.token_end]) \
                    and not any(e is not ent and chunk.token_start <= e.token_start < chunk.token_end
                                for e in a.entities):
                first = max(chunk.token_start, min(first, chunk.token_start))
                while first < chunk.token_end and a.tokens[first].pos == "DET":
                    first += 1
                last = max(last, chunk.token_end)
    while last - first > 1 and a.tokens[first].pos == "DET" and ent.label not in ("DATE", "TIME"):
        first += 1  # "the United Nations" -> "United Nations"; "the three months" stays a date
    return a.text[a.tokens[first].start:a.tokens[last - 1].end]


def _grown(a: language.Analysis, first: int, last: int) -> tuple[int, int]:
    """Token range of an amount with the signs and units written against it: "$" before "1.13bn",
    "m" after "600"."""
    tokens = a.tokens
    while first > 0 and tokens[first - 1].tag == "$" and tokens[first - 1].end == tokens[first].start:
        first -= 1
    while last < len(tokens) and tokens[last].start == tokens[last - 1].end and (
            tokens[last].text.isalpha() or tokens[last].text == "%"):
        last += 1
    if last < len(tokens) and language.is_currency(tokens[last]):
        last += 1  # "70m euros"
    return first, last


def _speaker(a: language.Analysis, span: SentenceSpan, article: Article) -> Lead | None:
    """Who says the sentence, by name: the subject of its reporting verb (or the name in apposition
    to it: "the play's organiser in Uganda, Sarah Mukasa, told ..."), a he/she resolved to the
    person named before, or the speaker of a quote the paragraph before introduced. None when the
    sentence gives no name ("the Irishman said"): a wrong name is worse than none."""
    for clause in a.clauses:
        if clause.verb not in language.REPORTING_VERBS or not clause.subjects:
            continue
        subject = clause.subjects[0]
        if subject.pronoun:
            return _person_by_pronoun(span, article)
        person = _person_named(a, subject)
        if person is not None:
            return Lead(_full_name(person, span, article), [])
    for quote in a.quotes:
        if quote.speaker_name:
            return Lead(_full_name(quote.speaker_name, span, article), [])
    return _speaker_before(span, article)


def _person_named(a: language.Analysis, subject: language.Phrase) -> str | None:
    name = a.name_of(subject)
    if name is not None and name.label in ("PERSON", "ORG"):
        return name.canonical
    head = a.tokens[subject.head]
    for i in range(len(a.tokens)):
        t = a.tokens[i]
        if t.dep == "appos" and t.head == head.i and t.ent_type == "PERSON":
            appos = a.name_at(t.start, t.end)
            return appos.canonical if appos is not None else t.text
    if subject.label == "PERSON":
        return subject.core
    return None


def _full_name(person: str, span: SentenceSpan, article: Article) -> str:
    """"Albert" -> "Debbie Albert" when the sentences before write the full name, or else the
    sentences where the article first writes the surname do (a story names a person in full once,
    then by surname), and they name only one person of that surname."""
    if " " in person:
        return person
    window = antecedent_window(article, span)
    texts = [window[0]] if window is not None else []
    before = window[1] if window is not None else span.start
    mentions = [m.start() for m in re.finditer(rf"\b{re.escape(person)}\b", article.text[:before])]
    texts += [article.text[s:e] for s, e in article_sentences(article.id, article.hash, article.text)
              if any(s <= m < e for m in mentions)][:FULL_NAME_SENTENCES]
    full = {name.canonical for text in texts for name in language.analyze(text, language.Pipes.FULL).names_matching(person)
            if name.label == "PERSON" and " " in name.canonical}
    # two people of one surname ("Serena Williams", "Venus Williams"): the surname alone, not a guess
    return full.pop() if len(full) == 1 else person


def _speaker_before(span: SentenceSpan, article: Article) -> Lead | None:
    """A quote that goes on from the paragraph before, whose speaker that paragraph names."""
    window = antecedent_window(article, span)
    if window is None:
        return None
    text, offset = window
    a = language.analyze(text, language.Pipes.FULL)
    for quote in a.quotes:
        if quote.start <= span.start - offset < quote.end + 2 or span.start - offset <= quote.start:
            if quote.speaker_name and quote.end >= span.start - offset:
                return Lead(quote.speaker_name, [])
    return None


def _act_done_by_a_pronoun(asked: Question, a: language.Analysis) -> bool:
    """The question asks who does its verb ("Who will voice Charlotte?", not "Who did Madonna
    marry?") and the sentence's clause of that verb has a he/she as its subject (its agent)."""
    act, main = asked.act, asked.main_clause
    if main is None or not main.agents or asked.analysis is None \
            or asked.analysis.tokens[main.agents[0].head].lower not in ("who", "whom"):
        return False
    return act is not None and any(c.verb == act and c.agents and c.agents[0].pronoun
                                   and a.tokens[c.agents[0].head].lower in ("he", "she") for c in a.clauses)


def _person_by_pronoun(span: SentenceSpan, article: Article) -> Lead | None:
    person, named_in = attribution(article, span)
    if person is None:
        return None
    return Lead(person, [named_in] if named_in is not None else [])


# -- attribution ---------------------------------------------------------------------------------


def attribution(article: Article, span: SentenceSpan) -> tuple[str | None, SentenceSpan | None]:
    """(person, the sentence naming them) when the sentence's subject is a he/she the language layer
    resolves within the sentences before it; (None, None) otherwise."""
    if not re.match(r"\W*(he|she)\b", span.text, re.IGNORECASE) and not re.search(
            r"\b(he|she) (said|added|told|wrote|says|adds|explained|argued|warned|insisted)\b", span.text,
            re.IGNORECASE):
        return None, None  # cheap test first: most sentences need no parse
    window = antecedent_window(article, span)
    if window is None:
        return None, None
    text, offset = window
    a = language.analyze(text, language.Pipes.FULL)
    sentence = a.sentence_at(span.start - offset)
    subject = a.subject(sentence) if sentence is not None else None
    people = dict(pronoun_people(text, span.start - offset))
    person = None
    if subject is not None and subject.pronoun:
        person = people.get(subject.start - (span.start - offset))
    if person is None:
        for quote in a.quotes:
            if quote.start >= span.start - offset and quote.speaker is not None and quote.speaker.pronoun:
                person = quote.speaker_name
                break
    if person is None or person.split()[-1] in span.text:
        return None, None
    return person, _naming_sentence(article, span, person)


def _naming_sentence(article: Article, span: SentenceSpan, person: str) -> SentenceSpan | None:
    """The nearest sentence before ``span`` (within the window) that writes the person's surname."""
    bounds, position = sentence_bounds_at(article, span)
    if position is None:
        return None
    surname = person.split()[-1]
    for n in range(position - 1, max(-1, position - ANTECEDENT_WINDOW - 1), -1):
        s, e = bounds[n]
        if surname in article.text[s:e]:
            return SentenceSpan(article.id, span.chunk_id, s, e, article.text[s:e], n)
    return None


# -- dates -----------------------------------------------------------------------------------------


def undated_note(asked: Question, span: SentenceSpan, article: Article) -> str | None:
    """For a "when" question answered by a sentence without a date: say so, with the publication date."""
    if asked.wh != "when":
        return None
    a = language.analyze(span.text, language.Pipes.FULL)
    if any(e.label in ("DATE", "TIME") for e in a.entities):
        return None
    published = readable_date(article.meta.get("published"))
    if published:
        return f"The article gives no date; it was published on {published}."
    return "The article gives no date."


def readable_date(value: object) -> str | None:
    """"2025/07/13" or "2025-07-13T10:00" -> "13 July 2025"; None when there is no date."""
    day = published_day(str(value)) if value else None
    if day is None:
        return str(value) if value else None
    year, month, date = day // 10000, day // 100 % 100, day % 100
    return f"{date} {_MONTHS[month - 1]} {year}" if 1 <= month <= 12 else str(value)


# -- briefings ---------------------------------------------------------------------------------------


def brief(question: str, hits: list[Hit], evidence: Evidence, standalone_question: str = "") -> Answer:
    """1-3 sentences per article under its headline and date, articles in the order of their best
    sentence, sentences in the order the article tells them."""
    articles = {h.article.id: h.article for h in hits}
    groups: dict[str, list[RankedSpan]] = {}
    for item in evidence.ranked:
        if asks_itself(item.span.text):
            continue  # a subheading such as "Why is DeepSeek shaking up the tech world?" tells nothing
        group = groups.setdefault(item.span.article_id, [])
        if len(groups) > BRIEF_ARTICLES and not group:
            groups.pop(item.span.article_id)
            continue
        if len(group) < BRIEF_SENTENCES and not any(near_duplicate(item.span.text, g.span.text) for g in group):
            group.append(item)
    builder = AnswerBuilder(question, "extractive", hits, standalone_question)
    topic = (evidence.asked.name_terms | set(evidence.asked.weights)) if evidence.asked is not None else set()
    for article_id, group in list(groups.items())[:BRIEF_ARTICLES]:
        article = articles[article_id]
        spans = [g.span for g in group]
        # news tells the story in its opening sentence: a briefing starts there when it is on the topic
        opening = _opening_span(article, hits)
        if opening is not None and set(_terms(opening.text)) & topic and not any(
                s.start == opening.start or near_duplicate(s.text, opening.text) for s in spans):
            spans.append(opening)
        add_article(builder, article, sorted(spans, key=lambda s: s.position))
    return builder.build()


def _opening_span(article: Article, hits: list[Hit]) -> SentenceSpan | None:
    """The article's first sentence after its headline (of at least four words)."""
    for n, (start, end) in enumerate(article_sentences(article.id, article.hash, article.text)):
        text = article.text[start:end]
        if text.strip() != article.title.strip() and len(text.split()) >= 4:
            return SentenceSpan(article.id, _chunk_of(hits, article.id, start), start, end, text, n)
    return None


def add_article(builder: AnswerBuilder, article: Article, spans: list[SentenceSpan]) -> None:
    """An article's heading (headline and date, citing nothing: it states no fact of its own) and its
    quoted sentences, each citing itself. The headline is skipped as a quote: the heading shows it."""
    spans = [s for s in spans if s.text.strip() != article.title.strip()]
    if not spans:
        return
    date = readable_date(article.meta.get("published"))
    builder.add_heading(f"**{article.title}**" + (f" ({date})" if date else ""))
    for span in spans:
        person, named_in = attribution(article, span)
        text = f"[{person}] {balanced_quotes(span.text)}" if person else balanced_quotes(span.text)
        builder.add(text, ([named_in] if named_in is not None else []) + [span], support=1.0)


def balanced_quotes(sentence: str) -> str:
    """The sentence as the answer shows it, its quotation marks paired: news writes a quotation of
    several paragraphs with an opening mark on each and a closing one on the last only, so one
    sentence may open a quotation it does not close ('"Career sexism limits ... potential.') or
    close one it did not open ('Career sexism goes both ways."'). The citation keeps the exact text."""
    straight = sentence.count('"')
    if straight % 2:
        first = sentence.index('"')
        opening = first == 0 or sentence[first - 1] in " (\u2014\u2013-"
        return f'{sentence}"' if opening else f'"{sentence}'
    opens, closes = sentence.count("\u201c"), sentence.count("\u201d")
    if opens > closes:
        return f"{sentence}\u201d"
    if closes > opens:
        return f"\u201c{sentence}"
    return sentence


def continue_answer(question: str, hits: list[Hit], previous: list[tuple[str, int]], articles: dict[str, Article],
                    standalone_question: str = "") -> Answer:
    """"Tell me more": in each article the previous answer quoted (``previous``: article id and the
    end of the last quoted sentence there), the sentences that follow it."""
    builder = AnswerBuilder(question, "extractive", hits, standalone_question, extra_articles=articles)
    for article_id, after in previous:
        article = articles.get(article_id)
        if article is None:
            continue
        bounds = article_sentences(article.id, article.hash, article.text)
        following = [(n, s, e) for n, (s, e) in enumerate(bounds) if s >= after
                     and len(article.text[s:e].split()) >= 4][:MORE_SENTENCES]
        spans = [SentenceSpan(article.id, _chunk_of(hits, article.id, s), s, e, article.text[s:e], n)
                 for n, s, e in following]
        add_article(builder, article, spans)
    if not builder.sentences:
        return refusal(question, "extractive", hits, standalone_question,
                       "the articles of the previous answer say nothing more")
    return builder.build()


def _chunk_of(hits: list[Hit], article_id: str, offset: int) -> str:
    for h in hits:
        if h.article.id == article_id and h.chunk.start <= offset < h.chunk.end:
            return h.chunk.id
    return ""
