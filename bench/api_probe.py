#!/usr/bin/env python3
"""Slow clients and pipelining against a running `cxagent serve` (issue 19).

slow-loris: N connections send a request head one byte per connection every 100 ms (the head
never completes); meanwhile GET /api/health on a fresh connection every 250 ms. Reports the
health latencies (median, max) and how many slow connections the server closed.
pipelining: K requests written in one send on one connection; reports how many were answered.
Bar (issue 19): 200 slow connections do not delay /api/health beyond 1 s; all pipelined
requests answered. Usage: bench/api_probe.py PORT [SLOW_CONNECTIONS...] (default 100 200)
"""
import http.client
import socket
import statistics
import sys
import threading
import time


def health_latency(port):
    start = time.monotonic()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/api/health")
        status = connection.getresponse().status
        connection.close()
    except OSError as error:
        return time.monotonic() - start, f"error {error}"
    return time.monotonic() - start, status


def slow_loris(port, count, seconds):
    head = b"GET /api/health HTTP/1.1\r\nHost: slow\r\nX-Padding: " + b"x" * 100000
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        sockets.append(s)
    closed = set()
    stop = threading.Event()

    def trickle():
        at = 0
        while not stop.is_set():
            for i, s in enumerate(sockets):
                if i in closed:
                    continue
                try:
                    s.send(head[at:at + 1])
                except OSError:
                    closed.add(i)
            at += 1
            time.sleep(0.1)

    thread = threading.Thread(target=trickle)
    thread.start()
    time.sleep(1.0)
    latencies, failures = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        latency, status = health_latency(port)
        latencies.append(latency)
        failures += status != 200
        time.sleep(0.25)
    stop.set()
    thread.join()
    for s in sockets:
        s.close()
    print(f"slow-loris: {count} slow connections, {len(latencies)} health checks: "
          f"median {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms, "
          f"failed {failures}, slow connections closed by the server {len(closed)}  "
          f"[{'ok' if max(latencies) < 1.0 and failures == 0 else 'BELOW BAR'}]")


def pipelining(port, count):
    request = b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    s.sendall(request * (count - 1) + last)
    received = b""
    start = time.monotonic()
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            received += chunk
    except socket.timeout:
        pass
    elapsed = time.monotonic() - start
    s.close()
    answered = received.count(b"HTTP/1.1 200")
    print(f"pipelining: {count} requests in one write, {answered} answered in {elapsed * 1000:.1f} ms  "
          f"[{'ok' if answered == count else 'BELOW BAR'}]")


def main():
    port = int(sys.argv[1])
    counts = [int(arg) for arg in sys.argv[2:]] or [100, 200]
    pipelining(port, 2)
    pipelining(port, 10)
    for count in counts:
        slow_loris(port, count, 10)


if __name__ == "__main__":
    main()
