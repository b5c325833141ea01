"""Analyst tools on real articles: every mention, quote checks, filters, Markdown export.

One store per module (real parsing, ONNX embeddings, Chroma, BM25, the mentions index and the
spaCy names, exactly as ``rag ingest`` builds them) over the seed, 120 BBC News articles spread
over the five topics and 30 RealTime QA 2025 articles (dated, with URLs). Every expectation is
checked against the texts themselves: a plain case-insensitive scan, the article's own quotes,
its folder and published date.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from harness import REPO, run_rag, settings_at

BBC_COUNT = 120
RTQA_COUNT = 30
NAMES = ["Microsoft", "Blair", "Brown", "EU", "Apple", "Google", "Trump", "China"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, bbc_sample, rtqa_dir):
    from rag.evals.corpus import evenly_spread
    from rag.index.ingest import sync

    root = tmp_path_factory.mktemp("analyst")
    sources = root / "sources"
    shutil.copytree(REPO / "seeds", sources)
    for path in bbc_sample(BBC_COUNT):
        target = sources / "bbc" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    for path in evenly_spread(sorted(rtqa_dir.glob("*.md")), RTQA_COUNT):
        target = sources / "rtqa" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    # Longer chunks than the harness default: fewer vectors to embed, the same texts.
    settings = settings_at(root, chunk_size=800, chunk_overlap=60)
    sync(settings, progress=False)
    return settings


@pytest.fixture(scope="module")
def chat(corpus):
    from rag.pipeline import SourceChat

    return SourceChat(corpus)


@pytest.fixture(scope="module")
def texts(chat) -> dict[str, str]:
    return {aid: a.text for aid, a in chat.articles(r["article_id"] for r in chat.list_articles()).items()}


def scan(texts: dict[str, str], name: str) -> dict[str, int]:
    """The plain truth: case-insensitive, word-bounded occurrences per article."""
    pattern = re.compile(r"(?<![^\W_])" + re.escape(name) + r"(?![^\W_])", re.IGNORECASE)
    return {aid: len(pattern.findall(text)) for aid, text in texts.items() if pattern.search(text)}


# -- mentions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_mentions_are_complete_against_a_plain_scan(chat, texts, name):
    truth = scan(texts, name)
    result = chat.mentions(name)
    found = {a.article_id: a for a in result.articles}
    assert set(truth) <= set(found), f"missed {sorted(set(truth) - set(found))}"
    pattern = re.compile(r"(?<![^\W_])" + re.escape(name) + r"(?![^\W_])", re.IGNORECASE)
    for aid, count in truth.items():
        written = [m for s in found[aid].mentions for m in s.matches if pattern.search(m.text)]
        assert len(written) == count, (aid, count, [m.text for m in written])
    for article in result.articles:
        text = texts[article.article_id]
        assert article.count == sum(len(s.matches) for s in article.mentions)
        for sentence in article.mentions:
            assert sentence.quote == text[sentence.start:sentence.end]
            for match in sentence.matches:
                assert match.text == text[match.start:match.end]
                assert sentence.start <= match.start < match.end <= sentence.end


def test_possessives_are_counted_and_the_list_is_newest_first(chat, texts):
    result = chat.mentions("Microsoft")
    possessive = re.compile(r"(?<![^\W_])microsoft['’]s(?![^\W_])", re.IGNORECASE)
    truth = sum(len(possessive.findall(t)) for t in texts.values())
    assert truth > 0, "the sample should hold a possessive form"
    assert sum(count for text, count in result.forms() if text.lower().endswith(("'s", "’s"))) == truth
    days = [a.published[:10] for a in result.articles if a.published]
    assert days == sorted(days, reverse=True)


def test_a_person_is_found_by_the_forms_the_article_links(chat, texts):
    """"Tony Blair" also lists "Mr Blair" and "Blair" in the articles that name Tony Blair."""
    result = chat.mentions("Tony Blair")
    assert result.articles
    linked = [(a.article_id, m) for a in result.articles for s in a.mentions for m in s.matches
              if m.text.lower() != "tony blair" and not m.text.lower().startswith("tony blair")]
    assert linked, "no linked form found"
    assert {m.form for _, m in linked} & {"surname", "title"}
    for aid, match in linked:
        assert "blair" in match.text.lower()
        assert "tony blair" in texts[aid].lower()  # linked only where the article says who it is


def test_stop_words_and_empty_queries_are_refused(chat):
    from rag.errors import UsageError

    for query in ("", "  ", "the", "'said'"):
        with pytest.raises(UsageError):
            chat.mentions(query)


def test_which_articles_mention_in_the_chat_gives_the_same_list(chat):
    listed = chat.mentions("Apple")
    answer = chat.ask("Which articles mention Apple?", mode="extractive")
    assert answer.kind == "mentions" and not answer.refused
    assert answer.report["total_articles"] == listed.total_articles > 0
    assert [c.article_id for c in answer.citations] == [a.article_id for a in listed.articles]
    for citation in answer.citations:
        assert citation.quote == chat.article(citation.article_id).text[citation.start:citation.end]


def test_cli_mentions_json(corpus, chat):
    done = run_rag(["mentions", "Microsoft", "--json", "--source", "bbc/tech/*"], corpus)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= {"query", "total_articles", "articles"}
    assert data["total_articles"] == len(data["articles"]) > 0
    assert all(a["source"].startswith("bbc/tech/") for a in data["articles"])
    everywhere = chat.mentions("Microsoft")
    assert data["total_articles"] <= everywhere.total_articles
    assert data["total_articles"] == sum(1 for a in everywhere.articles if a.source.startswith("bbc/tech/"))
    first = data["articles"][0]
    assert set(first) >= {"article_id", "source", "title", "published", "count", "mentions"}
    assert set(first["mentions"][0]) >= {"quote", "start", "end"}


# -- quote checks ---------------------------------------------------------------------------------


def _quoted_passages(texts: dict[str, str], limit: int) -> list[tuple[str, str]]:
    """(article id, words inside quotation marks) of 8+ words, from the BBC articles."""
    found = []
    for aid, text in sorted(texts.items()):
        if not aid.startswith("bbc/"):
            continue
        for match in re.finditer(r"\"([^\"\n]{40,200})\"", text):
            if len(match.group(1).split()) >= 8:
                found.append((aid, match.group(1)))
                break
        if len(found) == limit:
            break
    return found


def test_verbatim_quotes_are_found_where_they_are(chat, texts):
    passages = _quoted_passages(texts, 12)
    assert len(passages) == 12
    for aid, quote in passages:
        check = chat.check_quote(quote)
        assert check.verdict == "verbatim", (aid, quote, check.summary)
        match = next(m for m in check.matches if m.article_id == aid)
        assert match.quote == texts[aid][match.start:match.end]
        assert match.similarity == 1.0


def test_a_changed_word_is_close_and_says_which(chat, texts):
    for aid, quote in _quoted_passages(texts, 8):
        words = quote.split()
        middle = len(words) // 2
        changed = " ".join(words[:middle] + ["zeppelins"] + words[middle + 1:])
        check = chat.check_quote(changed)
        assert check.verdict == "close", (aid, changed, check.summary)
        assert check.matches[0].article_id == aid
        assert any("zeppelins" in d for d in check.matches[0].differences)


def test_a_made_up_quote_is_not_found(chat, texts):
    passages = _quoted_passages(texts, 6)
    made_up = ["I have lost my passion for politics",
               "we will never sell the company to a foreign bidder whatever the price"]
    # Halves of two real quotes glued together: real words, never said.
    made_up += [" ".join(a.split()[:4] + b.split()[-4:]) for (_, a), (_, b) in zip(passages, passages[1:])]
    for quote in made_up:
        check = chat.check_quote(quote)
        assert check.verdict == "not_found", (quote, check.summary)
        assert "not a match" in check.summary
        assert all(m.edits > 2 for m in check.matches)


def test_the_speaker_is_checked_against_the_attribution(chat):
    quote = "we wish to maintain a neutral stance"
    right = chat.check_quote(quote, speaker="Mansouri")
    assert right.verdict == "verbatim" and right.speaker_matches is True
    assert right.matches[0].speaker == "Ali Mansouri"
    wrong = chat.check_quote(quote, speaker="Tony Blair")
    assert wrong.verdict == "verbatim" and wrong.speaker_matches is False
    assert "not Tony Blair" in wrong.summary


def test_a_quotation_in_a_question_gets_a_verdict_first(chat):
    answer = chat.ask("Did Blair say 'I have lost my passion for politics'?", mode="extractive")
    assert answer.kind == "quote" and answer.report["verdict"] == "not_found"
    assert answer.refused  # "the sources don't say", for the refusal gates of the evals too
    assert answer.answer.startswith("Not found")
    assert not answer.citations  # the closest passages are not cited as if they confirmed it
    answer = chat.ask("Did Mansouri say “we offer our mediation and facilitation services”?", mode="extractive")
    assert answer.report["verdict"] == "verbatim" and answer.report["speaker_matches"] is True
    assert answer.citations[0].quote == "we offer our mediation and facilitation services"


def test_cli_quote_json(corpus):
    done = run_rag(["quote", "we wish to keep a neutral stance", "--json"], corpus)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["verdict"] == "close"
    assert set(data["matches"][0]) >= {"article_id", "title", "quote", "start", "end", "similarity", "speaker"}
    assert "speaker_matches" in data


# -- filters --------------------------------------------------------------------------------------


def test_a_source_glob_keeps_retrieval_in_that_folder(chat):
    from rag.answer.filters import Filters

    question = "What did the company say about profits and sales?"
    unfiltered = chat.retriever.retrieve(question, 8)
    assert {h.article.source.split("/")[1] for h in unfiltered if h.article.source.startswith("bbc/")} != {"tech"}
    hits = chat.retriever.retrieve(question, 8, Filters(sources=["bbc/tech/*"]))
    assert hits and all(h.article.source.startswith("bbc/tech/") for h in hits)
    answer = chat.ask(question, mode="extractive", filters=Filters(sources=["bbc/tech"]))
    assert answer.scope.startswith("searched ") and "bbc/tech" in answer.scope
    assert all(c.source.startswith("bbc/tech/") for c in answer.citations)


def test_a_date_range_keeps_articles_published_in_it(chat):
    from rag.answer.filters import Filters

    dated = sorted((r["published"][:10], r["article_id"]) for r in chat.list_articles() if r.get("published"))
    assert len(dated) >= 20
    low, high = dated[5][0], dated[15][0]
    expected = {aid for day, aid in dated if low <= day <= high}
    filters = Filters(published_from=low, published_to=high)
    hits = chat.retriever.retrieve("news", 20, filters)
    assert hits and {h.article.id for h in hits} <= expected
    result = chat.mentions("Trump", filters)
    assert {a.article_id for a in result.articles} <= expected
    assert result.scope and result.scope["articles"] == len(expected)


def test_chosen_articles_only(chat, texts):
    from rag.answer.filters import Filters

    some = sorted(scan(texts, "Microsoft"))[:2]
    result = chat.mentions("Microsoft", Filters(article_ids=some))
    assert sorted(a.article_id for a in result.articles) == some
    hits = chat.retriever.retrieve("Microsoft software", 10, Filters(article_ids=some))
    assert hits and {h.article.id for h in hits} <= set(some)


def test_a_period_in_the_question_uses_published_dates(chat):
    dated = sorted(r["published"][:7] for r in chat.list_articles() if r.get("published"))
    month = max(set(dated), key=dated.count)  # the month with the most articles
    name = __import__("calendar").month_name[int(month[5:])]
    answer = chat.ask(f"What happened in {name} {month[:4]}?", mode="extractive")
    assert f"from the question: {name} {month[:4]}" in answer.scope
    for source in answer.sources:
        assert source.published and source.published[:7] == month
    undated = chat.ask("What happened in June 1990?", mode="extractive")
    assert "no article is dated June 1990" in undated.scope


def test_a_year_in_a_question_over_undated_articles_adds_no_scope_note():
    """Trying the app over BBC News files (no dates): "(searched 61 articles; no article is dated
    2004, so every date was searched)" came with every question naming a year. Among dated
    articles the note stays: there it says why the question's period was not applied."""
    from rag.answer.filters import scope_of

    undated = [{"article_id": f"bbc/{n}.txt", "title": "t"} for n in range(3)]
    assert scope_of("How much did Marsh make in 2004?", None, undated) == (None, None)
    dated = undated + [{"article_id": "rtqa/a.md", "title": "t", "published": "2025/01/10"}]
    applied, scope = scope_of("How much did Marsh make in 2004?", None, dated)
    assert applied is None and "no article is dated 2004" in scope.note


def test_bad_filters_are_refused_with_a_message(corpus):
    done = run_rag(["mentions", "Microsoft", "--since", "last tuesday"], corpus)
    assert done.returncode == 1 and "ISO date" in done.stderr
    done = run_rag(["ask", "profits", "--since", "2025-05-01", "--until", "2025-01-01"], corpus)
    assert done.returncode == 1 and "empty" in done.stderr


# -- export ---------------------------------------------------------------------------------------


def test_markdown_export_round_trips_every_quote(chat, texts, corpus):
    from rag.answer.export import conversation_markdown, quotes_of

    answers = [chat.ask("What did Microsoft say about security?", mode="extractive"),
               chat.ask("Which articles mention Google?", mode="extractive"),
               chat.ask("Did Mansouri say “we offer our mediation and facilitation services”?", mode="extractive")]
    document = conversation_markdown(answers)
    quotes = quotes_of(document)
    assert len(quotes) == sum(len(a.citations) for a in answers) > 3
    by_label = {q.label: q for q in quotes}
    for turn, answer in enumerate(answers, start=1):
        for citation in answer.citations:
            exported = by_label[f"{turn}.{citation.n}"]
            assert exported.quote == texts[citation.article_id][exported.start:exported.end]
            # the mark in the text, and the footnote itself
            assert document.count(f"[^{turn}.{citation.n}]") >= 2
    done = run_rag(["ask", "What did Microsoft say about security?", "--format", "markdown", "--mode", "extractive"],
                   corpus)
    assert done.returncode == 0, done.stderr
    cli_quotes = quotes_of(done.stdout)
    assert cli_quotes and "[^1]" in done.stdout.split("\n[^1]:")[0]
    for exported in cli_quotes:
        assert any(t[exported.start:exported.end] == exported.quote for t in texts.values()), exported


# -- compare --------------------------------------------------------------------------------------


def test_how_do_the_sources_differ_hears_several_articles(chat, texts):
    # Several articles of this sample speak to computer security (only one to Microsoft's security
    # software: an article about Microsoft's games console has nothing to say on it).
    answer = chat.ask("How do the sources differ on computer security?", mode="extractive")
    assert answer.kind == "compare" and not answer.refused
    cited = [c.article_id for c in answer.citations]
    assert len(set(cited)) >= 2 and len(set(cited)) == len(cited)  # one sentence per article
    for citation in answer.citations:
        assert citation.quote == texts[citation.article_id][citation.start:citation.end]


def test_compare_two_sides_takes_each_from_articles_that_mention_it(chat, texts):
    answer = chat.ask("Compare what Blair and Brown say about the election", mode="extractive")
    assert answer.kind == "compare"
    sides = {s.text.split(",")[0] for s in answer.sentences if s.citations}
    assert sides == {"Blair", "Brown"}
    for sentence in answer.sentences:
        side = sentence.text.split(",")[0]
        for n in sentence.citations:
            citation = answer.citations[n - 1]
            assert side.lower() in texts[citation.article_id].lower()


def test_a_long_mentions_list_comes_a_page_at_a_time(chat):
    from rag.answer.analyst import PAGE

    listed = chat.mentions("government")
    assert listed.total_articles > PAGE, "the sample should hold more articles than one page"
    first = chat.ask("Which articles mention government?", mode="extractive")
    assert len(first.citations) == PAGE and first.report["total_articles"] == listed.total_articles
    assert "Ask “more”" in first.answer
    seen = [c.article_id for c in first.citations]
    answer = first
    while "Ask “more”" in answer.answer:
        answer = chat.ask("more", history=[answer], mode="extractive")
        assert answer.kind == "mentions" and answer.citations
        seen += [c.article_id for c in answer.citations]
    assert seen == [a.article_id for a in listed.articles]  # every article once, newest first


def test_an_acronym_that_spells_a_common_word_is_matched_as_written(chat, texts):
    truth = {aid for aid, text in texts.items() if re.search(r"(?<![^\W_])US(?![^\W_])", text)}
    assert truth, "the sample should name the US"
    result = chat.mentions("US")
    assert {a.article_id for a in result.articles} >= truth
    exact = [m for a in result.articles for s in a.mentions for m in s.matches if m.form in ("exact", "possessive")]
    assert exact and all(m.text.startswith("US") for m in exact)  # never "us" in "told us"


@pytest.mark.parametrize("question, is_quote_check", [
    ("Did Blair say 'I have lost my passion for politics'?", True),
    ("Who said “we offer our mediation and facilitation services”?", True),
    ("When did Mansouri write “we offer our mediation and facilitation services”?", True),
    # RealTime QA 2025 questions that quote a phrase while asking for something else
    ("President Donald Trump this week said the US “will take over” which territory?", False),
    ("What was the name of the giant schnauzer that won 'best in show' at the Westminster Kennel Club Dog Show?", False),
])
def test_only_a_question_about_the_quoted_words_is_a_quote_check(question, is_quote_check):
    from rag.answer.requests import QuoteRequest, request_of

    assert isinstance(request_of(question), QuoteRequest) is is_quote_check


@pytest.mark.parametrize("question,short", [
    ("What does IAAF stand for?", "IAAF"), ("what does iaaf stand for", "IAAF"), ("What does Fifa stand for?", "FIFA"),
    ("What is the BoE short for?", "BoE"), ("What is the full name of the IOC?", "IOC"),
    ("What does the U.N. stand for?", "UN"), ("What does it stand for?", None), ("What did Blair stand for?", None),
    ("What does the party stand for?", None), ("What is the full name of the coach?", None),
])
def test_what_a_short_form_stands_for_is_a_request_of_its_own(question, short):
    from rag.answer.requests import ExpansionRequest, request_of

    request = request_of(question)
    assert (request.short if isinstance(request, ExpansionRequest) else None) == short


def _spelt_out(texts: dict[str, str]) -> dict[str, str]:
    """Short forms the texts define in brackets after capitalised words with those initials."""
    found = {}
    for text in texts.values():
        for m in re.finditer(r"((?:[A-Z][a-z]+ (?:(?:of|and|for|the) )*)+[A-Z][a-z]+) \(([A-Z]{2,6})\)", text):
            words = [w for w in m.group(1).split() if w not in ("of", "and", "for", "the")]
            for start in range(len(words)):
                if "".join(w[0] for w in words[start:]) == m.group(2):
                    found.setdefault(m.group(2), " ".join(words[start:]))
    return found


def test_what_a_short_form_stands_for_is_answered_with_the_name_the_sources_spell_out(chat, texts):
    spelt = _spelt_out(texts)
    assert len(spelt) >= 2, spelt
    for short, full in list(spelt.items())[:4]:
        answer = chat.ask(f"What does {short} stand for?")
        assert not answer.refused, (short, answer.answer)
        assert answer.answer.startswith("**"), answer.answer
        lead = answer.answer[2:answer.answer.index("**", 2)]
        assert lead.endswith(full.split()[-1]) and full.split()[0] in lead, (short, full, lead)
        cited = answer.citations[0]
        assert texts[cited.article_id][cited.start:cited.end] == cited.quote and lead in cited.quote


def test_a_short_form_the_sources_never_spell_out_is_refused_with_where_it_is_written(chat, texts):
    spelt = _spelt_out(texts)
    written = {}
    for aid, text in texts.items():
        for token in set(re.findall(r"\b[A-Z]{3,5}\b", text)):
            written.setdefault(token, set()).add(aid)
    # a short form no text spells out in any capitalised words with its initials
    def spelt_anywhere(short: str) -> bool:
        pattern = r"\b" + r"\w*\W+(?:(?:of|and|for|the)\W+)*".join(short) + r"\w*"
        return short in spelt or any(re.search(pattern, t) for t in texts.values())

    short = next(s for s, aids in sorted(written.items(), key=lambda kv: -len(kv[1])) if not spelt_anywhere(s))
    answer = chat.ask(f"What does {short} stand for?")
    assert answer.refused
    assert f"write {short} in {len(written[short])} article" in answer.answer and "never spell it out" in answer.answer
    assert answer.sources and all(short in texts[s.article_id] for s in answer.sources)
