"""Many puts fast, through etcd's JSON gateway (``POST /v3/kv/put``) on kept-alive HTTP
connections: about 800 puts/s per connection here, against about 25/s for one etcdctl process
per put. Snapshot scenarios need it: etcd 3.4/3.5 keep 5,000 entries in the leader's log
after a snapshot for slow followers, so only a follower more than 5,000 entries behind is sent a
snapshot.

Runs as a process in the clients' network namespace (the harness's root namespace cannot reach
the members' addresses), and prints one JSON summary line:

    python -m raftcheck.harness.etcd_bulk http://10.231.0.1:2379 5200 /bulk/ [--connections 2]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit

from raftcheck.arguments import positive


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def bulk_put(url: str, count: int, prefix: str, connections: int = 2,
             timeout: float = 5.0) -> dict[str, object]:
    """Put keys ``<prefix>0`` .. ``<prefix><count-1>`` (value "x"), split over ``connections``
    threads; the summary counts ok/failed puts and gives the first and last revision seen."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 2379
    lock = threading.Lock()
    revisions: list[int] = []
    errors: list[str] = []

    def worker(start: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        for i in range(start, count, connections):
            body = json.dumps({"key": _b64(f"{prefix}{i}"), "value": _b64("x")})
            try:
                conn.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
                answer = conn.getresponse()
                data = answer.read()
                if answer.status != 200:
                    raise OSError(f"HTTP {answer.status}: {data[:200]!r}")
                revision = int(json.loads(data)["header"]["revision"])
            except (OSError, ValueError, KeyError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
                with lock:
                    errors.append(f"{prefix}{i}: {exc}")
                continue
            with lock:
                revisions.append(revision)
        conn.close()

    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "url": url, "key_prefix": prefix, "count": count, "ok": len(revisions),
        "failed": len(errors), "first_errors": errors[:3],
        "first_revision": min(revisions, default=None),
        "last_revision": max(revisions, default=None),
        "epoch_start": round(t0, 6), "epoch_end": round(time.time(), 6),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("count", type=positive)
    parser.add_argument("prefix")
    parser.add_argument("--connections", type=positive, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(bulk_put(args.url, args.count, args.prefix, args.connections)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
