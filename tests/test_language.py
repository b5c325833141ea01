"""The language layer (rag/language.py) on real articles: the seed, BBC News and RealTime QA 2025.

Every expectation here was checked against what en_core_web_sm 3.8.0 really says. Where the model
is wrong, the test records the error (see test_known_model_errors) instead of hiding it, so a
change of model shows up here first.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest

from rag import language
from rag.language import Analysis, LanguageError, Pipes, analyze, analyze_many, answer_labels

pytestmark = [pytest.mark.language, pytest.mark.usefixtures("language_model")]

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_7d40094ea373a31e.txt"


@lru_cache(maxsize=None)
def _analysed(path: Path) -> tuple[str, Analysis]:
    text = path.read_bytes().decode("utf-8", "replace")
    if path.suffix == ".md":
        import frontmatter

        text = frontmatter.loads(text).content
    return text, analyze(text)


@pytest.fixture(scope="session")
def article(bbc_dir, rtqa_dir):
    """``article("bbc/politics/014")``, ``article("rtqa/7693fc56a708")``, ``article("seed")``:
    (text, Analysis), analysed once per session."""

    def load(name: str) -> tuple[str, Analysis]:
        if name == "seed":
            return _analysed(SEED)
        corpus, _, rest = name.partition("/")
        return _analysed(bbc_dir / f"{rest}.txt" if corpus == "bbc" else rtqa_dir / f"{rest}.md")

    return load


def sentence_with(a: Analysis, text: str, snippet: str):
    sentence = a.sentence_at(text.index(snippet))
    assert sentence is not None, snippet
    return sentence


def clause(a: Analysis, sentence, verb: str):
    found = [c for c in a.clauses_in(sentence.start, sentence.end) if c.verb == verb]
    assert found, f"no clause {verb!r} in {sentence.text!r}: {[c.verb for c in a.clauses_in(sentence.start, sentence.end)]}"
    return found[0]


# --- Loading ----------------------------------------------------------------------------------


def test_importing_the_layer_does_not_import_spacy():
    code = ("import sys, rag.language, rag.cli; "
            "assert 'spacy' not in sys.modules, sorted(m for m in sys.modules if 'spacy' in m)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_threads_loading_at_once_share_one_pipeline():
    code = (
        "import threading\n"
        "from rag import language\n"
        "got = []\n"
        "threads = [threading.Thread(target=lambda: got.append(language.model(language.Pipes.NER))) for _ in range(4)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "assert len(got) == 4 and all(m is got[0] for m in got), got\n"
        "assert language.is_loaded(language.Pipes.NER) and not language.is_loaded(language.Pipes.FULL)\n"
        "assert got[0].pipe_names == ['senter', 'ner'], got[0].pipe_names\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=180)


def test_threads_parsing_at_once_get_the_same_answers_as_one_thread(article):
    text, _ = article("bbc/politics/014")
    lines = [line for line in text.splitlines() if line.strip()]
    serial = [analyze(line) for line in lines]
    start = threading.Barrier(4)

    def parse(line: str) -> Analysis:
        try:
            start.wait(timeout=5)
        except threading.BrokenBarrierError:
            pass
        return analyze(line)

    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(parse, lines * 2))
    assert parallel == serial * 2


def test_analysing_several_texts_at_once_gives_each_texts_own_analysis_in_order(article):
    text, _ = article("bbc/business/008")
    lines = [line for line in text.splitlines() if line.strip()][:4]
    fresh = [line + " " for line in lines]  # a trailing space: texts no test has cached
    one_by_one = [next(analyze_many([line])) for line in fresh]  # analyze_many reads no cache
    together = language.analyze_all([fresh[2], fresh[0], fresh[2], fresh[3], fresh[1]])
    assert together == [one_by_one[2], one_by_one[0], one_by_one[2], one_by_one[3], one_by_one[1]]
    assert [a.text for a in together] == [fresh[2], fresh[0], fresh[2], fresh[3], fresh[1]]
    assert language.analyze_all([]) == []
    assert analyze(fresh[1]) is together[4]  # kept in the cache that ``analyze`` reads


def test_each_pipeline_runs_only_its_pipes():
    assert language.model(Pipes.FULL).pipe_names == ["tok2vec", "tagger", "parser", "attribute_ruler",
                                                     "lemmatizer", "ner"]
    assert language.model(Pipes.LEMMAS).pipe_names == ["tok2vec", "tagger", "senter", "attribute_ruler",
                                                       "lemmatizer"]
    assert language.model(Pipes.NER).pipe_names == ["senter", "ner"]


# --- Lemmas -------------------------------------------------------------------------------------


def test_lemmas_of_the_seed_sentence_turn_wrote_into_write(article):
    text, a = article("seed")
    sentence = sentence_with(a, text, "Ambassador Ali Mansouri wrote")
    content = a.lemmas(sentence.start, sentence.end)
    assert "write" in content and "wrote" not in content
    assert {"ambassador", "ali", "mansouri", "un", "officer", "july", "18"} <= set(content)
    assert not {"to", "the", "on", "we", "our", ","} & set(content)  # function words are not content
    assert language.lemmas("Ambassador Ali Mansouri wrote to the UN officer on July 18.") == [
        "ambassador", "ali", "mansouri", "write", "un", "officer", "july", "18"]


def test_lemmas_on_bbc_and_realtimeqa_sentences(article):
    assert language.lemmas("Pernod said it was seeking acquisitions but refused to comment on specifics.") == [
        "pernod", "say", "seek", "acquisition", "refuse", "comment", "specific"]
    text, a = article("rtqa/011ec9e73b27")
    sentence = sentence_with(a, text, "when the limit was scrapped")
    assert {"scrap", "limit", "candidate", "cap"} <= set(a.lemmas(sentence.start, sentence.end))


def test_the_light_lemma_pipeline_gives_the_full_pipelines_lemmas(article):
    text, a = article("bbc/business/217")
    assert language.lemmas(text) == a.lemmas()
    assert language.lemmas(text, content_only=False) == a.lemmas(content_only=False)


# --- Entities ----------------------------------------------------------------------------------


def test_entities_of_the_seed_with_exact_offsets(article):
    text, a = article("seed")
    found = {(e.text, e.label) for e in a.entities}
    assert {("Ali Mansouri", "PERSON"), ("July 18", "DATE"), ("July 12", "DATE"), ("$13 billion", "MONEY"),
            ("Qatar", "GPE"), ("Geneva", "GPE"), ("Xi Jinping", "PERSON"), ("Ablikim Yusuf", "PERSON"),
            ("the United Nations Human Rights Council", "ORG"), ("13", "CARDINAL"), ("third", "ORDINAL"),
            ("around 2 million", "CARDINAL"), ("last year", "DATE")} <= found
    for e in a.entities:
        assert text[e.start:e.end] == e.text
        assert a.tokens[e.token_start].start == e.start and a.tokens[e.token_end - 1].end == e.end
        assert all(t.ent_type == e.label for t in a.tokens[e.token_start:e.token_end])
    july18 = next(e for e in a.entities if e.text == "July 18")
    assert july18.start == text.index("July 18")


def test_entities_of_bbc_and_realtimeqa_articles(article):
    text, a = article("bbc/business/217")
    labels = {(e.text, e.label) for e in a.entities}
    assert {("Viktor Yushchenko", "PERSON"), ("Ukraine", "GPE"), ("3,000", "CARDINAL"), ("last week", "DATE"),
            ("European Union", "ORG"), ("EU", "ORG"), ("Leonid Kuchma", "PERSON"), ("Brussels", "GPE"),
            ("North Atlantic Treaty Organisation", "ORG")} <= labels
    text, a = article("rtqa/7693fc56a708")
    labels = {(e.text, e.label) for e in a.entities}
    assert {("Donald Trump", "PERSON"), ("Karoline Leavitt", "PERSON"), ("Scotland", "GPE"),
            ("July 17", "DATE"), ("the Wall Street Journal", "ORG")} <= labels


def test_the_ner_pipeline_finds_the_full_pipelines_entities(article):
    for name in ("seed", "bbc/business/217", "rtqa/7693fc56a708"):
        text, a = article(name)
        assert language.entities(text) == a.entities


def test_an_entity_span_leaves_out_the_possessive(article):
    a = analyze("How much did Time Warner's profits rise?")
    assert [(e.text, e.label) for e in a.entities] == [("Time Warner", "ORG")]  # the model tags "Time Warner's"
    text, a = article("bbc/business/487")
    microsoft = [e for e in a.entities if e.text == "Microsoft"]
    possessive = text.index("Microsoft's near monopoly")
    assert any(e.start == possessive and e.end == possessive + len("Microsoft") for e in microsoft)


def test_noun_chunks_with_offsets(article):
    text, a = article("seed")
    chunks = [c.text for c in a.noun_chunks]
    assert "Qatar’s third largest trade partner" in chunks
    for c in a.noun_chunks:
        assert text[c.start:c.end] == c.text
        assert c.token_start <= c.root < c.token_end


# --- Negation -----------------------------------------------------------------------------------


def test_negation_not_to_in_the_seed(article):
    text, a = article("seed")
    sentence = sentence_with(a, text, "activists pressed Doha not to deport")
    deport, press = clause(a, sentence, "deport"), clause(a, sentence, "press")
    assert deport.negated and deport.negations == ("not",)
    assert not press.negated


def test_negation_styles_in_bbc_articles(article):
    cases = [  # (article, sentence, verb, cue)
        ("bbc/politics/014", "If we don't get the amendments", "get", "not"),  # n't
        ("bbc/politics/014", "does not sanitise them", "sanitise", "not"),
        ("bbc/business/104", "they never illegally conspired", "conspire", "never"),
        ("bbc/business/078", "no longer wants to own", "want", "no longer"),
        ("bbc/business/114", "Mr Ebbers refused to stop the fraud", "stop", "refuse"),
        ("bbc/business/005", "refused to comment on specifics", "comment", "refuse"),
        ("bbc/business/160", "Fiat failed to put itself back on track", "put", "fail"),
    ]
    for name, snippet, verb, cue in cases:
        text, a = article(name)
        found = clause(a, sentence_with(a, text, snippet), verb)
        assert found.negated and cue in found.negations, (snippet, found)


def test_affirmative_clauses_around_negations_stay_affirmative(article):
    text, a = article("bbc/business/005")
    sentence = sentence_with(a, text, "refused to comment on specifics")
    assert not clause(a, sentence, "seek").negated  # "it was seeking acquisitions"
    assert not clause(a, sentence, "refuse").negated  # refusing is something it did
    text, a = article("bbc/business/078")
    sentence = sentence_with(a, text, "no longer wants to own")
    assert not clause(a, sentence, "lose").negated


def test_negative_verbs_and_double_negation():
    a = analyze("The minister did not refuse to comment. Nobody was hurt. No country has withdrawn its support. "
                "The minister denied having signed the letter.")
    by_verb = {c.verb: c for c in a.clauses}
    assert by_verb["refuse"].negated and not by_verb["comment"].negated  # not refusing = commenting
    assert by_verb["hurt"].negations == ("nobody",)
    assert by_verb["withdraw"].negations == ("no",)
    assert by_verb["sign"].negated and by_verb["sign"].negations == ("deny",)


def test_negation_in_realtimeqa_articles(article):
    text, a = article("rtqa/031ce09a6ab8")
    drop = clause(a, sentence_with(a, text, "A federal judge refused to drop"), "drop")
    assert drop.negated and drop.negations == ("refuse",)
    text, a = article("rtqa/02b189490987")
    offer = clause(a, sentence_with(a, text, "has refused to offer anything"), "offer")
    assert offer.negated


# --- Who did what to whom --------------------------------------------------------------------


def core(phrases) -> list[str]:
    return [p.core for p in phrases]


def test_active_clause_with_object_control_in_the_seed(article):
    text, a = article("seed")
    sentence = sentence_with(a, text, "activists pressed Doha")
    press, deport = clause(a, sentence, "press"), clause(a, sentence, "deport")
    assert core(press.subjects) == ["activists"] and core(press.objects) == ["Doha"]
    # "pressed Doha not to deport X": Doha is who would deport
    assert core(deport.agents) == ["Doha"] and core(deport.patients) == ["Ablikim Yusuf"]
    assert [(p.prep, p.object.core) for p in deport.prepositions] == [("from", "Qatar")]
    assert not deport.passive


def test_passive_clause_maps_agent_and_patient(article):
    text, a = article("bbc/business/161")
    sue = clause(a, sentence_with(a, text, "Boeing was sued by Lockheed Martin"), "sue")
    assert sue.passive
    assert [p.text for p in sue.subjects] == ["Boeing"]  # grammatical subject
    assert [p.text for p in sue.patients] == ["Boeing"] and [p.text for p in sue.agents] == ["Lockheed Martin"]
    text, a = article("rtqa/011ec9e73b27")
    scrap = clause(a, sentence_with(a, text, "the limit was scrapped by"), "scrap")
    assert scrap.passive and core(scrap.patients) == ["limit"]
    assert core(scrap.agents) == ["Yoweri Museveni"]


def test_active_and_passive_of_the_same_event_agree():
    active = next(c for c in analyze("Qatar deported Ablikim Yusuf to China.").clauses if c.verb == "deport")
    passive = next(c for c in analyze("Ablikim Yusuf was deported to China by Qatar.").clauses if c.verb == "deport")
    assert core(active.agents) == core(passive.agents) == ["Qatar"]
    assert core(active.patients) == core(passive.patients) == ["Ablikim Yusuf"]
    assert not active.passive and passive.passive


def test_subjects_are_inherited_where_english_leaves_them_out(article):
    text, a = article("bbc/business/005")
    sentence = sentence_with(a, text, "refused to comment on specifics")
    assert [p.text for p in clause(a, sentence, "comment").subjects] == ["it"]  # refused to comment: it
    assert [p.text for p in clause(a, sentence, "refuse").subjects] == ["it"]  # "... but refused": conjunct
    text, a = article("bbc/business/078")
    own = clause(a, sentence_with(a, text, "no longer wants to own"), "own")
    assert [p.text for p in own.subjects] == ["GM"]  # the relative clause is not part of the phrase
    assert [p.text for p in own.objects] == ["the unprofitable Fiat unit"]


def test_copula_clause_has_attributes(article):
    text, a = article("bbc/business/217")
    be = clause(a, sentence_with(a, text, "Russia is Ukraine's eternal strategic partner"), "be")
    assert core(be.subjects) == ["Russia"]
    assert [p.text for p in be.attributes] == ["Ukraine's eternal strategic partner"]


# --- Possessive relations ----------------------------------------------------------------------


def relation(a: Analysis, owner: str, noun_lemma: str):
    found = [p for p in a.possessives if p.owner.core == owner and p.noun.lemma == noun_lemma]
    assert found, [(p.owner.core, p.noun.lemma) for p in a.possessives]
    return found[0]


def test_possessive_relation_in_the_seed(article):
    _, a = article("seed")
    partner = relation(a, "Qatar", "partner")  # "China last year ranked as Qatar's third largest trade partner"
    assert partner.holder is not None and partner.holder.core == "China"
    assert partner.noun.text == "third largest trade partner" and partner.via == "'s"


def test_possessive_relation_in_bbc(article):
    _, a = article("bbc/business/217")
    partner = relation(a, "Ukraine", "partner")  # "Russia is Ukraine's eternal strategic partner"
    assert partner.holder.core == "Russia"


def test_possessive_relation_reverses_with_the_roles():
    forward = analyze("Qatar is China's third largest trade partner.").possessives
    backward = analyze("China is Qatar's third largest trade partner.").possessives
    assert [(p.holder.core, p.owner.core) for p in forward] == [("Qatar", "China")]
    assert [(p.holder.core, p.owner.core) for p in backward] == [("China", "Qatar")]
    of_form = analyze("China is the largest trading partner of Qatar.").possessives
    assert [(p.holder.core, p.owner.core, p.via) for p in of_form] == [("China", "Qatar", "of")]
    apposition = analyze("Ali Mansouri, Qatar's ambassador, wrote to the UN.").possessives
    assert [(p.holder.core, p.owner.core, p.noun.text) for p in apposition] == [("Ali Mansouri", "Qatar", "ambassador")]


def test_an_apposition_the_parser_took_for_a_list_is_not_a_second_subject(article):
    text, a = article("seed")
    sign = clause(a, sentence_with(a, text, "Ali Mansouri had signed on July 12"), "sign")
    assert [p.text for p in sign.subjects] == ["Qatar’s permanent representative to the UN in Geneva"]
    representative = relation(a, "Qatar", "representative")
    assert representative.holder is not None and representative.holder.core == "Ali Mansouri"


# --- Pronoun subjects and attribution -----------------------------------------------------------


def test_pronoun_subject_resolves_to_the_speaker_named_before(article):
    text, a = article("bbc/politics/014")
    sentence = sentence_with(a, text, "He said if someone was wrongly given a control order")
    subject = a.subject(a.sentences.index(sentence))
    assert subject is not None and subject.text == "He" and subject.pronoun
    antecedent = a.antecedent(subject.head)
    assert antecedent is not None and antecedent.text == "Shadow Home Secretary David Davis"
    assert a.name_of(antecedent).canonical == "David Davis"
    assert a.resolve(subject) == antecedent


def test_she_resolves_to_an_unnamed_speaker(article):
    text, a = article("bbc/politics/014")
    sentence = sentence_with(a, text, "She added:")
    subject = a.subject(a.sentences.index(sentence))
    assert subject.text == "She"
    assert a.antecedent(subject.head).text == "A spokeswoman for Human Rights Watch"  # not Mark Oaten


def test_he_after_a_full_name_in_bbc(article):
    text, a = article("bbc/business/217")
    sentence = sentence_with(a, text, "He is the only non-Nato member leader")
    subject = a.subject(sentence)
    assert subject.pronoun
    assert a.name_of(a.resolve(subject)).canonical == "Viktor Yushchenko"


def test_a_he_going_on_from_earlier_hes_is_their_person_not_the_last_name_mentioned(article):
    """Trying the app: "[Geoff Hoon] He was joined in the new venture by ... Damien Hockney" named the
    wrong man. Three sentences of "he" go on from "Mr Kilroy-Silk promised ..."; Geoff Hoon is only
    mentioned, in "Geoff Hoon's Ashfield seat". (The entity model labels "Mr Kilroy-Silk" an ORG.)"""
    from rag import language

    text, a = article("bbc/politics/111")
    he = a.subject(sentence_with(a, text, "He was joined in the new venture"))
    assert he is not None and he.pronoun
    assert a.resolve(he).text == "Mr Kilroy-Silk"  # a person by his title, whatever the model labels him
    # read from "He said Veritas ..." on (the answer layer reads three sentences back): nobody, not Hoon
    window = text[text.index("He said Veritas would"):text.index("Damien Hockney who")]
    w = language.analyze(window, language.Pipes.FULL)
    last = w.subject(len(w.sentences) - 1)
    assert last.pronoun and w.antecedent(last.head) is None
    made_up = ("Maria Lopez won the Oslo marathon on Sunday. She said the course was hard. "
               "She then thanked the crowd. Later she praised Ana Ruiz's record. She was joined on the podium by Ruiz.")
    b = language.analyze(made_up, language.Pipes.FULL)
    she = b.subject(len(b.sentences) - 1)
    assert b.name_of(b.resolve(she)).canonical == "Maria Lopez"


def test_a_named_subject_is_not_a_pronoun_and_it_is_not_resolved(article):
    text, a = article("bbc/politics/014")
    subject = a.subject(a.sentences.index(sentence_with(a, text, "Tony Blair has rejected")))
    assert subject.text == "Tony Blair" and not subject.pronoun and subject.label == "PERSON"
    it = next(t for t in a.tokens if t.text == "it" and t.dep == "nsubj")
    assert a.antecedent(it.i) is None  # only he/she are resolved


def test_quote_speakers_in_bbc(article):
    _, a = article("bbc/politics/014")
    speakers = {q.text: q.speaker_name for q in a.quotes}
    assert speakers["recruiting sergeant"] == "David Davis"  # "He said ..." after David Davis
    assert speakers["If we don't get the amendments we regard as essential, including the sunset clause, "
                    "we will vote against the bill."] == "David Davis"  # "He went on to say: ..."
    believe = next(q for q in a.quotes if q.text.startswith("I believe"))
    assert believe.speaker.text == "Mr Blair" and believe.speaker_name == "Tony Blair" and believe.verb == "say"
    assert speakers["There's a lot of talking left. I would be uneasy about supporting a very bad bill even if "
                    "it was just for eight months."] == "Mark Oaten"
    control_orders = next(q for q in a.quotes if q.text == "control orders")
    assert control_orders.speaker is None  # "The bill proposes "control orders"": nobody says it
    spokeswoman = next(q for q in a.quotes if q.text.startswith("Having a judge"))
    assert spokeswoman.speaker.text == "She" and spokeswoman.speaker_name is None


def test_a_he_or_she_after_a_name_the_model_labelled_org_but_described_by_a_role(article):
    # "Julia Eccleshare, chair of the adult judging panel, said ..." then "..., she said": the small
    # model labels both names ORG; the appositive role and the pronoun say they are people
    _, a = article("bbc/entertainment/014")
    critics = next(q for q in a.quotes if "toughest critics" in q.text)
    assert critics.speaker.text == "she" and critics.speaker_name == "Julia Eccleshare"  # not Chris Riddell
    _, a = article("bbc/politics/067")
    reform = next(q for q in a.quotes if q.text == "radical reform")
    assert reform.speaker_name == "Theresa May"
    # "London's Evening Standard quoted Mr Clarke ..." then "..., he said": no role, not a person
    _, a = article("bbc/politics/147")
    duty = next(q for q in a.quotes if q.text.startswith("That's not only a moral duty"))
    assert duty.speaker_name != "Evening Standard"


def test_single_quotation_marks_are_quotes_and_apostrophes_are_not(article):
    _, a = article("bbc/sport/260")
    lying = next(q for q in a.quotes if q.text.startswith("not only has he gone behind my back"))
    assert lying.speaker_name == "Craig Bellamy"
    from rag import language

    quoted = language.analyze("Jr.'s lawyer said the '90s were 'a golden age' for the players' union.")
    assert [q.text for q in quoted.quotes] == ["a golden age"]
    quoted = language.analyze("'Our players' commitment was superb,' said Smith, a fan of rock 'n' roll.")
    assert [q.text for q in quoted.quotes] == ["Our players' commitment was superb,"]
    assert [q.text for q in language.analyze("'2016 was the worst year of my life,' said Smith.").quotes] == [
        "2016 was the worst year of my life,"]


def test_a_name_defined_by_bracketed_initials_is_a_name_even_where_the_model_missed_it(article):
    # "Athletics Kenya (AK)": the model finds neither; "Public Investment Fund (PIF)" likewise
    for ref, full, short in (("bbc/sport/013", "Athletics Kenya", "AK"),
                             ("rtqa/0454ec12cac1", "Public Investment Fund", "PIF")):
        text, a = article(ref)
        name = next(n for n in a.names if n.canonical == full)
        forms = {m.text: m.form for m in name.mentions}
        assert forms == {full: "full", short: "acronym"}, forms
        assert sum(1 for m in name.mentions if m.text == short) == len(re.findall(rf"\b{short}\b", text))
    # a name the model found keeps its own mention, without "The": no second name for it
    _, a = article("bbc/sport/051")
    assert not any(n.canonical.startswith("The International Association") for n in a.names)


def test_quote_speakers_in_the_seed_and_realtimeqa(article):
    text, a = article("seed")
    first, second = a.quotes
    assert first.text.startswith("Taking into account") and first.verb == "write"
    assert first.speaker.text == "Ambassador Ali Mansouri" and first.speaker_name == "Ali Mansouri"
    # the next paragraph is a quote with no reporting verb: it goes on with the same speaker
    assert second.text.startswith("In this regard") and second.speaker_name == "Ali Mansouri" and second.verb is None
    for q in a.quotes:
        assert text[q.start:q.end] == q.text
    _, a = article("rtqa/7693fc56a708")
    visit = next(q for q in a.quotes if q.text.startswith("working visit"))
    assert visit.speaker_name == "Karoline Leavitt" and visit.verb == "say"


# --- Name variants --------------------------------------------------------------------------


def name(a: Analysis, canonical: str):
    found = [n for n in a.names if n.canonical == canonical]
    assert found, sorted(n.canonical for n in a.names)
    return found[0]


def test_surname_and_title_forms_join_the_full_name(article):
    text, a = article("bbc/politics/014")
    blair = name(a, "Tony Blair")
    assert blair.label == "PERSON"
    assert blair.forms == {"Blair", "Tony Blair", "Mr Blair"}  # the headline's "Blair" too
    assert [m.form for m in blair.mentions].count("title") == 4
    refusal = text.index("Mr Blair's refusal")
    assert any(m.start == refusal and m.text == "Mr Blair" for m in blair.mentions)  # possessive stripped
    for m in blair.mentions:
        assert text[m.start:m.end] == m.text
    assert a.name_at(refusal, refusal + 8) is blair
    howard = name(a, "Howard")  # "Mr Howard", never given in full: a name of its own
    assert howard.forms == {"Mr Howard"}


def test_name_variants_in_other_articles(article):
    _, a = article("bbc/business/217")
    assert name(a, "Viktor Yushchenko").forms == {"Viktor Yushchenko", "Mr Yushchenko"}
    assert "EU" in name(a, "European Union").forms  # initials
    assert name(a, "North Atlantic Treaty Organisation").forms >= {"Nato"}  # "(Nato)" written after it
    _, a = article("seed")
    yusuf = name(a, "Ablikim Yusuf")
    assert yusuf.forms == {"Ablikim Yusuf", "Yusuf"}  # the model calls the lone "Yusuf" a WORK_OF_ART
    _, a = article("rtqa/7693fc56a708")
    trump = name(a, "Donald Trump")
    assert {"Donald Trump", "Trump", "President Trump"} <= trump.forms
    assert name(a, "Wall Street Journal").forms >= {"Wall Street Journal", "WSJ"}


def test_acronyms_the_text_defines(article):
    text, a = article("bbc/business/121")
    boe = name(a, "Bank of England")
    assert {"Bank of England", "BoE"} <= boe.forms
    assert all(text[m.start:m.end] == m.text for m in boe.mentions)
    text, a = article("bbc/tech/072")
    eu = name(a, "European Union")
    assert eu.forms == {"European Union", "EU"}


def test_microsofts_mentions_without_the_possessive(article):
    text, a = article("bbc/business/487")
    microsoft = name(a, "Microsoft")
    assert microsoft.label == "ORG"
    assert all(m.text == "Microsoft" for m in microsoft.mentions)
    assert len(microsoft.mentions) == text.count("Microsoft")


# --- Names that must not be taken for something else -------------------------------------


def test_new_york_is_a_place(article):
    text, a = article("bbc/business/002")
    new_york = [e for e in a.entities if e.text == "New York"]
    assert new_york and all(e.label == "GPE" for e in new_york)
    assert name(a, "New York").label == "GPE"
    assert not any("York" in n.canonical for n in a.names if n.label == "PERSON")


def test_the_european_union_is_an_organisation(article):
    text, a = article("bbc/business/226")
    eu = next(e for e in a.entities if e.start == text.index("The European Union"))
    assert (eu.text, eu.label) == ("The European Union", "ORG")  # the model keeps "The" in the span
    assert name(a, "European Union").label == "ORG"  # the Name drops it
    subject = a.subject(a.sentence_at(eu.start))
    assert subject.text == "The European Union" and not subject.pronoun and subject.label == "ORG"


def test_mervyn_king_is_a_person_whose_surname_is_not_a_title(article):
    text, a = article("bbc/business/119")
    king = name(a, "Mervyn King")
    assert king.label == "PERSON" and king.forms == {"Mervyn King"}
    assert ("Bank of England", "ORG") in {(e.text, e.label) for e in a.entities}
    warn = clause(a, sentence_with(a, text, "Mervyn King has recently warned"), "warn")
    assert [p.core for p in warn.subjects] == ["Mervyn King"]
    a = analyze("Bank of England governor Mervyn King spoke on Monday. Mr King said rates would rise.")
    assert name(a, "Mervyn King").forms == {"Mervyn King", "Mr King"}


# --- Question answer types ------------------------------------------------------------------


@pytest.mark.parametrize("question, labels", [
    ("When did Ambassador Mansouri write to the UN?", {"DATE", "TIME"}),
    ("Who said a wrongly given control order would act as a recruiting sergeant?", {"PERSON", "ORG", "NORP"}),
    ("How much did Time Warner's profits rise?", {"MONEY", "PERCENT", "QUANTITY", "CARDINAL"}),
    ("How many countries backed China's human rights record?", {"CARDINAL", "QUANTITY"}),
    ("Where did the lifeguard tower that washed ashore in Delaware originate from?", {"GPE", "LOC", "FAC"}),
    # RealTime QA 2025 questions
    ("The first congestion charging system in the US took effect in which city?", {"GPE", "LOC"}),
    ("Opposition leader María Corina Machado was \"violently intercepted\" as she left a protest in which "
     "South American city?", {"GPE", "LOC"}),
    ("Which automaker is facing a new investigation into its self-driving features?", {"ORG"}),
    ("What percentage of Delaware students are chronically absent according to recent data?", {"PERCENT"}),
    ("TikTok is facing a looming ban in the United States that could potentially take effect on which day?",
     {"DATE"}),
    ("What is the capital of France?", {"GPE", "LOC"}),
    # no entity type: the answer layer must not demand one
    ("What did David Davis say about control orders?", set()),
    ("Why did it rise?", set()),
    ("Which comedian made history as the Golden Globes' first solo female host?", set()),
])
def test_answer_labels(question, labels):
    assert answer_labels(question) == labels


def test_answer_labels_accepts_an_analysis():
    a = analyze("Which company announced sweeping changes to how it moderates online content?")
    assert answer_labels(a) == {"ORG"}


# --- Pipelines, the compact form, bad input ---------------------------------------------------


def test_features_that_need_the_parse_say_so_on_the_light_pipelines():
    ner = analyze("Tony Blair said he would not resign. Mr Blair left.", Pipes.NER)
    assert [(e.text, e.label) for e in ner.entities] == [("Tony Blair", "PERSON"), ("Blair", "PERSON")]
    assert len(ner.sentences) == 2  # the statistical sentence splitter runs
    with pytest.raises(LanguageError, match="clauses need the FULL pipeline"):
        ner.clauses
    with pytest.raises(LanguageError, match="lemmas need the FULL or LEMMAS pipeline"):
        ner.lemmas()
    lemma_only = analyze("Tony Blair wrote.", Pipes.LEMMAS)
    assert lemma_only.lemmas() == ["tony", "blair", "write"] and lemma_only.entities == ()
    with pytest.raises(LanguageError, match="names need"):
        lemma_only.names


def test_compact_form_round_trips_every_view(article, bbc_sample, rtqa_dir):
    import frontmatter

    paths = bbc_sample(12) + sorted(rtqa_dir.glob("*.md"))[::900]
    texts = [p.read_bytes().decode("utf-8", "replace") for p in paths]
    texts = [frontmatter.loads(t).content if p.suffix == ".md" else t for p, t in zip(paths, texts)]
    texts.append(SEED.read_text(encoding="utf-8"))
    for text, a in zip(texts, analyze_many(texts)):
        data = json.loads(json.dumps(a.to_json()))
        b = Analysis.from_json(text, data)
        assert b.tokens == a.tokens and b.entities == a.entities and b.sentences == a.sentences
        assert b.noun_chunks == a.noun_chunks
        assert (b.clauses, b.possessives, b.names, b.quotes) == (a.clauses, a.possessives, a.names, a.quotes)
        assert len(json.dumps(data, separators=(",", ":"))) < 6 * len(text)


def test_compact_form_is_refused_for_another_text_or_version(article):
    text, a = article("seed")
    data = a.to_json()
    with pytest.raises(LanguageError, match="another text"):
        Analysis.from_json(text.replace("Qatar", "Oman"), data)
    with pytest.raises(LanguageError, match="analyse the text again"):
        Analysis.from_json(text, {**data, "v": data["v"] + 1})
    with pytest.raises(LanguageError, match="malformed"):
        Analysis.from_json(text, {**data, "offsets": data["offsets"][:-3] + ["x"]})


def test_offsets_are_exact_everywhere(bbc_sample):
    paths = bbc_sample(15)
    texts = [p.read_bytes().decode("utf-8", "replace") for p in paths]
    for text, a in zip(texts, analyze_many(texts, batch_size=8)):
        for t in a.tokens:
            assert text[t.start:t.end] == t.text and t.text.strip() == t.text and t.text
        for s in a.sentences:
            assert text[s.start:s.end] == s.text and "\n" not in s.text
        for c in a.clauses:
            assert text[c.start:c.end] == a.tokens[c.verb_token].text
            for p in (*c.subjects, *c.objects, *c.attributes, *c.agents, *c.patients):
                assert text[p.start:p.end] == p.text
        for n in a.names:
            for m in n.mentions:
                assert text[m.start:m.end] == m.text
        for q in a.quotes:
            assert text[q.start:q.end] == q.text


def test_headline_is_a_sentence_of_its_own(article):
    text, a = article("bbc/politics/014")
    assert a.sentences[0].text == "Blair rejects Tory terror offer"
    assert a.sentences[1].text.startswith("Tony Blair has rejected")


def test_batches_give_the_same_analysis_as_one_text_at_a_time(bbc_sample):
    texts = [p.read_bytes().decode("utf-8", "replace") for p in bbc_sample(40)]
    texts = [line for text in texts for line in text.splitlines() if line.strip()][:100]
    assert len(texts) == 100
    batched = list(analyze_many(texts, batch_size=7))  # texts are gathered 28 lines at a time
    assert len(batched) == len(texts)
    for i in (0, 27, 28, 29, 56, 99):  # across the batch boundaries
        assert batched[i] == analyze(texts[i])


def test_bad_input_gets_a_clear_answer(bbc_files):
    assert analyze("").tokens == () and analyze("").sentences == ()
    assert analyze("  \n\n \t ").tokens == ()
    with pytest.raises(LanguageError, match="needs text"):
        analyze(b"bytes")  # type: ignore[arg-type]
    broken = next(p for p in bbc_files if _not_utf8(p))  # the corpus's one file that is not valid UTF-8
    text = broken.read_bytes().decode("utf-8", "replace")
    a = analyze(text)
    assert a.tokens and all(text[t.start:t.end] == t.text for t in a.tokens)


def _not_utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_a_line_longer_than_one_piece_is_cut_at_whitespace():
    text = ("word " * 50_000) + "\nnext line"
    pieces = list(language._pieces(text))
    assert all(len(piece) <= 100_000 for piece, _ in pieces)
    assert all(text[offset:offset + len(piece)] == piece for piece, offset in pieces)
    assert "".join(piece for piece, _ in pieces).replace(" ", "") == text.replace(" ", "").replace("\n", "")


# --- Known errors of the model, recorded -------------------------------------------------------


def test_known_model_errors(article):
    """What en_core_web_sm 3.8.0 gets wrong on these articles. The layer works around some (noted);
    the others are for the callers to know. If one of these fails, the model changed: update the list."""
    text, a = article("bbc/business/161")
    sentence = sentence_with(a, text, "Boeing was sued by Lockheed Martin")
    assert [(e.text, e.label) for e in a.entities_in(sentence.start, sentence.end)][:3] == [
        ("Boeing", "ORG"), ("Lockheed", "ORG"), ("Martin", "PERSON")]  # one company split in two
    text, a = article("bbc/business/487")
    sentence = sentence_with(a, text, "also hopes to use Davos")
    assert [c.verb for c in a.clauses_in(sentence.start, sentence.end)][0] == "hop"  # "hopes" lemmatised "hop"
    assert ("Linux", "GPE") in {(e.text, e.label) for e in a.entities}
    _, a = article("bbc/business/005")
    assert ("Pernod", "PERSON") in {(e.text, e.label) for e in a.entities}  # a company
    _, a = article("bbc/business/114")
    assert ("Mr Ebbers", "ORG") in {(e.text, e.label) for e in a.entities}  # a person
    text, a = article("seed")
    yusuf = next(e for e in a.entities if e.start == text.index("Yusuf in a video"))
    assert yusuf.label == "WORK_OF_ART"  # names still links it to Ablikim Yusuf
    installed = clause(a, sentence_with(a, text, "China has reportedly installed"), "instal")
    assert installed.verb == "instal"  # "installed" lemmatised "instal"
    _, a = article("bbc/politics/014")
    assert ("Lib Dems", "PERSON") in {(e.text, e.label) for e in a.entities}  # a party


def test_a_query_finds_the_name_in_its_other_forms(article):
    _, a = article("bbc/politics/014")
    blair = name(a, "Tony Blair")
    for query in ("Mr Blair", "Blair", "Tony Blair", "mr blair", "Blair's", "Prime Minister Blair"):
        assert a.names_matching(query) == (blair,), query
    assert a.names_matching("Cherie Blair") == ()  # another person with the same surname
    assert a.names_matching("Mark") == ()  # a first name alone is not linked
    _, a = article("bbc/tech/072")
    eu = name(a, "European Union")
    assert a.names_matching("the EU") == a.names_matching("European Union") == (eu,)
    _, a = article("bbc/business/487")
    assert [n.canonical for n in a.names_matching("Microsoft's")] == ["Microsoft"]


@pytest.mark.language
def test_names_link_titles_and_surnames_without_a_tagger_as_with_one(language_model):
    # The NER pipeline (no tagger: every pos is "") finds names about twice as fast as FULL; a title
    # and a surname must still join the full name given before them.
    text = ("Trade Secretary Patricia Hewitt said the plan would work. Ms Hewitt added that Hewitt's "
            "critics were wrong. The European Union (EU) agreed, and EU ministers met on Monday.")
    for pipes in (language.Pipes.NER, language.Pipes.FULL):
        names = {n.canonical: n for n in language.analyze(text, pipes).names}
        hewitt = names["Patricia Hewitt"]
        assert [(m.text, m.form) for m in hewitt.mentions] == [
            ("Patricia Hewitt", "full"), ("Ms Hewitt", "title"), ("Hewitt", "surname")], pipes
        assert {m.text for m in names["European Union"].mentions} == {"European Union", "EU"}, pipes
