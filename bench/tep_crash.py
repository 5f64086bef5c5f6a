#!/usr/bin/env python3
"""Crash test of the Teaching Excellence Program's ledger (issue 14).

Starts `empower serve` on a fresh database, opens a fiscal year whose
appropriation covers a part of the requests, and sends a burst of payment
requests from many educators at once while the server is killed with
SIGKILL at random moments and restarted. Clients retry every request that
got no answer with the same idempotency key, as a real client would.
Afterwards the ledger must hold:

* no overspend: committed + paid <= appropriation, and the year's totals
  equal the sums of the entries;
* a gapless line: sequences 1..n, each once;
* every acknowledged request, with the id and sequence it was given;
* one request per educator (the retries booked nothing twice);
* the first in line funded or reserved up to the money, the rest waitlisted
  (no hole: a waitlisted request never precedes a reserved one that would
  not have fit after it).

    python3 bench/tep_crash.py [--educators 300] [--kills 5] [--database-url postgres://...]

Exits 1 with the broken invariant named, 0 when all hold.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "debug", "empower")
DISTRICT = "010010040260000"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, store_args, port, log):
        self.store_args, self.port, self.log = store_args, port, log
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [BIN, *self.store_args, "serve", "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log,
            stderr=self.log,
        )
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except Exception:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def cli(store_args, *args, stdin=None):
    out = subprocess.run(
        [BIN, *store_args, *args], input=stdin, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def call(port, method, path, token, body=None, timeout=10):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--educators", type=int, default=300)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--funded", type=int, default=120, help="how many renewals the appropriation covers")
    ap.add_argument("--database-url", help="PostgreSQL instead of a fresh SQLite folder")
    ap.add_argument("--seed", type=int, default=20261130)
    a = ap.parse_args()
    random.seed(a.seed)
    data = tempfile.mkdtemp(prefix="tep-crash-")
    store_args = ["--database-url", a.database_url] if a.database_url else ["--data-dir", data]
    log = open(os.path.join(data, "serve.log"), "w")
    try:
        print(f"== setting up {a.educators} educators ({'PostgreSQL' if a.database_url else 'SQLite'})")
        cli(store_args, "users", "add", "--email", "admin@crash.invalid", "--name", "Admin", "--role", "program-admin")
        admin = cli(store_args, "users", "token", "--email", "admin@crash.invalid")
        tokens = []
        for i in range(a.educators):
            email = f"teacher{i}@crash.invalid"
            cli(store_args, "users", "add", "--email", email, "--name", f"Teacher {i}", "--role", "educator")
            tokens.append(cli(store_args, "users", "token", "--email", email))
        port = free_port()
        server = Server(store_args, port, log)
        server.start()
        facts = {
            "license": "PEL", "role": "teacher", "nbpts": "renewal", "district_rcdts": DISTRICT,
            "full_time": True, "originally_assigned": True,
        }
        with ThreadPoolExecutor(16) as pool:
            for s, _ in pool.map(lambda t: call(port, "PUT", "/api/v1/tep/educators/me", t, facts), tokens):
                assert s == 200, s
        fy_status, elig = call(port, "GET", "/api/v1/tep/eligibility", tokens[0])
        assert fy_status == 200, elig
        # The renewal's amount is the rules' (draft figures), not this script's.
        renewal_cents = next(i["amount_cents"] for i in elig["items"] if i["payment_type"] == "renewal")
        # The current fiscal year, from the server's own answer.
        status, year = call(port, "POST", "/api/v1/tep/fiscal-years", admin,
                            {"fiscal_year": current_fiscal_year(), "appropriation_cents": a.funded * renewal_cents})
        assert status in (200, 201), year
        fy = year["fiscal_year"]
        appropriation = year["appropriation_cents"]

        print(f"== the burst: {a.educators} requests, the server killed {a.kills} times")
        acknowledged = {}
        lock = threading.Lock()
        up = threading.Event()
        up.set()

        def request(i):
            body = {"fiscal_year": fy, "payment_type": "renewal", "idempotency_key": f"crash-{i}"}
            while True:
                up.wait()
                try:
                    s, r = call(port, "POST", "/api/v1/tep/requests", tokens[i], body, timeout=5)
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    time.sleep(0.05)
                    continue
                if s in (200, 201):
                    with lock:
                        before = acknowledged.get(i)
                        if before and (before["id"], before["sequence"]) != (r["id"], r["sequence"]):
                            raise SystemExit(f"educator {i}: a retry answered another request: {before} then {r}")
                        acknowledged[i] = r
                    return s
                if s >= 500 or s == 503:
                    time.sleep(0.05)
                    continue
                raise SystemExit(f"educator {i}: unexpected {s} {r}")

        def killer():
            for _ in range(a.kills):
                time.sleep(random.uniform(0.05, 0.6))
                up.clear()
                server.kill()
                server.start()
                up.set()

        t = threading.Thread(target=killer)
        t.start()
        started = time.time()
        with ThreadPoolExecutor(32) as pool:
            statuses = list(pool.map(request, range(a.educators)))
        t.join()
        print(f"   {len(acknowledged)} acknowledged in {time.time() - started:.1f} s "
              f"({statuses.count(201)} created, {statuses.count(200)} answered by their retry)")

        # A last kill and restart: the ledger read after it is the database's.
        server.kill()
        server.start()
        s, ledger = call(port, "GET", f"/api/v1/tep/ledger?fiscal_year={fy}", admin)
        assert s == 200, ledger
        entries = ledger["entries"]
        problems = []
        seqs = [e["sequence"] for e in entries]
        if seqs != list(range(1, len(entries) + 1)):
            problems.append(f"the line is not 1..{len(entries)} once each")
        held = sum(e["amount_cents"] for e in entries if e["status"] in ("reserved", "funded"))
        paid = sum(e["amount_cents"] for e in entries if e["status"] == "paid")
        if ledger["committed_cents"] != held or ledger["paid_cents"] != paid:
            problems.append(f"the totals {ledger['committed_cents']}/{ledger['paid_cents']} are not the entries' {held}/{paid}")
        if held + paid > appropriation:
            problems.append(f"overspent: {held + paid} > {appropriation}")
        if ledger["appropriation_cents"] != ledger["committed_cents"] + ledger["paid_cents"] + ledger["remaining_cents"]:
            problems.append("appropriation != committed + paid + remaining")
        if len(entries) != a.educators:
            problems.append(f"{len(entries)} requests for {a.educators} educators")
        by_id = {e["request_id"]: e for e in entries}
        for i, r in acknowledged.items():
            e = by_id.get(r["id"])
            if e is None or e["sequence"] != r["sequence"]:
                problems.append(f"educator {i}'s acknowledged request {r['id']} (no. {r['sequence']}) is not in the ledger as given")
        reserved = [e["sequence"] for e in entries if e["status"] == "reserved"]
        if reserved != list(range(1, a.funded + 1)):
            problems.append(f"the reserved are not exactly the first {a.funded} in line")
        print(f"   ledger: {len(entries)} entries, committed ${held / 100:,.2f} of ${appropriation / 100:,.2f}, "
              f"{len(reserved)} reserved, {sum(e['status'] == 'waitlisted' for e in entries)} waitlisted")
        server.kill()
        if problems:
            for p in problems:
                print("FAIL", p)
            sys.exit(1)
        print("== every invariant holds across the crashes")
    finally:
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def current_fiscal_year():
    # The state's fiscal year runs July to June (America/Chicago; a day's
    # difference at the turn of July does not matter here).
    t = time.gmtime(time.time() - 6 * 3600)
    return t.tm_year + 1 if t.tm_mon >= 7 else t.tm_year


if __name__ == "__main__":
    main()
