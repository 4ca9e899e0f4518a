#!/usr/bin/env python3
"""Load driver of bench/compare (standard library only). Stops with a message at the first answer that is
not the expected 2xx, and every loop is bounded by its count.

  load.py writes URL PREFIX REPOS [options]
      The small write path: pushes one tiny config blob to PREFIX/src, then for each of REPOS repositories
      PREFIX/rNNNNN mounts that blob from PREFIX/src (POST ...blobs/uploads/?mount=&from=, 201 expected) and
      PUTs an image manifest referencing it (tag v1). One keep-alive connection to the registry, requests one
      after another. Prints: total_seconds requests ms_per_request token_requests token_seconds
      (ms_per_request leaves out the time spent getting tokens).
  load.py tokens TOKEN_URL SCOPE COUNT [options]
      COUNT token requests with the same valid credentials, one after another on one keep-alive connection,
      after --warmup untimed ones. Prints: p50_ms p99_ms

options:
  --token-url URL --service NAME --user U --password P   bearer tokens from a Docker token service
  --per-token N       writes: one token for every N repositories (their pull,push scopes + pull on the source)
  --basic U:P         Basic credentials on every registry request (htpasswd)
  --cacert FILE       CA to trust for https
  --warmup N          tokens: untimed requests first
"""
import base64
import hashlib
import http.client
import json
import math
import ssl
import statistics
import sys
import time
import urllib.parse

TIMEOUT = 60
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"


def fail(message):
    print("load.py: " + message, file=sys.stderr)
    sys.exit(1)


class Client:
    """One keep-alive HTTP(S) connection to one host, with optional fixed headers."""

    def __init__(self, url, cacert=None):
        parts = urllib.parse.urlsplit(url)
        self.base_path = parts.path.rstrip("/")
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=cacert)
            self.conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=TIMEOUT, context=context)
        else:
            self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
        self.headers = {}

    def request(self, method, path, body=None, headers=None, expect=(200, 201, 202, 204)):
        all_headers = dict(self.headers)
        all_headers.update(headers or {})
        if body is not None:
            all_headers["Content-Length"] = str(len(body))
        self.conn.request(method, path, body=body, headers=all_headers)
        response = self.conn.getresponse()
        data = response.read()  # read it all, so that the connection can carry the next request
        if response.status not in expect:
            fail(f"{method} {path} answered {response.status} (expected {expect}): {data[:300]!r}")
        return response, data


def basic_header(credentials):
    return "Basic " + base64.b64encode(credentials.encode()).decode()


class Tokens:
    """Gets bearer tokens from a Docker token service (GET /token with Basic credentials)."""

    def __init__(self, url, service, user, password, cacert=None):
        self.client = Client(url, cacert)
        self.path = urllib.parse.urlsplit(url).path or "/token"
        self.service = service
        self.client.headers["Authorization"] = basic_header(f"{user}:{password}")

    def get(self, scopes):
        query = urllib.parse.urlencode([("service", self.service)] + [("scope", s) for s in scopes])
        _, data = self.client.request("GET", f"{self.path}?{query}", expect=(200,))
        token = json.loads(data).get("token")
        if not token:
            fail("the token service answered without a token: " + data[:300].decode(errors="replace"))
        return token


def location_path(response, client):
    """The path and query of an upload's Location header (absolute or relative)."""
    location = response.getheader("Location")
    if not location:
        fail("an upload session came without a Location header")
    parts = urllib.parse.urlsplit(location)
    return parts.path + ("?" + parts.query if parts.query else "")


def writes(url, prefix, repos, options):
    client = Client(url, options.get("cacert"))
    tokens = None
    per_token = int(options.get("per-token", 20))
    if "token-url" in options:
        tokens = Tokens(options["token-url"], options["service"], options["user"], options["password"], options.get("cacert"))
    if "basic" in options:
        client.headers["Authorization"] = basic_header(options["basic"])
    source = f"{prefix}/src"
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
                         "config": {"Labels": {"bench": prefix}}}).encode()
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
                           "config": {"mediaType": CONFIG_TYPE, "digest": digest, "size": len(config)},
                           "layers": []}).encode()

    # the source blob, pushed once and not timed
    if tokens:
        client.headers["Authorization"] = "Bearer " + tokens.get([f"repository:{source}:pull,push"])
    response, _ = client.request("POST", f"/v2/{source}/blobs/uploads/", body=b"", expect=(202,))
    upload = location_path(response, client)
    separator = "&" if "?" in upload else "?"
    client.request("PUT", f"{upload}{separator}digest={urllib.parse.quote(digest)}", body=config,
                   headers={"Content-Type": "application/octet-stream"}, expect=(201,))

    names = [f"{prefix}/r{i:05d}" for i in range(repos)]
    token_seconds = 0.0
    token_requests = 0
    start = time.perf_counter()
    for i, name in enumerate(names):
        if tokens and i % per_token == 0:
            before = time.perf_counter()
            batch = names[i:i + per_token]
            scopes = [f"repository:{n}:pull,push" for n in batch] + [f"repository:{source}:pull"]
            client.headers["Authorization"] = "Bearer " + tokens.get(scopes)
            token_seconds += time.perf_counter() - before
            token_requests += 1
        query = urllib.parse.urlencode({"mount": digest, "from": source})
        client.request("POST", f"/v2/{name}/blobs/uploads/?{query}", body=b"", expect=(201,))
        client.request("PUT", f"/v2/{name}/manifests/v1", body=manifest,
                       headers={"Content-Type": MANIFEST_TYPE}, expect=(201,))
    total = time.perf_counter() - start
    requests = 2 * repos
    print(f"{total:.2f} {requests} {(total - token_seconds) * 1000 / requests:.2f} {token_requests} {token_seconds:.2f}")


def tokens_latency(url, scope, count, options):
    tokens = Tokens(url, options["service"], options["user"], options["password"], options.get("cacert"))
    for _ in range(int(options.get("warmup", 0))):
        tokens.get([scope])
    times = []
    for _ in range(count):
        before = time.perf_counter()
        tokens.get([scope])
        times.append((time.perf_counter() - before) * 1000)
    times.sort()
    p99 = times[math.ceil(len(times) * 0.99) - 1]  # nearest rank
    print(f"{statistics.median(times):.2f} {p99:.2f}")


def main(argv):
    if len(argv) < 5 or argv[1] not in ("writes", "tokens"):
        fail(__doc__)
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
    if argv[1] == "writes":
        url, prefix, repos = positional
        writes(url, prefix, int(repos), options)
    else:
        url, scope, count = positional
        tokens_latency(url, scope, int(count), options)


if __name__ == "__main__":
    main(sys.argv)
