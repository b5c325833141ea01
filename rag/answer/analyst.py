"""A mentions list, a quote check or what a short form stands for as a chat Answer: the text says the result, each line cites
the sentence it rests on, and ``Answer.report`` carries the whole result (every mention).

The chat, the web app and the ``/chat`` API show answers; this is how "Which articles mention
Microsoft?" and "Did Blair say '...'?" reach them with the same citations as any answer.
"""

from __future__ import annotations

from rag.answer.citations import with_markers
from rag.answer.compose import REFUSAL_TEXT
from rag.answer.mentions import MentionsResult
from rag.answer.quotes import QuoteCheck
from rag.answer.record import Answer, AnswerSentence, Citation, Source


def _citation(n: int, item, quote: str, start: int, end: int, support: float = 1.0) -> Citation:
    return Citation(n=n, article_id=item.article_id, source=item.source, title=item.title, url=item.url,
                    published=item.published, quote=quote, start=start, end=end, support=support, chunk_id="")


PAGE = 25  # articles per answer; "more" gives the next ones (the report always holds them all)


def _source(item, start: int, end: int, score: float = 1.0) -> Source:
    return Source(article_id=item.article_id, source=item.source, title=item.title, score=score, chunk_id="",
                  start=start, end=end, url=item.url, published=item.published)


def mentions_answer(question: str, result: MentionsResult, mode: str, scope: str = "", page: int = 1) -> Answer:
    """One sentence per article of ``page`` (newest first), citing its first mentioning sentence."""
    report = result.to_json() | {"page": page, "pages": max(1, -(-result.total_articles // PAGE))}
    answer = Answer(question=question, answer="", refused=False, mode=mode, kind="mentions", scope=scope,
                    report=report, standalone_question=question)
    if not result.articles:
        answer.answer = f"No article mentions {result.query}."
        answer.sentences = [AnswerSentence(answer.answer)]
        return answer
    articles = "article mentions" if result.total_articles == 1 else "articles mention"
    times = "time" if result.total_mentions == 1 else "times"
    head = (f"{result.total_articles} {articles} {result.query} ({result.total_mentions} {times}), "
            f"newest first:")
    first = (page - 1) * PAGE
    shown = result.articles[first:first + PAGE]
    if report["pages"] > 1:
        head = head.removesuffix(":") + f"; articles {first + 1}–{first + len(shown)}:"
    sentences = [AnswerSentence(head)]
    for n, article in enumerate(shown, start=1):
        sentence = article.mentions[0]
        answer.citations.append(_citation(n, article, sentence.quote, sentence.start, sentence.end))
        answer.sources.append(_source(article, sentence.start, sentence.end))
        date = f", {article.published[:10]}" if article.published else ""
        count = "1 mention" if article.count == 1 else f"{article.count} mentions"
        # The first mentioning sentence in full: the line says what it cites.
        sentences.append(AnswerSentence(f"{article.title} ({article.source}{date}), {count}: {sentence.quote}", [n], 1.0))
    if page < report["pages"]:
        sentences.append(AnswerSentence(f"Ask “more” for the next {min(PAGE, result.total_articles - first - PAGE)}."))
    answer.sentences = sentences
    answer.answer = " ".join(s.text + "".join(f"[{n}]" for n in s.citations) for s in sentences)
    return answer


def next_mentions_page(question: str, previous: Answer, mode: str) -> Answer | None:
    """The next page of the mentions list ``previous`` showed, or None when it showed the last."""
    report = previous.report or {}
    page = int(report.get("page", 1))
    if previous.kind != "mentions" or page >= int(report.get("pages", 1)):
        return None
    return mentions_answer(question, MentionsResult.from_json(report), mode, previous.scope, page + 1)


def expansion_answer(question: str, short: str, result: MentionsResult, mode: str, scope: str = "") -> Answer:
    """What ``short`` stands for, as the sources spell it out ("the International Association of
    Athletics Federations (IAAF)"), citing the sentences that do; refused, with the articles that
    write it, when none spells it out."""
    spelt: dict[str, list] = {}
    for article in result.articles:
        for sentence in article.mentions:
            for match in sentence.matches:
                if match.form == "full":
                    spelt.setdefault(" ".join(match.text.split()), []).append((article, sentence))
                    break
    if not spelt:
        where = f" in {result.total_articles} article{'s' if result.total_articles != 1 else ''}"
        reason = (f"the sources write {short}{where} but never spell it out" if result.articles
                  else f"the sources do not mention {short}")
        answer = Answer(question=question, answer=f"{REFUSAL_TEXT} ({reason[0].upper()}{reason[1:]}.)", refused=True,
                        mode=mode, scope=scope, standalone_question=question)
        for article in result.articles[:5]:
            first = article.mentions[0]
            answer.sources.append(_source(article, first.start, first.end))
        return answer
    # the form most sentences write, and each article that writes it once
    full, places = max(spelt.items(), key=lambda item: len(item[1]))
    seen, cited = set(), []
    for article, sentence in places:
        if article.article_id not in seen:
            seen.add(article.article_id)
            cited.append((article, sentence))
    answer = Answer(question=question, answer="", refused=False, mode=mode, scope=scope, standalone_question=question)
    sentences = []
    for n, (article, sentence) in enumerate(cited[:3], start=1):
        answer.citations.append(_citation(n, article, sentence.quote, sentence.start, sentence.end))
        answer.sources.append(_source(article, sentence.start, sentence.end))
        sentences.append(AnswerSentence(f"**{full}**: {sentence.quote}" if n == 1
                                        else f"Also spelt out in {article.title} ({article.source}).", [n], 1.0))
    answer.sentences = sentences
    answer.answer = " ".join(with_markers(s.text, s.citations) for s in sentences)
    return answer


def quote_answer(question: str, check: QuoteCheck, mode: str, scope: str = "") -> Answer:
    """The verdict first; a match cites the passage; closest passages are listed as not a match."""
    # A quote not found is an honest "the sources don't say": it counts as a refusal, like any other.
    answer = Answer(question=question, answer="", refused=check.verdict == "not_found", mode=mode, kind="quote",
                    scope=scope, report=check.to_json(), standalone_question=question)
    sentences = [AnswerSentence(check.summary)]
    if check.verdict != "not_found":
        for n, match in enumerate(check.matches, start=1):
            answer.citations.append(_citation(n, match, match.quote, match.start, match.end, match.similarity))
        sentences[0].citations = [1]
        sentences[0].support = check.matches[0].similarity
        for n, match in enumerate(check.matches[1:], start=2):
            by = f", attributed to {match.speaker}" if match.speaker else ""
            sentences.append(AnswerSentence(f"Also in {match.title} ({match.source}{by}).", [n], match.similarity))
    else:
        for match in check.matches[:3]:  # quoted in the text, not cited: none of them is the quote
            sentences.append(AnswerSentence(f"Not a match ({match.similarity:.0%} of words alike): "
                                            f"“{match.quote}” ({match.title}, {match.source})."))
    answer.sentences = sentences
    answer.answer = " ".join(s.text + "".join(f"[{n}]" for n in s.citations) for s in sentences)
    # The passages looked at (matches, or the closest ones) are the answer's sources.
    answer.sources = [_source(m, m.start, m.end, m.similarity) for m in check.matches]
    return answer
