#!/usr/bin/env python3
"""Load driver of bench/catalog (standard library only). Every loop is bounded by a count or a deadline, and
any answer other than the expected one stops the run with a message.

Repository names are made here, the same for every subcommand: REPOS names spread over ten namespaces
(public, library, team-0 .. team-7), e.g. team-3/orders-worker-00423; each gets TAGS tags v1.0.0, v1.1.0, ...

  catalog.py load URL REPOS TAGS [--workers N] [auth]
      Berth, through the real push path: per repository one monolithic upload of a config blob and one of a
      layer blob (POST + PUT each, the same tiny content everywhere), then TAGS manifest PUTs, each a distinct
      image manifest (an annotation names its tag). N processes, each on its own keep-alive connection, each
      with a token per 20 repositories. Prints: seconds puts uploads token_requests last_201_epoch
  catalog.py peer-load URL REPOS [--workers N]
      distribution: the same repositories, one image each (two blob uploads and one manifest PUT, tag latest).
      Prints: seconds requests
  catalog.py wait CATALOG_URL REPOS TAGS --since EPOCH --timeout S [auth]
      Polls catalog-service (as admin) until it lists REPOS repositories holding TAGS x REPOS tags in all;
      prints the seconds from EPOCH (the last PUT's 201) until then, and stops with an error at the timeout.
  catalog.py paths KIND REPOS COUNT [--visible PREFIXES] [--seed N]
      COUNT request paths for wrk (one a line): repo-page, first-page, search-repos, search, tag-page,
      v2-page, v2-first-page; --visible public/,team-3/ limits pages and repositories to what a caller sees.
  catalog.py walk URL KIND REPEAT [--token T]
      Times a full walk: KIND v2 follows /v2/_catalog?n=1000 through its Link headers; KIND catalog reads
      /api/v1/repositories?size=500 page after page. Prints: median_seconds repositories pages
  catalog.py lag URL CATALOG_URL [--pushers N] [--seconds S] [--rate R] [--prefix P] [auth]
      N processes push new tags (distinct manifests) into P/pN (P: lag) for S seconds, one PUT after another
      (R > 0: R pushes/s in all, paced; else as fast as the registry answers), and
      note when each 201 came; one poller thread per repository reads its tagCount from catalog-service every
      few ms and notes when each count was first seen. A tag is visible when the count reaches its number
      (one pusher per repository, so its tags commit in order). Prints: pushes push_per_s p50_ms p99_ms
      max_ms unseen

auth: --token-url URL --service NAME --user U --password P (bearer tokens from token-service; catalog
      requests ask for registry:catalog:*)
"""
import hashlib
import http.client
import json
import math
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
import urllib.parse

TIMEOUT = 60
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
NAMESPACES = ["public", "library"] + [f"team-{i}" for i in range(8)]
FIRST = ["payments", "orders", "search", "billing", "auth", "users", "media", "reports", "gateway", "ledger",
         "inventory", "notify", "catalog", "metrics", "shipping", "pricing"]
SECOND = ["api", "web", "worker", "db", "cache", "cron", "proxy", "ui"]
PER_TOKEN = 20
CATALOG_SCOPE = "registry:catalog:*"
# the blobs every image here references: a config and a 1 KiB layer (fixed content, so the runs compare)
CONFIG = json.dumps({"architecture": "amd64", "os": "linux",
                     "config": {"Labels": {"org.opencontainers.image.vendor": "bench"}},
                     "rootfs": {"type": "layers", "diff_ids": []}}).encode()
LAYER = bytes(random.Random(11).getrandbits(8) for _ in range(1024))


class Failure(Exception):
    """Stops the run; raised rather than exiting, so that it crosses from pool workers to the main process."""


def fail(message):
    raise Failure(message)


def repo_names(count):
    return [f"{NAMESPACES[i % 10]}/{FIRST[(i // 10) % 16]}-{SECOND[(i // 160) % 8]}-{i:05d}" for i in range(count)]


def tag_names(count):
    return [f"v1.{k}.0" for k in range(count)]


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Client:
    """One keep-alive HTTP connection to one host, with optional fixed headers."""

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
        self.headers = {}

    def request(self, method, path, body=None, headers=None, expect=(200, 201, 202, 204)):
        all_headers = dict(self.headers)
        all_headers.update(headers or {})
        if body is not None:
            all_headers["Content-Length"] = str(len(body))
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()  # all of it, so that the connection can carry the next request
        except (OSError, http.client.HTTPException) as e:
            fail(f"{method} {path}: {e!r}")
        if response.status not in expect:
            fail(f"{method} {path} answered {response.status} (expected {expect}): {data[:300]!r}")
        return response, data

    def json(self, path):
        return json.loads(self.request("GET", path, expect=(200,))[1])


class Tokens:
    """Bearer tokens from token-service (GET /token with Basic credentials)."""

    def __init__(self, options):
        self.client = Client(options["token-url"])
        self.path = urllib.parse.urlsplit(options["token-url"]).path or "/token"
        self.service = options["service"]
        import base64
        credentials = f"{options['user']}:{options['password']}".encode()
        self.client.headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()

    def get(self, scopes):
        query = urllib.parse.urlencode([("service", self.service)] + [("scope", s) for s in scopes])
        _, data = self.client.request("GET", f"{self.path}?{query}", expect=(200,))
        token = json.loads(data).get("token")
        if not token:
            fail("token-service answered without a token: " + data[:300].decode(errors="replace"))
        return token


class CatalogReader:
    """Reads catalog-service as the caller of the options (a token renewed every minute), or anonymously."""

    def __init__(self, url, options):
        self.client = Client(url)
        self.tokens = Tokens(options) if "token-url" in options else None
        self.renewed = 0.0

    def get(self, path, expect=(200,)):
        if self.tokens and time.time() - self.renewed > 60:
            self.client.headers["Authorization"] = "Bearer " + self.tokens.get([CATALOG_SCOPE])
            self.renewed = time.time()
        return self.client.request("GET", path, expect=expect)


def location_path(response):
    location = response.getheader("Location")
    if not location:
        fail("an upload session came without a Location header")
    parts = urllib.parse.urlsplit(location)
    return parts.path + ("?" + parts.query if parts.query else "")


def upload(client, name, data):
    """A monolithic upload: POST a session, PUT the whole blob with its digest."""
    response, _ = client.request("POST", f"/v2/{name}/blobs/uploads/", body=b"", expect=(202,))
    target = location_path(response)
    separator = "&" if "?" in target else "?"
    client.request("PUT", f"{target}{separator}digest={urllib.parse.quote(digest_of(data))}", body=data,
                   headers={"Content-Type": "application/octet-stream"}, expect=(201,))


def manifest_for(annotation):
    """A tiny image manifest over CONFIG and LAYER, made distinct by an annotation."""
    return json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
                       "config": {"mediaType": CONFIG_TYPE, "digest": digest_of(CONFIG), "size": len(CONFIG)},
                       "layers": [{"mediaType": LAYER_TYPE, "digest": digest_of(LAYER), "size": len(LAYER)}],
                       "annotations": {"dev.berth.bench": annotation}}).encode()


def put_manifest(client, name, tag, body):
    client.request("PUT", f"/v2/{name}/manifests/{tag}", body=body, headers={"Content-Type": MANIFEST_TYPE},
                   expect=(201,))


def load_worker(job):
    url, names, tags, options = job
    client = Client(url)
    tokens = Tokens(options) if "token-url" in options else None
    puts = uploads = token_requests = 0
    last = 0.0
    for i, name in enumerate(names):
        if tokens and i % PER_TOKEN == 0:
            scopes = [f"repository:{n}:pull,push" for n in names[i:i + PER_TOKEN]]
            client.headers["Authorization"] = "Bearer " + tokens.get(scopes)
            token_requests += 1
        upload(client, name, CONFIG)
        upload(client, name, LAYER)
        uploads += 2
        for tag in tags:
            put_manifest(client, name, tag, manifest_for(f"{name}:{tag}"))
            puts += 1
        last = time.time()
    return puts, uploads, token_requests, last


def load(url, repos, tags, options, peer=False):
    workers = int(options.get("workers", 4))
    names = repo_names(repos)
    tag_list = ["latest"] if peer else tag_names(tags)
    jobs = [(url, names[w::workers], tag_list, options) for w in range(workers)]
    start = time.perf_counter()
    with multiprocessing.Pool(workers) as pool:
        results = pool.map(load_worker, jobs)
    seconds = time.perf_counter() - start
    puts = sum(r[0] for r in results)
    uploads = sum(r[1] for r in results)
    if peer:
        print(f"{seconds:.2f} {puts + 2 * uploads}")
    else:
        print(f"{seconds:.2f} {puts} {uploads} {sum(r[2] for r in results)} {max(r[3] for r in results):.3f}")


def wait(url, repos, tags, options):
    since, deadline = float(options["since"]), time.time() + float(options["timeout"])
    reader = CatalogReader(url, options)
    expected_tags = repos * tags
    seen = (None, None)
    while time.time() < deadline:
        total = reader.get("/api/v1/repositories?size=1")[1]
        total = json.loads(total)["total"]
        if total >= repos:
            # every page of the largest size, summing the tag counts
            counted, page = 0, 1
            while True:
                items = json.loads(reader.get(f"/api/v1/repositories?size=500&page={page}")[1])["items"]
                counted += sum(item["tagCount"] for item in items)
                if len(items) < 500 or page > repos // 500 + 2:
                    break
                page += 1
            seen = (total, counted)
            if total == repos and counted == expected_tags:
                print(f"{max(0.0, time.time() - since):.2f}")
                return
            if total > repos or counted > expected_tags:
                fail(f"catalog-service lists {total} repositories and {counted} tags; more than the {repos} and "
                     f"{expected_tags} pushed")
        else:
            seen = (total, None)
        time.sleep(0.25)
    fail(f"catalog-service did not catch up within {options['timeout']} s: it lists {seen[0]} of {repos} "
         f"repositories and {seen[1]} of {expected_tags} tags")


def visible(names, options):
    prefixes = [p for p in options.get("visible", "").split(",") if p]
    return [n for n in names if not prefixes or any(n.startswith(p) for p in prefixes)]


def paths(kind, repos, count, options):
    rng = random.Random(int(options.get("seed", 7)))
    names = visible(repo_names(repos), options)
    pages = max(1, math.ceil(len(names) / 50))
    ordered = sorted(names)

    def substring():
        name = rng.choice(names)
        length = rng.randint(3, 8)
        start = rng.randint(0, len(name) - length)
        return urllib.parse.quote(name[start:start + length], safe="")

    makers = {
        "repo-page": lambda: f"/api/v1/repositories?page={rng.randint(1, pages)}&size=50",
        "first-page": lambda: "/api/v1/repositories?page=1&size=50",
        "search-repos": lambda: f"/api/v1/repositories?q={substring()}&size=50",
        "search": lambda: f"/api/v1/search?q={substring()}",
        "tag-page": lambda: f"/api/v1/repositories/{rng.choice(names)}/tags",
        # /v2/_catalog has no page numbers: a random page is the page after a random name
        "v2-page": lambda: f"/v2/_catalog?n=50&last={urllib.parse.quote(rng.choice(ordered), safe='')}",
        "v2-first-page": lambda: "/v2/_catalog?n=50",
    }
    if kind not in makers:
        fail(f"unknown kind {kind} (one of {', '.join(makers)})")
    for _ in range(count):
        print(makers[kind]())


def walk(url, kind, repeat, options):
    client = Client(url)
    if options.get("token"):
        client.headers["Authorization"] = "Bearer " + options["token"]
    times, found, pages = [], 0, 0
    for _ in range(repeat):
        found = pages = 0
        start = time.perf_counter()
        if kind == "v2":
            path = "/v2/_catalog?n=1000"
            while path and pages < 10000:
                response, data = client.request("GET", path, expect=(200,))
                found += len(json.loads(data).get("repositories") or [])
                pages += 1
                link = response.getheader("Link")
                path = link[link.index("<") + 1:link.index(">")] if link else None
                if path and path.startswith("http"):
                    parts = urllib.parse.urlsplit(path)
                    path = parts.path + "?" + parts.query
        else:
            page = 1
            while page < 10000:
                answer = json.loads(client.request("GET", f"/api/v1/repositories?size=500&page={page}",
                                                   expect=(200,))[1])
                found += len(answer["items"])
                pages += 1
                if len(answer["items"]) < 500 or found >= answer["total"]:
                    break
                page += 1
        times.append(time.perf_counter() - start)
    print(f"{statistics.median(times):.3f} {found} {pages}")


def lag_pusher(job):
    url, name, seconds, options, index, rate = job
    client = Client(url)
    tokens = Tokens(options) if "token-url" in options else None
    renewed = 0.0
    done = []
    start = time.time()
    end = start + seconds
    n = 0
    while time.time() < end:
        if rate > 0:  # paced: the n-th push not before start + n / rate
            pause = start + n / rate - time.time()
            if pause > 0:
                time.sleep(pause)
        if tokens and time.time() - renewed > 60:
            client.headers["Authorization"] = "Bearer " + tokens.get([f"repository:{name}:pull,push"])
            renewed = time.time()
        n += 1
        put_manifest(client, name, f"t{n:06d}", manifest_for(f"{name}:{n}:{index}"))
        done.append(time.time())
    return done


def lag(url, catalog_url, options):
    pushers, seconds = int(options.get("pushers", 4)), float(options.get("seconds", 20))
    rate = float(options.get("rate", 0)) / pushers  # per pusher; 0: as fast as the registry answers
    names = [f"{options.get('prefix', 'lag')}/p{k}" for k in range(pushers)]
    # the repositories exist (blobs uploaded, one tag) before the clock starts
    client = Client(url)
    if "token-url" in options:
        client.headers["Authorization"] = "Bearer " + Tokens(options).get([f"repository:{n}:pull,push" for n in names])
    for name in names:
        upload(client, name, CONFIG)
        upload(client, name, LAYER)
        put_manifest(client, name, "t000000", manifest_for(f"{name}:0"))
    seen = [dict() for _ in names]  # per repository: tag count -> first time seen
    stop = threading.Event()

    errors = []

    def poll(k):
        try:
            follow(k)
        except Failure as e:
            errors.append(str(e))

    def follow(k):
        reader = CatalogReader(catalog_url, options)
        last = -1
        deadline = time.time() + seconds + 120
        while not stop.is_set() and time.time() < deadline:
            response, data = reader.get(f"/api/v1/repositories/{names[k]}", expect=(200, 404))
            now = time.time()
            count = json.loads(data)["tagCount"] - 1 if response.status == 200 else -1  # t000000 not counted
            if count > last:
                for c in range(last + 1, count + 1):
                    seen[k][c] = now
                last = count
            time.sleep(0.005)

    pollers = [threading.Thread(target=poll, args=(k,), daemon=True) for k in range(pushers)]
    for t in pollers:
        t.start()
    time.sleep(1)  # the pollers have seen the starting state
    with multiprocessing.Pool(pushers) as pool:
        done = pool.map(lag_pusher, [(url, names[k], seconds, options, k, rate) for k in range(pushers)])
    # wait (bounded) until every pushed tag was seen
    deadline = time.time() + 60
    while time.time() < deadline and any(len(done[k]) not in seen[k] for k in range(pushers)):
        time.sleep(0.05)
    stop.set()
    for t in pollers:
        t.join(5)
    if errors:
        fail("polling catalog-service failed: " + errors[0])
    lags, unseen = [], 0
    for k in range(pushers):
        for n, pushed in enumerate(done[k], start=1):
            if n in seen[k]:
                lags.append(max(0.0, seen[k][n] - pushed) * 1000)
            else:
                unseen += 1
    total = sum(len(d) for d in done)
    if not lags:
        fail(f"none of the {total} pushed tags became visible in catalog-service")
    lags.sort()
    p99 = lags[math.ceil(len(lags) * 0.99) - 1]  # nearest rank
    print(f"{total} {total / seconds:.0f} {statistics.median(lags):.1f} {p99:.1f} {lags[-1]:.1f} {unseen}")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    positional, options = [], {}
    rest = argv[2:]
    while rest:
        arg = rest.pop(0)
        if arg.startswith("--"):
            if not rest:
                fail(f"{arg} needs a value")
            options[arg[2:]] = rest.pop(0)
        else:
            positional.append(arg)
    command = argv[1]
    try:
        run(command, positional, options)
    except Failure as e:
        print("catalog.py: " + str(e), file=sys.stderr)
        sys.exit(1)


def run(command, positional, options):
    try:
        if command == "load":
            url, repos, tags = positional
            load(url, int(repos), int(tags), options)
        elif command == "peer-load":
            url, repos = positional
            load(url, int(repos), 1, options, peer=True)
        elif command == "wait":
            url, repos, tags = positional
            wait(url, int(repos), int(tags), options)
        elif command == "paths":
            kind, repos, count = positional
            paths(kind, int(repos), int(count), options)
        elif command == "walk":
            url, kind, repeat = positional
            walk(url, kind, int(repeat), options)
        elif command == "lag":
            url, catalog_url = positional
            lag(url, catalog_url, options)
        else:
            fail(__doc__)
    except ValueError:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv)
