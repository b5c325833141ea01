"""Is the store sound? The checks behind ``rag doctor``, the app's start and ``rag ask``.

Each part of the store is checked in turn: the catalog (SQLite's own page check, articles left
half-written by an interrupted run), Chroma (readable, built by this embedding model, holding a
vector for every indexed passage and none for others) and the keyword index (loadable, current).

Derived data is repaired on the spot: the keyword index is rebuilt from the catalog, with a
notice. Primary data is never touched: a damaged file, missing vectors or a wrong model are
problems whose message names the file or count and the command that repairs them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from rag.index.catalog import READY
from rag.index.damage import REPAIR, StoreError

if TYPE_CHECKING:
    from rag.index.store import Store

OK, REPAIRED, PROBLEM = "ok", "repaired", "problem"


@dataclass
class Check:
    part: str  # "catalog", "chroma", "keyword index"
    status: str  # ok, repaired (derived data rebuilt), problem (needs the command in the message)
    message: str


@dataclass
class Health:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem left (a repaired part is fine)."""
        return all(check.status != PROBLEM for check in self.checks)

    @property
    def problems(self) -> list[Check]:
        return [check for check in self.checks if check.status == PROBLEM]

    @property
    def repaired(self) -> list[Check]:
        return [check for check in self.checks if check.status == REPAIRED]

    def add(self, part: str, status: str, message: str) -> None:
        self.checks.append(Check(part, status, message))

    def to_json(self) -> dict:
        return {"ok": self.ok, "checks": [asdict(check) for check in self.checks]}


def check_store(store: Store, thorough: bool = True) -> Health:
    """Check every part of ``store``; ``thorough`` reads every page and every vector id (seconds
    on 100k passages), otherwise counts are compared."""
    health = Health()
    if not _check_catalog(store, health, thorough):
        return health  # nothing else can be compared with a catalog that cannot be read
    _check_chroma(store, health, thorough)
    _check_keywords(store, health)
    return health


def _check_catalog(store: Store, health: Health, thorough: bool) -> bool:
    path = store.catalog.path
    try:
        verdict = store.catalog.quick_check() if thorough else "ok"
        states = store.catalog.states()
    except StoreError as err:
        health.add("catalog", PROBLEM, str(err))
        return False
    if verdict != "ok":
        health.add("catalog", PROBLEM, f"the index file {path} is damaged ({verdict}). Repair: {REPAIR}")
        return False
    unfinished = sorted(aid for aid, known in states.items() if known.state != READY)
    ready = len(states) - len(unfinished)
    if unfinished:
        health.add("catalog", PROBLEM, f"{len(unfinished)} articles were left half-written by an interrupted run "
                                       f"(e.g. {unfinished[0]}): `rag ingest` finishes them")
    else:
        health.add("catalog", OK, f"{path}: {ready} articles, {store.chunk_count()} passages")
    return True


def _check_chroma(store: Store, health: Health, thorough: bool) -> None:
    where = store.settings.chroma_url or store.dir / "chroma"
    try:
        vectors = store.vector_count()
        passages = store.chunk_count()
        if thorough or vectors != passages:
            expected = {cid for cid, _, _ in store.ready_chunks()}
            present = store.vector_ids()
            missing, orphans = len(expected - present), len(present - expected)
        else:
            missing = orphans = 0
    except StoreError as err:  # damaged, another model, an unreachable server
        health.add("chroma", PROBLEM, str(err))
        return
    if missing:
        health.add("chroma", PROBLEM, f"{missing} of {passages} indexed passages have no vector in Chroma ({where}): "
                                      "answers find them by keywords only. `rag ingest` embeds them again")
    if orphans:
        health.add("chroma", PROBLEM, f"Chroma ({where}) holds {orphans} vectors of passages that are not indexed: "
                                      "`rag ingest` removes them")
    if not missing and not orphans:
        health.add("chroma", OK, f"{vectors} vectors, in step with the catalog ({where})")


def _check_keywords(store: Store, health: Health) -> None:
    """Load the index the way answering does; a missing or damaged one is rebuilt, with a notice."""
    before = len(store.notices)
    try:
        store.bm25()
    except StoreError as err:
        health.add("keyword index", PROBLEM, str(err))
        return
    repairs = store.notices[before:]
    if repairs:
        health.add("keyword index", REPAIRED, "; ".join(repairs))
    else:
        health.add("keyword index", OK, f"{store.bm25_dir}: current")
