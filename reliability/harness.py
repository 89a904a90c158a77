#!/usr/bin/env python3
"""waypost's reliability scenarios, run on loopback against reliability/server.

Each scenario starts its own server, drives it with raw sockets (asyncio),
wrk, h2load, curl or nginx, checks what must hold, and records figures. The
report goes to stdout and, with --results, to a Markdown file. Every network
step is bounded in time; every scenario stops by itself.

    reliability/run                       # every scenario
    reliability/run --only fuzz --only tls
"""

import argparse
import asyncio
import datetime
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = HERE / "target" / "release" / "target-server"
STEP = 10.0  # seconds: the bound on any single network step


def log(message):
    print(message, file=sys.stderr, flush=True)


class Failure(Exception):
    """A property the scenario checks did not hold."""


def check(condition, message):
    if not condition:
        raise Failure(message)


# ---------------------------------------------------------------- the server

class Server:
    """One target-server process on 127.0.0.1, with settings as environment variables."""

    def __init__(self, port=0, **settings):
        env = dict(os.environ, PORT=str(port), LOG=settings.pop("LOG", "warn"))
        env.update({key: str(value) for key, value in settings.items()})
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen([str(SERVER)], env=env, stdout=subprocess.PIPE, stderr=self.stderr)
        line = self.process.stdout.readline().decode()
        match = re.match(r"listening on (\d+)", line)
        if not match:
            raise RuntimeError(f"the server did not start: {line!r}")
        self.port = int(match.group(1))

    def signal(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)

    def wait(self, timeout=STEP + 30):
        return self.process.wait(timeout=timeout)

    def alive(self):
        return self.process.poll() is None

    def rss_kib(self):
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))

    def logs(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=STEP)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------- raw HTTP/1.1

async def exchange(port, raw, read_for=STEP, host="127.0.0.1"):
    """Writes `raw`, reads until the server closes or `read_for` passes; returns
    (bytes read, how it ended: 'closed', 'reset' or 'open')."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), STEP)
    received = b""
    ended = "open"
    try:
        writer.write(raw)
        await asyncio.wait_for(writer.drain(), STEP)
        deadline = time.monotonic() + read_for
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                chunk = await asyncio.wait_for(reader.read(65536), left)
            except asyncio.TimeoutError:
                break
            if not chunk:
                ended = "closed"
                break
            received += chunk
    except (ConnectionResetError, BrokenPipeError):
        ended = "reset"
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionResetError, BrokenPipeError):
            pass
    return received, ended


async def get(port, path="/", read_for=STEP):
    """One GET on a fresh connection that asks to close: (status, body)."""
    raw = f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    received, _ = await exchange(port, raw, read_for)
    return parse_status(received), received.split(b"\r\n\r\n", 1)[-1]


def parse_status(received):
    match = re.match(rb"HTTP/1\.[01] (\d{3})", received)
    return int(match.group(1)) if match else None


def header(received, name):
    head = received.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# ---------------------------------------------------------------- scenarios

def scenario_shutdown(report):
    """200 slow requests in flight at SIGTERM all finish with 200; new
    connections are refused once the listener closes; a request that never
    ends is cut at the drain deadline; readiness answers 503 during the drain."""
    drain_ms, delay_ms, slow_ms = 3000, 500, 1500
    with Server(DRAIN=drain_ms, SHUTDOWN_DELAY=delay_ms, LOG="info") as server:
        async def run():
            slow = [asyncio.create_task(get(server.port, f"/slow?ms={slow_ms}")) for _ in range(200)]
            endless = asyncio.create_task(exchange(server.port, b"GET /forever HTTP/1.1\r\nHost: t\r\n\r\n"))
            await asyncio.sleep(0.3)
            ready_before, _ = await get(server.port, "/readyz")
            started = time.monotonic()
            server.signal(signal.SIGTERM)
            await asyncio.sleep(0.1)
            ready_during, body = await get(server.port, "/readyz")
            await asyncio.sleep(delay_ms / 1000)
            refused = False
            try:
                await asyncio.wait_for(asyncio.open_connection("127.0.0.1", server.port), 2)
            except (ConnectionRefusedError, OSError):
                refused = True
            results = await asyncio.gather(*slow)
            _, endless_ended = await endless
            cut_after = time.monotonic() - started
            return ready_before, ready_during, body, refused, results, endless_ended, cut_after

        ready_before, ready_during, body, refused, results, endless_ended, cut_after = asyncio.run(run())
        exit_code = server.wait()
        statuses = [status for status, _ in results]
        ok = statuses.count(200)
        check(ready_before == 200, f"readiness before the signal: {ready_before}")
        check(ready_during == 503 and b"shutting down" in body, f"readiness during the drain: {ready_during} {body!r}")
        check(ok == 200, f"slow requests finished with 200: {ok}/200 ({sorted(set(map(str, statuses)))})")
        check(refused, "a connection after the listener closed was accepted")
        check(endless_ended in ("closed", "reset"), f"the endless request: {endless_ended}")
        cut_after -= delay_ms / 1000  # the drain begins after the shutdown delay
        check(drain_ms / 1000 <= cut_after < drain_ms / 1000 + 3, f"cut {cut_after:.2f}s into the drain")
        check(exit_code == 0, f"exit code {exit_code}")
        logs = server.logs()
        summary = re.search(r"shut down.*", logs)
        report.row("shutdown under load",
                   f"200/200 slow requests (1.5 s) finished with 200 after SIGTERM; readiness 200 → 503 during the drain; "
                   f"new connections refused after the {delay_ms} ms shutdown delay; the endless request cut "
                   f"{cut_after:.2f} s into the drain (deadline {drain_ms / 1000:.0f} s); exit code 0; server log: "
                   f"`{summary.group(0).strip() if summary else 'no summary line'}`")


def scenario_rolling_restart(report, seconds):
    """Two instances behind nginx, steady wrk load, each restarted in turn by SIGTERM."""
    workdir = Path(tempfile.mkdtemp(prefix="waypost-rolling-"))
    ports = [free_port(), free_port()]
    proxy_port = free_port()
    config = workdir / "nginx.conf"
    config.write_text(f"""
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    upstream app {{
        server 127.0.0.1:{ports[0]} max_fails=1 fail_timeout=2s;
        server 127.0.0.1:{ports[1]} max_fails=1 fail_timeout=2s;
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{proxy_port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
""")
    settings = dict(DRAIN=5000)
    servers = [Server(port=port, **settings) for port in ports]
    nginx = subprocess.Popen(["nginx", "-c", str(config), "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        wait_listening(proxy_port)
        load = subprocess.Popen(
            ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{proxy_port}/slow?ms=50"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        restarts = []
        time.sleep(seconds / 5)
        for index in range(2):
            started = time.monotonic()
            servers[index].signal(signal.SIGTERM)
            code = servers[index].wait()
            servers[index] = Server(port=ports[index], **settings)
            restarts.append((time.monotonic() - started, code))
            time.sleep(seconds / 5)
        out, _ = load.communicate(timeout=seconds + 30)
        requests = int(re.search(r"(\d+) requests in", out).group(1))
        errors = re.search(r"Socket errors: (.*)", out)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        check(not errors, f"socket errors at the client: {errors.group(1) if errors else ''}")
        check(not non2xx, f"failed requests: {non2xx.group(1) if non2xx else 0}")
        check(all(code == 0 for _, code in restarts), f"exit codes {restarts}")
        report.row("rolling restart behind nginx",
                   f"{requests:,} requests of 50 ms each by wrk (64 connections, {seconds} s) through nginx to two instances, "
                   f"each restarted by SIGTERM in turn (drain and restart took "
                   f"{', '.join(f'{t:.2f} s' for t, _ in restarts)}): 0 failed requests, 0 socket errors")
    finally:
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(timeout=STEP)
        except subprocess.TimeoutExpired:
            nginx.kill()
        for server in servers:
            server.stop()


def scenario_slow_clients(report):
    """200 connections trickling header bytes do not slow a normal client, and
    are closed at the header timeout; an idle keep-alive connection is closed
    at the idle timeout."""
    header_ms, idle_ms = 2000, 1500

    async def latencies(port, count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        times = []
        for _ in range(count):
            started = time.monotonic()
            writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP)
            length = int(header(head, "content-length"))
            await asyncio.wait_for(reader.readexactly(length), STEP)
            times.append((time.monotonic() - started) * 1000)
        writer.close()
        return times

    async def trickle(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.monotonic()
        try:
            for byte in b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 1000:
                writer.write(bytes([byte]))
                await writer.drain()
                try:
                    chunk = await asyncio.wait_for(reader.read(1), 0.25)
                    if not chunk:
                        break
                except asyncio.TimeoutError:
                    pass
        except (ConnectionResetError, BrokenPipeError):
            pass
        writer.close()
        return time.monotonic() - started

    async def idle(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.readuntil(b"ok"), STEP)
        started = time.monotonic()
        try:
            chunk = await asyncio.wait_for(reader.read(1), STEP)
        except ConnectionResetError:
            chunk = b""
        writer.close()
        return time.monotonic() - started, chunk

    with Server(HEADER_TIMEOUT=header_ms, KEEP_ALIVE=idle_ms) as server:
        async def run():
            alone = await latencies(server.port, 2000)
            tricklers = [asyncio.create_task(trickle(server.port)) for _ in range(200)]
            await asyncio.sleep(0.5)
            crowded = await latencies(server.port, 2000)
            closed_after = await asyncio.gather(*tricklers)
            idle_closed = await idle(server.port)
            return alone, crowded, closed_after, idle_closed

        alone, crowded, closed_after, (idle_after, idle_chunk) = asyncio.run(run())
        p99_alone, p99_crowded = percentile(alone, 99), percentile(crowded, 99)
        check(p99_crowded < max(5 * p99_alone, 20), f"p99 {p99_alone:.2f} ms alone, {p99_crowded:.2f} ms with tricklers")
        check(all(header_ms / 1000 - 0.1 <= t < header_ms / 1000 + 1.5 for t in closed_after),
              f"tricklers closed after {min(closed_after):.2f}–{max(closed_after):.2f} s")
        check(idle_chunk == b"" and idle_ms / 1000 - 0.1 <= idle_after < idle_ms / 1000 + 1.5,
              f"idle connection closed after {idle_after:.2f} s")
        report.row("slow clients",
                   f"a normal client's p99 over 2,000 keep-alive requests: {p99_alone:.2f} ms alone, "
                   f"{p99_crowded:.2f} ms beside 200 connections trickling a head byte every 250 ms; the 200 "
                   f"closed after {min(closed_after):.2f}–{max(closed_after):.2f} s (header timeout "
                   f"{header_ms / 1000:.1f} s); an idle keep-alive connection closed after {idle_after:.2f} s "
                   f"(idle timeout {idle_ms / 1000:.1f} s)")


def scenario_limits(report):
    """Oversized heads 431, oversized bodies 413 (read by a client that writes
    its whole body first), malformed request lines 400; serving continues."""
    with Server() as server:
        async def upload_whole_body_first(port, length):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {length}\r\n\r\n".encode())
            chunk = b"x" * 65536
            sent = 0
            try:
                while sent < length:
                    writer.write(chunk)
                    await asyncio.wait_for(writer.drain(), STEP)
                    sent += len(chunk)
                received = await asyncio.wait_for(reader.read(), STEP)
                outcome = "read"
            except (ConnectionResetError, BrokenPipeError) as error:
                received, outcome = b"", type(error).__name__
            writer.close()
            return received, outcome, sent

        async def run():
            big_head = b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * (40 * 1024) + b"\r\n\r\n"
            head, _ = await exchange(server.port, big_head)
            upload, outcome, sent = await upload_whole_body_first(server.port, 16 * 1024 * 1024)
            bad_line, _ = await exchange(server.port, b"G@T /\x01 HTTP/1.1\r\nHost: t\r\n\r\n")
            bad_version, _ = await exchange(server.port, b"GET / HTTP/9.9\r\nHost: t\r\n\r\n")
            after = await get(server.port)
            return head, upload, outcome, sent, bad_line, bad_version, after

        head, upload, outcome, sent, bad_line, bad_version, after = asyncio.run(run())
        problem = "application/problem+json"
        check(parse_status(head) == 431 and header(head, "content-type") == problem, f"big head: {head[:120]!r}")
        check(outcome == "read" and parse_status(upload) == 413 and header(upload, "content-type") == problem,
              f"16 MiB upload: {outcome}, {upload[:120]!r}")
        check(parse_status(bad_line) == 400 and header(bad_line, "content-type") == problem, f"bad line: {bad_line[:120]!r}")
        check(parse_status(bad_version) in (400, 505), f"bad version: {bad_version[:120]!r}")
        check(after[0] == 200 and server.alive(), f"after: {after}")
        report.row("limits",
                   f"a 40 KiB head: 431 problem+json; a 16 MiB upload written whole before reading: "
                   f"its 413 problem+json read, no reset ({sent // (1024 * 1024)} MiB sent); a malformed request "
                   f"line: 400 problem+json; `HTTP/9.9`: {parse_status(bad_version)}; then `GET /` 200")


# ---------------------------------------------------------------- fuzz

VALID = [
    b"GET / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /users/42 HTTP/1.1\r\nHost: t\r\nAccept: */*\r\n\r\n",
    b"GET /slow?ms=1 HTTP/1.1\r\nHost: t\r\n\r\n",
    b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /readyz HTTP/1.0\r\n\r\n",
]
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        kind = rng.randrange(6)
        at = rng.randrange(len(data) + 1)
        if kind == 0 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif kind == 1:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == 2:
            del data[at:at + rng.randint(1, 16)]
        elif kind == 3:
            data = data[:at]
        elif kind == 4:
            data[at:at] = rng.choice([b"\r\n", b"\n", b":", b" ", b"\x00", b"%", b"Content-Length: 99999999\r\n",
                                      b"Transfer-Encoding: chunked\r\n", b"Host: x\r\n", b"\xff\xfe"])
        else:
            data[at:at] = data[:rng.randint(0, len(data))]
    return bytes(data)


def h2_frame(rng):
    kind = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, rng.randrange(256)])
    flags = rng.randrange(256)
    stream = rng.choice([0, 1, 3, 2, rng.randrange(2 ** 31)])
    payload = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 4, 6, 8, 9, rng.randint(0, 300)])))
    length = len(payload) if rng.random() < 0.9 else rng.randrange(2 ** 24)
    return length.to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def fuzz_case(rng):
    roll = rng.random()
    if roll < 0.55:
        return "h1 mutated", mutate(rng, rng.choice(VALID))
    if roll < 0.65:
        return "random bytes", bytes(rng.randrange(256) for _ in range(rng.randint(1, 400)))
    if roll < 0.75:
        return "h1 pipelined", b"".join(mutate(rng, rng.choice(VALID)) for _ in range(rng.randint(2, 5)))
    frames = b"".join(h2_frame(rng) for _ in range(rng.randint(1, 8)))
    if rng.random() < 0.2:
        frames = mutate(rng, frames)
    return "h2 frames", H2_PREFACE + frames


def scenario_fuzz(report, count, seed):
    """A seeded stream of random and mutated requests leaves the server alive and answering correctly."""
    rng = random.Random(seed)
    outcomes = {}
    with Server(HEADER_TIMEOUT=1000) as server:
        async def one(kind, data, semaphore):
            async with semaphore:
                try:
                    received, ended = await exchange(server.port, data, read_for=1.5)
                except (ConnectionResetError, ConnectionRefusedError, OSError) as error:
                    received, ended = b"", type(error).__name__
                status = parse_status(received)
                key = (kind, status if status else ("h2 frames" if received and kind == "h2 frames" else ended))
                outcomes[key] = outcomes.get(key, 0) + 1

        async def run():
            semaphore = asyncio.Semaphore(64)
            cases = [fuzz_case(rng) for _ in range(count)]
            for start in range(0, count, 1000):
                await asyncio.gather(*(one(kind, data, semaphore) for kind, data in cases[start:start + 1000]))
                status, body = await get(server.port)
                check(status == 200 and body == b"ok", f"after {start + 1000} cases: {status} {body!r}")
            return await get(server.port, "/users/7")

        started = time.monotonic()
        after = asyncio.run(run())
        elapsed = time.monotonic() - started
        check(server.alive(), "the server died")
        check(after == (200, b"user 7"), f"after the fuzz: {after}")
        h2 = subprocess.run(["h2load", "-n", "100", "-c", "2", f"http://127.0.0.1:{server.port}/"],
                            capture_output=True, text=True, timeout=STEP * 3).stdout
        check("100 succeeded" in h2, f"HTTP/2 after the fuzz:\n{h2}")
        check("panicked" not in server.logs(), "a panic was logged")
    summary = {}
    for (kind, outcome), n in outcomes.items():
        summary.setdefault(kind, []).append(f"{outcome}: {n}")
    report.row("fuzz",
               f"{count:,} cases (seed {seed}) in {elapsed:.0f} s: " +
               "; ".join(f"{kind} ({', '.join(sorted(items, key=str))})" for kind, items in sorted(summary.items())) +
               "; afterwards alive, `GET /users/7` right, 100/100 HTTP/2 requests by h2load, no panic logged")


SOAK_LUA = """
-- The same mix every round: plaintext, a path parameter, a timer, a 64 KiB upload.
local upload = string.rep("x", 65536)
local counter = 0
request = function()
    counter = counter + 1
    local pick = counter % 4
    if pick == 0 then return wrk.format("GET", "/") end
    if pick == 1 then return wrk.format("GET", "/users/42") end
    if pick == 2 then return wrk.format("GET", "/slow?ms=1") end
    return wrk.format("POST", "/upload", {["Content-Type"] = "application/octet-stream"}, upload)
end
"""


def soak_rounds(seconds, rounds, **settings):
    """RSS samples (name, KiB) of one server through `rounds` rounds of the same load, and the requests served."""
    script = Path(tempfile.mkdtemp(prefix="waypost-soak-")) / "mix.lua"
    script.write_text(SOAK_LUA)
    with Server(**settings) as server:
        wait_listening(server.port)
        samples = [("start", server.rss_kib())]
        total = 0
        per_round = max(5, seconds // rounds)
        for index in range(rounds):
            out = subprocess.run(["wrk", "-t2", "-c256", f"-d{per_round}s", "-s", str(script),
                                  f"http://127.0.0.1:{server.port}/"],
                                 capture_output=True, text=True, timeout=per_round + 30).stdout
            total += int(re.search(r"(\d+) requests in", out).group(1))
            check("Non-2xx" not in out and "Socket errors" not in out, f"round {index + 1}:\n{out}")
            time.sleep(2)
            samples.append((f"after round {index + 1}", server.rss_kib()))
        time.sleep(3)
        samples.append(("idle at the end", server.rss_kib()))
    return samples, total, per_round


def scenario_soak(report, seconds, rounds):
    """The same load in rounds, idle between them: RSS at start, after each
    round, at the end. A leak grows with every round; memory an allocator
    keeps stops growing. The long run uses the setting the README recommends
    for long-running servers (`MALLOC_ARENA_MAX=2`, which bounds what glibc's
    per-thread arenas can keep); a shorter run with glibc's default is
    reported beside it."""
    samples, total, per_round = soak_rounds(seconds, rounds, MALLOC_ARENA_MAX=2)
    after_first = samples[1][1]
    later_peak = max(kib for _, kib in samples[2:])
    growth_kib = later_peak - after_first
    # Noise: a few pages per thread and buffer pool; past 10% (and 2 MiB) of the warm size is growth.
    check(growth_kib < max(after_first // 10, 2048), f"RSS kept growing after the first round: {samples}")
    default, default_total, default_round = soak_rounds(seconds // 2, rounds)
    default_growth = max(kib for _, kib in default[2:]) - default[1][1]
    retained = default[-1][1] - samples[-1][1]
    if default_growth < max(default[1][1] // 10, 2048):
        verdict = "no growth with either"
    else:
        verdict = ("with glibc's default it creeps, and with two arenas it does not: memory kept in "
                   "glibc's per-thread arenas, not a leak")
    report.row("soak",
               f"{total:,} requests in {rounds} rounds of {per_round} s (wrk, 256 connections; GET /, "
               f"/users/42, /slow?ms=1 and a 64 KiB POST in turn), 2 s idle between, `MALLOC_ARENA_MAX=2`: RSS "
               + ", ".join(f"{name} {kib / 1024:.1f} MiB" for name, kib in samples)
               + f"; from the first round to the last {growth_kib / 1024:+.1f} MiB: no growth, no leak. "
               f"glibc's default arenas, {default_total:,} requests in {rounds} rounds of {default_round} s: "
               + ", ".join(f"{name} {kib / 1024:.1f} MiB" for name, kib in default)
               + f"; {default_growth / 1024:+.1f} MiB at most after the first round, {retained / 1024:+.1f} MiB at the "
               f"end against two arenas: {verdict}")


def scenario_tls(report):
    """HTTP/1.1 and HTTP/2 over TLS with a generated certificate."""
    workdir = tempfile.mkdtemp(prefix="waypost-tls-")
    with Server(TLS_DIR=workdir) as server:
        cert = os.path.join(workdir, "cert.pem")
        url = f"https://localhost:{server.port}/users/7"
        resolve = f"localhost:{server.port}:127.0.0.1"
        results = {}
        for flag, name in (("--http1.1", "HTTP/1.1"), ("--http2", "HTTP/2")):
            out = subprocess.run(["curl", "-sS", flag, "--cacert", cert, "--resolve", resolve,
                                  "-w", "\n%{http_code} %{http_version}", url],
                                 capture_output=True, text=True, timeout=STEP)
            results[name] = out.stdout.strip().splitlines()
            check(out.returncode == 0, f"curl {flag}: {out.stderr}")
        check(results["HTTP/1.1"] == ["user 7", "200 1.1"], f"HTTP/1.1: {results['HTTP/1.1']}")
        check(results["HTTP/2"] == ["user 7", "200 2"], f"HTTP/2: {results['HTTP/2']}")
        h2 = subprocess.run(["h2load", "-n", "1000", "-c", "4", url.replace("localhost", "127.0.0.1")],
                            capture_output=True, text=True, timeout=STEP * 3).stdout
        check("1000 succeeded" in h2 and "h2" in h2, f"h2load over TLS:\n{h2}")
    report.row("TLS", "curl over HTTP/1.1 and HTTP/2 (ALPN) with the generated certificate: `200 user 7` both; "
                      "h2load: 1,000/1,000 HTTP/2 requests over TLS")


def scenario_files(report):
    """Files checked by reference clients: curl's --range, resume (-C -) and
    conditional requests, python's http.client with several ranges parsed as
    MIME by the email package, HEAD; then a 1 GiB file with the RSS it costs."""
    import email.parser
    import hashlib
    import http.client

    workdir = tempfile.mkdtemp(prefix="waypost-files-")
    data = random.Random(20261127).randbytes(1_000_003)
    Path(workdir, "data.bin").write_bytes(data)
    with open(Path(workdir, "big.bin"), "wb") as big:
        big.truncate(1 << 30)  # sparse: a gigabyte of zeros on no disk
    with Server(FILES_DIR=workdir) as server:
        url = f"http://127.0.0.1:{server.port}/files/data.bin"
        out = Path(workdir, "out")

        def curl(*args):
            run = subprocess.run(["curl", "-sS", "-o", str(out), "-w", "%{http_code}", *args, url],
                                 capture_output=True, text=True, timeout=STEP * 3)
            check(run.returncode == 0, f"curl {args}: {run.stderr}")
            return run.stdout

        check(curl("--range", "100-199") == "206" and out.read_bytes() == data[100:200], "curl --range 100-199")
        check(curl("--range", "-17") == "206" and out.read_bytes() == data[-17:], "curl --range -17")
        check(curl("--range", "2000000-") == "416", "curl --range past the end: 416")
        # Resume: a partial copy completed by curl -C -.
        out.write_bytes(data[:300_000])
        check(curl("-C", "-") == "206" and out.read_bytes() == data, "curl -C - resumes to the whole file")
        # Conditional: curl -z with the file's time, and If-None-Match with its tag.
        check(curl("-z", str(Path(workdir, "data.bin"))) == "304", "curl -z: 304")
        head = http.client.HTTPConnection("127.0.0.1", server.port, timeout=STEP)
        head.request("HEAD", "/files/data.bin")
        response = head.getresponse()
        check(response.status == 200 and response.read() == b"", "HEAD: 200, no body")
        check(response.getheader("content-length") == str(len(data)), "HEAD: the file's length")
        etag = response.getheader("etag")
        check(curl("-H", f"If-None-Match: {etag}") == "304", "If-None-Match: 304")

        # python's http.client, several ranges: multipart/byteranges parsed as MIME.
        asked = [(0, 9), (500_000, 500_099), (999_990, 1_000_002)]
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=STEP)
        connection.request("GET", "/files/data.bin",
                           headers={"Range": "bytes=" + ",".join(f"{a}-{b}" for a, b in asked)})
        response = connection.getresponse()
        body = response.read()
        check(response.status == 206, f"several ranges: {response.status}")
        check(int(response.getheader("content-length")) == len(body), "several ranges: Content-Length is the body")
        message = email.parser.BytesParser().parsebytes(
            b"Content-Type: " + response.getheader("content-type").encode() + b"\r\n\r\n" + body)
        parts = message.get_payload()
        check(len(parts) == len(asked), f"{len(parts)} parts")
        for part, (first, last) in zip(parts, asked):
            check(part["Content-Range"] == f"bytes {first}-{last}/{len(data)}", part["Content-Range"])
            check(part.get_payload(decode=True) == data[first:last + 1], f"part {first}-{last}")
        connection.close()

        # A gigabyte, read by curl at full speed: the server's memory stays flat.
        before = server.rss_kib()
        started = time.monotonic()
        run = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                              f"http://127.0.0.1:{server.port}/files/big.bin"],
                             capture_output=True, text=True, timeout=120)
        took = time.monotonic() - started
        after = server.rss_kib()
        check(run.stdout == f"200 {1 << 30}", f"1 GiB download: {run.stdout} {run.stderr}")
        check(after - before < 10 * 1024, f"1 GiB download grew RSS by {after - before} KiB")
    shutil.rmtree(workdir, ignore_errors=True)
    report.row("files", f"curl: `--range 100-199`, `--range -17` 206 with the right bytes, past the end 416, "
                        f"`-C -` resumed a 300,000-byte copy to the whole 1,000,003 bytes, `-z` and `If-None-Match` "
                        f"304; http.client: HEAD 200 with the length and no body, 3 ranges as multipart/byteranges "
                        f"parsed by python's email package, each part's Content-Range and bytes right; "
                        f"1 GiB read by curl in {took:.1f} s, server RSS {before / 1024:.1f} → {after / 1024:.1f} MiB")


# ---------------------------------------------------------------- plumbing

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port, timeout=STEP):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class Report:
    def __init__(self):
        self.rows = []
        self.failures = []

    def row(self, name, figures):
        self.rows.append((name, "pass", figures))
        log(f"   pass: {figures}")

    def fail(self, name, message):
        self.rows.append((name, "**FAIL**", message))
        self.failures.append(name)
        log(f"   FAIL: {message}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = ["shutdown", "rolling", "slow", "limits", "fuzz", "soak", "tls", "files"]
    parser.add_argument("--only", action="append", choices=names, help="run only these scenarios")
    parser.add_argument("--results", help="also write the report to this Markdown file")
    parser.add_argument("--fuzz-cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--soak-seconds", type=int, default=120)
    parser.add_argument("--soak-rounds", type=int, default=4)
    parser.add_argument("--rolling-seconds", type=int, default=20)
    options = parser.parse_args()
    chosen = options.only or names
    scenarios = {
        "shutdown": ("shutdown under load", lambda r: scenario_shutdown(r)),
        "rolling": ("rolling restart behind nginx", lambda r: scenario_rolling_restart(r, options.rolling_seconds)),
        "slow": ("slow clients", lambda r: scenario_slow_clients(r)),
        "limits": ("limits", lambda r: scenario_limits(r)),
        "fuzz": ("fuzz", lambda r: scenario_fuzz(r, options.fuzz_cases, options.seed)),
        "soak": ("soak", lambda r: scenario_soak(r, options.soak_seconds, options.soak_rounds)),
        "tls": ("TLS", lambda r: scenario_tls(r)),
        "files": ("files", lambda r: scenario_files(r)),
    }
    report = Report()
    started = time.monotonic()
    for name in names:
        if name not in chosen:
            continue
        title, run = scenarios[name]
        log(f"== {title}")
        try:
            run(report)
        except Failure as failure:
            report.fail(title, str(failure))
        except Exception as error:  # a broken scenario is a failure too, with its reason
            report.fail(title, f"{type(error).__name__}: {error}")
    elapsed = time.monotonic() - started

    lines = [
        "# Reliability results",
        "",
        f"Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Linux {platform.release()}  ",
        f"Command: `reliability/run {' '.join(sys.argv[1:])}`".rstrip() + f" ({elapsed:.0f} s)  ",
        "Server: `reliability/server` (waypost, release build), on 127.0.0.1.",
        "",
        "| scenario | result | figures |",
        "|---|---|---|",
        *[f"| {name} | {result} | {figures} |" for name, result, figures in report.rows],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if options.results:
        Path(options.results).write_text(text)
    sys.exit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
