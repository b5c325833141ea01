"""The evaluation suite behind ``rag eval``: golden cases in, ragas scores and a verdict out.

Read top-down:

* ``dataset``  - golden cases (JSONL): questions, reference answers, article ids, exact quotes;
* ``corpus``   - the eval's own store: the seed articles (plus optional distractors) or a
                 RealTime QA subset, synced incrementally, never the user's ``.rag/``;
* ``runner``   - asks every case through ``SourceChat`` and records what it retrieved and cited;
* ``metrics``  - our two ragas metrics (citation faithfulness, refusal accuracy), answer-string
                 hits, the local embedder wrapped for ragas, the judge model;
* ``scoring``  - ragas ``EvaluationDataset`` / ``SingleTurnSample`` per metric group, ``evaluate``,
                 failures per case, aggregates and the threshold gate (``evals/thresholds.toml``);
* ``report``   - Markdown report, JSON file and the summary table;
* ``suite``    - one function that does all of the above for the CLI and the tests.

ragas is imported only inside these modules, never by ``import rag``.
"""
