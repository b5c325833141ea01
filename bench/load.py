"""Load on the running app: can one reader's heavy requests starve the others? (issue 12)

Starts the real app (``python app.py``) over seeds/ plus BBC News articles, then runs two phases
of concurrent ``/chat`` clients (gradio_client, real HTTP):
  * quiet: CLIENTS - HEAVY_CLIENTS clients ask normal questions (the seed eval questions, in turn);
  * heavy: the same clients, and HEAVY_CLIENTS more (default 1) send only maximal requests: a question of
    RAG_MAX_QUESTION_CHARS characters of real article text, with a history at the size limit.
Reports p50/p95 latency of the normal clients in each phase, their ratio (goal <= 1.5x), what
the heavy client got, and the app's peak RSS (VmHWM).

    python bench/load.py [--clients 32] [--rounds 3] [--heavy-clients 1] [--heavy-chars N]

``--heavy-clients 8 --heavy-chars 1000000`` is the issue's case: 8 clients sending 1 MB questions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpora import REPO, unpacked  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(folder: Path, bbc_articles: int) -> tuple[subprocess.Popen, str]:
    sources = folder / "sources"
    shutil.copytree(REPO / "seeds", sources)
    for i, path in enumerate(sorted(unpacked("bbc-news").rglob("*.txt"))[:: 2225 // bbc_articles][:bbc_articles]):
        shutil.copyfile(path, sources / f"bbc{i:03}.txt")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(RAG_SOURCES_DIR=str(sources), RAG_STORE_DIR=str(folder / "store"), RAG_HOST="127.0.0.1",
               RAG_PORT=str(port), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "--quiet"], env=env, cwd=REPO, check=True)
    log = open(folder / "app.log", "w")
    process = subprocess.Popen([sys.executable, str(REPO / "app.py")], env=env, cwd=REPO, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"the app exited:\n{(folder / 'app.log').read_text()}")
            time.sleep(0.5)
    raise SystemExit("the app did not start")


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_phase(url: str, clients: int, rounds: int, questions: list[str], heavy: tuple[str, list] | None,
              heavy_clients: int = 1) -> dict:
    from gradio_client import Client

    timings: list[float] = []
    errors: list[str] = []
    heavy_replies: list[tuple[float, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)
    normal_done = threading.Event()
    heavy_clients = heavy_clients if heavy else 0
    normal_left = [clients - heavy_clients]

    def normal(k: int) -> None:
        client = Client(url, verbose=False)
        start.wait()
        for r in range(rounds):
            question = questions[(k + r) % len(questions)]
            began = time.perf_counter()
            try:
                reply = client.predict(question, [], api_name="/chat")
                if reply.startswith("Error"):
                    raise RuntimeError(reply[:200])
            except Exception as err:  # counted, not fatal: the figures say how many
                with lock:
                    errors.append(f"{type(err).__name__}: {err}"[:200])
                continue
            with lock:
                timings.append(time.perf_counter() - began)
        with lock:
            normal_left[0] -= 1
            if not normal_left[0]:
                normal_done.set()

    def heavy_client() -> None:
        client = Client(url, verbose=False)
        start.wait()
        question, history = heavy
        while not normal_done.is_set():  # keeps sending for as long as the others ask
            began = time.perf_counter()
            try:
                reply = client.predict(question, history, api_name="/chat")
            except Exception as err:
                reply = f"{type(err).__name__}: {err}"
            with lock:
                heavy_replies.append((time.perf_counter() - began, reply[:160]))

    threads = [threading.Thread(target=normal, args=(k,)) for k in range(clients - heavy_clients)]
    threads += [threading.Thread(target=heavy_client) for _ in range(heavy_clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "answers": len(timings), "errors": len(errors), "first_errors": errors[:3],
        "p50_s": round(statistics.median(timings), 3) if timings else None,
        "p95_s": round(percentile(timings, 95), 3) if timings else None,
        "heavy_requests": len(heavy_replies),
        "heavy_p50_s": round(statistics.median(t for t, _ in heavy_replies), 3) if heavy_replies else None,
        "heavy_reply": heavy_replies[0][1] if heavy_replies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="questions per normal client and phase")
    parser.add_argument("--bbc", type=int, default=100, help="BBC News articles beside the seeds")
    parser.add_argument("--heavy-clients", type=int, default=1, help="clients sending maximal requests (of --clients)")
    parser.add_argument("--heavy-chars", type=int, default=None,
                        help="length of the heavy client's question (default: the limit, RAG_MAX_QUESTION_CHARS)")
    args = parser.parse_args()

    from rag.settings import Settings

    limits = Settings(_env_file=None)
    cases = [json.loads(line) for line in (REPO / "evals/datasets/seeds.jsonl").read_text().splitlines() if line.strip()]
    questions = [case["question"] for case in cases]
    text = " ".join(path.read_text() for path in sorted((REPO / "seeds").iterdir())).replace("\n", " ")
    # getattr: the same script measures a commit from before the limits existed.
    heavy_chars = args.heavy_chars or getattr(limits, "max_question_chars", 2000)
    heavy_question = (text * (heavy_chars // len(text) + 1))[:heavy_chars]
    turn = (text * 2)[: getattr(limits, "max_history_chars", 20_000) // 2 - 10]
    heavy_history = [{"role": "user", "content": turn}, {"role": "assistant", "content": turn}]

    with tempfile.TemporaryDirectory(prefix="sourcechat-load-") as tmp:
        process, url = start_app(Path(tmp), args.bbc)
        try:
            run_phase(url, 4, 1, questions, None)  # warm-up: models, indexes, caches (not measured)
            # The same normal clients, without the heavy ones.
            quiet = run_phase(url, args.clients - args.heavy_clients, args.rounds, questions, None)
            heavy = run_phase(url, args.clients, args.rounds, questions, (heavy_question, heavy_history),
                              args.heavy_clients)
            rss = peak_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
    ratio = heavy["p95_s"] / quiet["p95_s"] if quiet["p95_s"] and heavy["p95_s"] else None
    print(json.dumps({"clients": args.clients, "rounds": args.rounds, "heavy_clients": args.heavy_clients,
                      "heavy_question_chars": heavy_chars,
                      "quiet": quiet, "with_heavy": heavy,
                      "p50_ratio": round(heavy["p50_s"] / quiet["p50_s"], 2) if quiet["p50_s"] else None,
                      "p95_ratio": round(ratio, 2) if ratio else None, "goal_p95_ratio": 1.5,
                      "app_peak_rss_mb": round(rss)}, indent=2))


if __name__ == "__main__":
    main()
