"""Benchmark publishing (issue 12's targets): the PDF of a 20-principle charter, and its public page
served to 50 readers at once.

    PYTHONPATH=. .venv/bin/python bench/bench_publish.py [--runs 5] [--seconds 10]
        [--threads 50] [--rate 0] [--features 6] [--databases sqlite,postgresql]
        [--pg-workers 1,4] [--profile]
        [--skip-pdf] [--skip-page]

The charter (`bench/charter_sample.py`): 20 principles voted on by 60 members with six selection
features, tallied from individual ballots (`PrincipleVote.of`, as sealing does), small cells
withheld, five dissent notes, three council responses, six speakers' evidence, a real Pol.is
conversation with its opinion groups, a selection summary and the panel against 23 quotas: 20
ballot charts, the overview and the composition chart. `--features 3` keeps the first three
selection features only (three strata tables per principle instead of six).

1. The PDF. `charter.pdf.render(charter_html(s, medium="print"))` in this process: one warm-up,
   then `--runs` runs, best and median wall and CPU seconds; then `rendering.render_pdfs` end to
   end, as publishing calls it (a child process with the network blocked: Python's start-up,
   WeasyPrint's import and a cold render included), for the charter alone and for both PDFs;
   then the easy-read PDF in this process. Goal: the charter's PDF in <= 3 s. Over the goal (or
   with `--profile`), it shows where the time goes: cProfile's own time by WeasyPrint stage, and
   the same document rendered without its SVG charts, without its tables and without either.
2. The page. For each database (a SQLite file; a PostgreSQL database `bench_publish` created and
   dropped, never the tests' `test`), it stores that charter as version 1 through the publishing
   service's own `publish.assemble` and `publish.store` (the PDFs rendered above), starts the
   real app (`minipublic serve`: uvicorn; 1 worker on SQLite, `--pg-workers` on PostgreSQL) on a
   free port, and copies the stored page's exact bytes to a static file
   (`assembly/static/bench-charter-page.html`, removed afterwards) as the reference: the same
   bytes through the same server and the same compression middleware, minus the route and the
   database. First one reader alone fetches the page back to back for a few seconds (the time
   a request takes with no queue). Then `--threads` reader threads with keep-alive connections
   and `Accept-Encoding: gzip` fetch, for `--seconds` each in turn: the page as a reader typing its
   address or following a bookmark sends it (`Sec-Fetch-Site: none`), the static reference, and
   the page as a reader following a link from another site sends it (`Sec-Fetch-Site:
   cross-site`); back to back, or with `--rate` at that pace in all (readers arriving on a
   schedule). It prints p50/p90/p99 latency and requests/s of each, the page/reference ratio,
   and the CPU the server and this client used, and what compressing the page once costs.
   Goal: p50 <= 20 ms. Then, through a raw socket,
   the bytes over the wire (status line, headers and body as sent) for each kind of request,
   checking that the body unzips to the stored page byte for byte. Goal: <= 60 KB before
   images (the page has none: its charts are inline SVG).

It never runs in the test suite; figures depend on the machine and its load, printed with them.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import gzip
import http.client
import io
import os
import pstats
import re
import resource
import secrets
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from bench_ballots import database as ballots_database
from bench_ballots import machine_busy, server, tree_cpu
from charter_sample import snapshot

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.assets import STATIC
from assembly.compression import LEVEL as COMPRESSION_LEVEL
from assembly.publishing import documents, easy_read, publish, rendering
from assembly.publishing.publish import EASY_READ, PDF, Prepared, Site
from assembly.routes import path_for
from charter import pdf as charter_pdf
from charter.publication import Snapshot

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "bench_publish"
PUBLIC_ADDRESS = "https://charters.example.org"
PDF_GOAL = 3.0            # seconds
LATENCY_GOAL = 20.0       # ms at the median
WIRE_GOAL = 60 * 1024     # bytes before images (60 KB, read as KiB: the stricter reading)
REFERENCE = "bench-charter-page.html"


# --- the PDF -------------------------------------------------------------------------------------


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]

    def line(self) -> str:
        return (f"best {min(self.wall):.2f} s, median {statistics.median(self.wall):.2f} s "
                f"wall; CPU best {min(self.cpu):.2f} s, median {statistics.median(self.cpu):.2f} s "
                f"({len(self.wall)} runs)")


def timed(work: Callable[[], object], runs: int) -> tuple[Timing, object]:
    wall, cpu, result = [], [], None
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        result = work()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return Timing(wall, cpu), result


def pages_of(data: bytes) -> int:
    import pikepdf
    with pikepdf.open(io.BytesIO(data)) as document:
        return len(document.pages)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def end_to_end(documents_: dict[str, str]) -> tuple[float, float, dict[str, bytes]]:
    """render_pdfs as publishing calls it: wall seconds, the child's CPU seconds, the PDFs."""
    started, used = time.perf_counter(), children_cpu()
    made = rendering.render_pdfs(documents_)
    return time.perf_counter() - started, children_cpu() - used, made


STAGES = (  # cProfile's own time, by where it was spent (first match wins)
    ("SVG charts (weasyprint.svg)", ("weasyprint/svg/",)),
    ("layout (weasyprint.layout, formatting structure)",
     ("weasyprint/layout/", "weasyprint/formatting_structure/")),
    ("text shaping and line breaking (Pango via weasyprint.text)", ("weasyprint/text/",)),
    ("styles (weasyprint.css, tinycss2, cssselect2)",
     ("weasyprint/css/", "tinycss2/", "cssselect2/")),
    ("drawing (weasyprint.draw, stacking)", ("weasyprint/draw", "weasyprint/stacking")),
    ("PDF writing, tags and fonts (weasyprint.pdf, pydyf, fontTools)",
     ("weasyprint/pdf/", "pydyf", "fontTools/")),
    ("HTML parsing (tinyhtml5, weasyprint.html)",
     ("tinyhtml5/", "html5lib/", "lxml", "weasyprint/html", "weasyprint/document")),
)


def profile(printed: str) -> list[tuple[str, float]]:
    """Own time of one render, by WeasyPrint stage, biggest first."""
    profiler = cProfile.Profile()
    profiler.enable()
    charter_pdf.render(printed)
    profiler.disable()
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename.replace("\\", "/")
        stage = next((name for name, parts in STAGES if any(p in where for p in parts)),
                     "other (Python, C built-ins, cffi calls)")
        totals[stage] = totals.get(stage, 0.0) + own
    return sorted(totals.items(), key=lambda item: -item[1])


# In print each chart is an <img> of its SVG inside <figure class="chart">.
CHART = re.compile(r'<figure class="chart">.*?</figure>', re.DOTALL)
TABLE = re.compile(r"<table\b.*?</table>", re.DOTALL)
STRATA = re.compile(r'<ul class="strata-lines">.*?</ul>', re.DOTALL)
# Target counters make WeasyPrint lay pages out again once it knows where each anchor landed.
NO_PAGE_REFERENCES = ('.contents a::after{content:none}'
                      '@page{@bottom-center{content:"Page " counter(page)}}')


def without(printed: str) -> dict[str, str]:
    """The print version with parts left out, to see what each costs: the charts, every table,
    only the principles' agreement across strata (a list per principle), charts and tables, and
    the page numbers the contents and footers print."""
    return {f"without the {len(CHART.findall(printed))} SVG charts": CHART.sub("", printed),
            f"without the {printed.count('<table')} tables": TABLE.sub("", printed),
            "without only the agreement across strata": STRATA.sub("", printed),
            "without charts or tables": TABLE.sub("", CHART.sub("", printed)),
            "without page-number cross-references (contents, 'of N')":
                printed.replace("</style>", NO_PAGE_REFERENCES + "</style>", 1)}


def bench_pdf(s: Snapshot, runs: int, always_profile: bool) -> dict[str, bytes]:
    load = os.getloadavg()
    print(f"\n== The PDF (goal <= {PDF_GOAL:.0f} s); load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}, {os.cpu_count()} cores", flush=True)
    html_time, printed = timed(lambda: documents.charter_html(s, medium="print"), 3)
    assert isinstance(printed, str)
    print(f"  print HTML (Report.of + template, tallies recomputed): {html_time.line()}; "
          f"{len(printed):,} bytes, {len(CHART.findall(printed))} SVG charts, "
          f"{printed.count('<table')} tables")
    warm, first = timed(lambda: charter_pdf.render(printed), 1)
    assert isinstance(first, bytes)
    print(f"  charter.pdf in this process, first render (imports, fonts): {warm.wall[0]:.2f} s "
          f"wall, {warm.cpu[0]:.2f} s CPU")
    made, data = timed(lambda: charter_pdf.render(printed), runs)
    assert isinstance(data, bytes)
    verdict = "meets" if statistics.median(made.wall) <= PDF_GOAL else "MISSES"
    print(f"  charter.pdf in this process, warm: {made.line()}; {pages_of(data)} pages, "
          f"{len(data):,} bytes: {verdict} the goal")
    whole, whole_cpu = (statistics.median(html_time.wall) + statistics.median(made.wall),
                        statistics.median(html_time.cpu) + statistics.median(made.cpu))
    print(f"  snapshot to PDF (print HTML + render), medians: {whole:.2f} s wall, "
          f"{whole_cpu:.2f} s CPU")

    page_html = easy_read.easy_read_html(s)
    charter_alone, charter_cpu, _ = end_to_end({PDF: printed})
    print(f"  render_pdfs, charter.pdf alone (child process: start, import, cold render): "
          f"{charter_alone:.2f} s wall, {charter_cpu:.2f} s CPU")
    both, both_cpu, pdfs = end_to_end({PDF: printed, EASY_READ: page_html})
    print(f"  render_pdfs, both PDFs as publishing renders them: {both:.2f} s wall, "
          f"{both_cpu:.2f} s CPU")
    easy_time, easy = timed(lambda: charter_pdf.render(page_html), max(1, runs))
    assert isinstance(easy, bytes)
    print(f"  easy-read.pdf in this process, warm: {easy_time.line()}; {pages_of(easy)} pages, "
          f"{len(easy):,} bytes")
    if pdfs[PDF] != data:
        print("  NOTE: the child's charter.pdf differs from this process's (not deterministic?)")

    if always_profile or statistics.median(made.wall) > PDF_GOAL:
        print("  where a warm render's time goes (cProfile's own time, which inflates "
              "Python-heavy stages):")
        stages = profile(printed)
        total = sum(seconds for _, seconds in stages)
        for name, seconds in stages:
            print(f"    {seconds:6.2f} s {seconds / total:4.0%}  {name}")
        base = statistics.median(made.wall)
        print(f"  the same document without parts of it (one warm render each; all of it: "
              f"{base:.2f} s):")
        for name, variant in without(printed).items():
            variant_time, variant_pdf = timed(functools.partial(charter_pdf.render, variant), 1)
            assert isinstance(variant_pdf, bytes)
            print(f"    {name}: {variant_time.wall[0]:.2f} s ({base - variant_time.wall[0]:+.2f} s "
                  f"saved), {pages_of(variant_pdf)} pages")
    return pdfs


# --- the page ------------------------------------------------------------------------------------


def database(kind: str, folder: Path) -> contextlib.AbstractContextManager[str]:
    """A fresh, empty database of `kind`, as the ballots benchmark makes one, under this
    benchmark's own name."""
    return ballots_database(kind, folder, PG_NAME)


def site() -> Site:
    return Site(PUBLIC_ADDRESS, path_for)


def store(url: str, s: Snapshot, pdfs: dict[str, bytes]) -> tuple[str, bytes]:
    """Version 1 of the charter stored through the publishing service (assemble, store: the
    files, their sha256 and the audit event); its page's path and stored bytes."""
    engine = db.make_engine(url)
    db.migrate(engine)
    links = site().links(1)
    with db.session(engine, write=True) as session:
        assembly = Assembly(title=s.assembly.title, question=s.assembly.question,
                            remit=s.assembly.remit,
                            commissioning_body=s.assembly.commissioned_by)
        session.add(assembly)
        session.flush()
        if assembly.id != 1:
            raise RuntimeError(f"the fresh database gave the assembly id {assembly.id}, not 1")
        prepared = Prepared(1, 1, s, documents.charter_html(s, medium="web", links=links),
                            documents.charter_html(s, medium="print", links=links),
                            easy_read.easy_read_html(s))
        files = publish.assemble(prepared, pdfs)
        publish.store(session, prepared, files, actor="bench", now=s.publication.published_at)
    engine.dispose()
    return str(path_for("charter_version", assembly_id=1, version=1)), files[publish.PAGE][1]


@dataclass
class Phase:
    name: str
    seconds: float
    latencies_ms: list[float]
    failures: int
    body_bytes: int
    client_cpu: float
    server_cpu: float
    machine_busy: float
    database_cpu: float | None   # PostgreSQL's processes serving the benchmark's database
    connections: int | None      # connections to it opened during the phase

    def at(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used, 0 if it is gone."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


DatabaseSample = tuple[dict[int, float], int]


def no_database() -> DatabaseSample:
    return {}, -1


def database_cpu(url: str) -> Callable[[], DatabaseSample]:
    """For PostgreSQL: the CPU seconds used so far by each server process serving the benchmark's
    database, and how many connections to it were ever opened (reading a stored page costs the
    database server CPU too, outside the app's processes; other databases' work on the same
    server is left out). A process that ends during a phase takes its CPU with it, so the figure
    is a lower bound when the app's connection pool opens and closes connections."""
    if not url.startswith("postgresql"):
        return no_database
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def sample() -> DatabaseSample:
        with admin.connect() as connection:
            pids = connection.execute(sa.text("SELECT pid FROM pg_stat_activity "
                                              "WHERE datname = :name"), {"name": PG_NAME})
            cpu = {int(pid): process_cpu(int(pid)) for (pid,) in pids}
            sessions = connection.execute(sa.text("SELECT sessions FROM pg_stat_database "
                                                  "WHERE datname = :name"),
                                          {"name": PG_NAME}).scalar_one()
        return cpu, int(sessions)

    return sample


def headers_for(fetch_site: str | None) -> dict[str, str]:
    found = {"Accept-Encoding": "gzip, deflate, br", "Accept": "text/html",
             "User-Agent": "bench_publish"}
    if fetch_site is not None:
        found["Sec-Fetch-Site"] = fetch_site
    return found


def load(name: str, port: int, pid: int, path: str, fetch_site: str | None, threads: int,
         seconds: float, database: Callable[[], DatabaseSample] = no_database,
         rate: float = 0.0) -> Phase:
    """`threads` readers, each on its own keep-alive connection, fetching `path` for `seconds`:
    back to back, or with `rate` (requests a second, all readers together) each on a schedule,
    its requests evenly spaced and staggered from the others', as readers arriving at that pace;
    a request's latency then counts from when it was due, so waiting for its reader counts too."""
    headers = headers_for(fetch_site)
    latencies: list[float] = []
    failures, received = [0], [0]
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)
    stop = [0.0]

    def reader(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[float] = []
        bad = size = 0
        start.wait()
        every = threads / rate if rate > 0 else 0.0
        due = stop[0] - seconds + index * every / threads
        while (due if every else time.perf_counter()) < stop[0]:
            if every:
                time.sleep(max(0.0, due - time.perf_counter()))
                began, due = due, due + every
            else:
                began = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            mine.append((time.perf_counter() - began) * 1000)
            size += len(body)
            bad += response.status != 200
        connection.close()
        with lock:
            latencies.extend(mine)
            failures[0] += bad
            received[0] += size

    workers = [threading.Thread(target=reader, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    busy, total = machine_busy()
    used, served, (queried, opened) = time.process_time(), tree_cpu(pid), database()
    began = time.perf_counter()
    stop[0] = began + seconds
    start.wait()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    busy_after, total_after = machine_busy()
    after, opened_after = database()
    return Phase(name, elapsed, latencies, failures[0], received[0],
                 time.process_time() - used, tree_cpu(pid) - served,
                 (busy_after - busy) / max(total_after - total, 1),
                 sum(cpu - queried.get(p, 0.0) for p, cpu in after.items()) if after else None,
                 opened_after - opened if opened >= 0 else None)


def warm_up(port: int, paths: list[str], threads: int) -> None:
    """Each worker's first requests import, compile and connect: a few rounds first."""
    def fetch(_: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for path in paths * 3:
            connection.request("GET", path, headers=headers_for("none"))
            connection.getresponse().read()
        connection.close()

    workers = [threading.Thread(target=fetch, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


@dataclass(frozen=True)
class Wire:
    status: str
    header_bytes: int
    body_bytes: int
    encoding: str
    chunked: bool
    cookie: bool
    body: bytes         # decoded (de-chunked and unzipped)

    @property
    def total(self) -> int:
        return self.header_bytes + self.body_bytes


def dechunk(raw: bytes) -> bytes:
    out, rest = bytearray(), raw
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += rest[:size]
        rest = rest[size + 2:]


def over_the_wire(port: int, path: str, fetch_site: str | None) -> Wire:
    """One request on a fresh socket, counting every byte the server sends back."""
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             *(f"{k}: {v}" for k, v in headers_for(fetch_site).items())]
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    header_lines = head.decode("latin-1").split("\r\n")
    fields = [line.split(":", 1) for line in header_lines[1:]]
    named = {k.strip().lower(): v.strip() for k, v in fields}
    chunked = named.get("transfer-encoding", "") == "chunked"
    payload = dechunk(body) if chunked else body
    encoding = named.get("content-encoding", "")
    decoded = gzip.decompress(payload) if encoding == "gzip" else payload
    return Wire(header_lines[0], len(head) + 4, len(body), encoding or "none", chunked,
                "set-cookie" in named, decoded)


def bench_page(kind: str, workers: int, s: Snapshot, pdfs: dict[str, bytes], threads: int,
               seconds: float, rate: float) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as name, \
            database(kind, Path(name)) as url:
        folder = Path(name)
        page_path, page = store(url, s, pdfs)
        reference = STATIC / REFERENCE
        reference.write_bytes(page)
        try:
            with server(url, workers, folder) as (port, pid):
                static_path = f"/static/{REFERENCE}"
                warm_up(port, [page_path, static_path], min(threads, 8))
                cpu = database_cpu(url)
                phases = [
                    load("page, one reader alone", port, pid, page_path, "none", 1,
                         min(seconds, 3.0), cpu),
                    load("page", port, pid, page_path, "none", threads, seconds, cpu, rate),
                    load("static reference", port, pid, static_path, "none", threads, seconds,
                         cpu, rate),
                    load("page, link from another site", port, pid, page_path, "cross-site",
                         threads, seconds, cpu, rate),
                ]
                wires = {(label, fetch_site): over_the_wire(port, path, fetch_site)
                         for label, path in (("page", page_path), ("static", static_path))
                         for fetch_site in ("none", "same-origin", "cross-site", None)}
        finally:
            reference.unlink(missing_ok=True)
    report(kind, workers, threads, seconds, rate, phases, wires, page)


def report(kind: str, workers: int, threads: int, seconds: float, rate: float,
           phases: list[Phase], wires: dict[tuple[str, str | None], Wire], page: bytes) -> None:
    load_now = os.getloadavg()
    pace = f"at {rate:g} requests/s in all" if rate > 0 else "back to back"
    print(f"\n== The page on {kind}, {workers} worker{'s' if workers > 1 else ''}: {threads} "
          f"readers with keep-alive, {pace}, {seconds:g} s per phase; load average {load_now[0]:.2f} "
          f"{load_now[1]:.2f} {load_now[2]:.2f}", flush=True)
    for phase in phases:
        size = phase.body_bytes / max(1, len(phase.latencies_ms))
        print(f"  {phase.name:<29} p50 {phase.at(0.5):6.1f} ms, p90 {phase.at(0.9):6.1f} ms, "
              f"p99 {phase.at(0.99):6.1f} ms; {phase.rate:6.0f} requests/s; "
              f"{size / 1024:5.1f} KiB a response"
              + (f"; {phase.failures} FAILED" if phase.failures else ""))
        print(f"  {'':<29} CPU: the server {phase.server_cpu * 1000 / max(1, len(phase.latencies_ms)):.2f} ms a "
              f"request ({phase.server_cpu / phase.seconds:.0%} of a core), this client "
              f"{phase.client_cpu / phase.seconds:.0%} of a core, "
              + (f"PostgreSQL at least {phase.database_cpu * 1000 / max(1, len(phase.latencies_ms)):.2f} "
                 f"ms a request ({phase.connections} connections opened), "
                 if phase.database_cpu is not None else "")
              + f"the machine {phase.machine_busy:.0%} busy (anyone's work)")
    page_phase, static_phase = phases[1], phases[2]
    ratio = page_phase.at(0.5) / max(static_phase.at(0.5), 1e-9)
    verdict = "meets" if page_phase.at(0.5) <= LATENCY_GOAL else "MISSES"
    print(f"  page / static reference at p50: {ratio:.2f} (p99 "
          f"{page_phase.at(0.99) / max(static_phase.at(0.99), 1e-9):.2f}, requests/s "
          f"{page_phase.rate / max(static_phase.rate, 1e-9):.2f}); the page's p50 "
          f"{page_phase.at(0.5):.1f} ms {verdict} the goal of <= {LATENCY_GOAL:.0f} ms")
    if rate <= 0:
        print(f"  (readers fetching back to back: p50 <= {LATENCY_GOAL:.0f} ms for {threads} of "
              f"them needs about {threads / (LATENCY_GOAL / 1000):,.0f} requests/s (Little's "
              f"law); the static reference reached {static_phase.rate:,.0f})")
    started = time.process_time()
    for _ in range(20):
        gzip.compress(page, compresslevel=COMPRESSION_LEVEL)
    print(f"  compressing the page (gzip level {COMPRESSION_LEVEL}, as the middleware does on "
          f"every request) takes {(time.process_time() - started) / 20 * 1000:.1f} ms of CPU "
          "in this process")
    print(f"  over the wire (one request, Accept-Encoding: gzip; the stored page is "
          f"{len(page):,} bytes):")
    for (label, fetch_site), wire in wires.items():
        same = "the stored page, byte for byte" if wire.body == page else "DIFFERS from the page"
        goal = ("meets" if wire.total <= WIRE_GOAL else "MISSES") + " the 60 KB goal"
        print(f"    {label:<6} Sec-Fetch-Site {fetch_site or '(none sent)':<12} {wire.status[9:]}: "
              f"{wire.total:,} bytes ({wire.header_bytes:,} headers + {wire.body_bytes:,} body), "
              f"Content-Encoding {wire.encoding}{', chunked' if wire.chunked else ''}"
              f"{', SETS A COOKIE' if wire.cookie else ''}; {same}"
              + (f"; {goal}" if label == "page" else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="warm PDF renders timed")
    parser.add_argument("--seconds", type=float, default=10.0, help="each load phase")
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="requests a second from all readers together, each reader on a "
                             "schedule (latency from when a request was due); default: back to "
                             "back")
    parser.add_argument("--features", type=int, default=6,
                        help="selection features (1-6): each adds a strata table per principle")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-workers", default="1,4")
    parser.add_argument("--profile", action="store_true",
                        help="show where the PDF's time goes even within the goal")
    parser.add_argument("--skip-pdf", action="store_true",
                        help="no PDF timings (the stored version's PDFs are still rendered)")
    parser.add_argument("--skip-page", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("MINIPUBLIC_SECRET_KEY", "bench-" + secrets.token_urlsafe(40))
    data_dir = tempfile.mkdtemp(prefix="bench-publish-data-")
    os.environ.setdefault("MINIPUBLIC_DATA_DIR", data_dir)
    started = datetime.now(UTC)
    print(f"bench_publish at {started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores")
    built = time.perf_counter()
    address = PUBLIC_ADDRESS + str(path_for("charter_version", assembly_id=1, version=1))
    s = snapshot(address, features=args.features)
    print(f"charter: {len(s.principles)} principles, {args.features} selection features, "
          f"{sum(1 for v in s.votes if v.public()[0].decision.adopted)} adopted, "
          f"{sum(len(v.dissent) for v in s.votes)} dissent notes, {len(s.responses)} council "
          f"responses, {len(s.panel)} quota rows, {len(s.evidence)} pieces of evidence, "
          f"{len(s.discuss[0].conversation.statements)} Pol.is statements "
          f"(built in {time.perf_counter() - built:.1f} s)")
    try:
        if args.skip_pdf:
            pdfs = rendering.render_pdfs({PDF: documents.charter_html(s, medium="print"),
                                          EASY_READ: easy_read.easy_read_html(s)})
        else:
            pdfs = bench_pdf(s, args.runs, args.profile)
        if not args.skip_page:
            for kind in args.databases.split(","):
                counts = [1] if kind == "sqlite" else [int(n) for n in args.pg_workers.split(",")]
                for workers in counts:
                    bench_page(kind, workers, s, pdfs, args.threads, args.seconds, args.rate)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\nfinished at {datetime.now(UTC):%H:%M} UTC")


if __name__ == "__main__":
    main()
