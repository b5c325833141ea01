"""A mentions list or a quote check as a chat Answer: the text says the result, each line cites
the sentence it rests on, and ``Answer.report`` carries the whole result (every mention).

The chat, the web app and the ``/chat`` API show answers; this is how "Which articles mention
Microsoft?" and "Did Blair say '...'?" reach them with the same citations as any answer.
"""

from __future__ import annotations

from rag.answer.mentions import MentionsResult
from rag.answer.quotes import QuoteCheck
from rag.answer.record import Answer, AnswerSentence, Citation


def _citation(n: int, item, quote: str, start: int, end: int, support: float = 1.0) -> Citation:
    return Citation(n=n, article_id=item.article_id, source=item.source, title=item.title, url=item.url,
                    published=item.published, quote=quote, start=start, end=end, support=support, chunk_id="")


def mentions_answer(question: str, result: MentionsResult, mode: str, scope: str = "") -> Answer:
    """One sentence per article (newest first), citing its first mentioning sentence."""
    answer = Answer(question=question, answer="", refused=False, mode=mode, kind="mentions", scope=scope,
                    report=result.to_json(), standalone_question=question)
    if not result.articles:
        answer.answer = f"No article mentions {result.query}."
        answer.sentences = [AnswerSentence(answer.answer)]
        return answer
    articles = "article mentions" if result.total_articles == 1 else "articles mention"
    times = "time" if result.total_mentions == 1 else "times"
    head = (f"{result.total_articles} {articles} {result.query} ({result.total_mentions} {times}), "
            f"newest first:")
    sentences = [AnswerSentence(head)]
    for n, article in enumerate(result.articles, start=1):
        first = article.mentions[0]
        answer.citations.append(_citation(n, article, first.quote, first.start, first.end))
        date = f", {article.published[:10]}" if article.published else ""
        count = "1 mention" if article.count == 1 else f"{article.count} mentions"
        sentences.append(AnswerSentence(f"{article.title} ({article.source}{date}): {count}.", [n], 1.0))
    answer.sentences = sentences
    answer.answer = " ".join(s.text + "".join(f"[{n}]" for n in s.citations) for s in sentences)
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
    return answer
