"""The evaluation suite behind ``rag eval``: golden cases in, scores, a verdict and reports out.

Read top-down:

* ``dataset``    - golden cases (JSONL): questions, reference answers, article ids, exact quotes, tags;
* ``corpus``     - the eval's own sources folder and store: a dataset's reference articles (from
                   ``seeds/`` or the shared data) plus an optional BBC pool, or the maintainer's
                   ``--sources`` folder; stores cached per fingerprint of the indexing code;
* ``realtimeqa`` - RealTime QA 2025 as an external benchmark (its own cases and corpus);
* ``runner``     - asks every case through ``SourceChat`` and records what it retrieved and cited;
* ``metrics``    - our metrics over a recorded case (lead answer, conciseness, cited article,
                   citation faithfulness, refusals), the local embedder for ragas, the judge model;
* ``scoring``    - ragas metric groups over ``EvaluationDataset``s and our metrics, one table;
* ``thresholds`` - ``evals/thresholds.toml``: the gate, the margin policy, drift, rewriting;
* ``report``     - summary, report, JSON and JUnit; the comparison with a baseline;
* ``suite``      - one run (and ``rescore``) for the CLI and the tests.

``claims`` is the claims benchmark's loader (``evals/datasets/claims.jsonl``). ragas is imported
only inside these modules, never by ``import rag``.
"""
