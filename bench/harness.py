#!/usr/bin/env python3
"""Runs every benchmark of bench/ and prints one table; see bench/README.md.

Figures, per server and endpoint, each also as a ratio to raw hyper measured
in the same run:
  1. user-space instructions per request under callgrind: (Ir(2N) - Ir(N)) / N;
  2. req/s and p50/p99 latency with wrk (HTTP/1.1) and h2load (HTTP/2), medians of rounds;
  3. RSS idle and with 1,000 idle keep-alive connections;
plus router lookups (waypost vs matchit) and compile cost (waypost vs axum).
"""

import argparse
import asyncio
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RELEASE = BENCH / "target" / "release"
SERVER_CPU, CLIENT_CPU = "0", "1"
PORT = 9311

SERVERS = {
    "hyper": [str(RELEASE / "hyper")],
    "waypost": [str(RELEASE / "waypost")],
    # As `App::new()` gives it: panics caught, health routes on.
    "waypost, defaults": [str(RELEASE / "waypost"), "default"],
    "axum": [str(RELEASE / "axum")],
    "actix-web": [str(RELEASE / "actix")],
    "go net/http": [str(BENCH / "target" / "go-server"), "-routes", str(BENCH / "routes.txt")],
}
ECHO_BODY = b'{"id":42,"name":"waypost","tags":["fast","checked","compiled"],"active":true}'
ENDPOINTS = {
    "plaintext": ("GET", "/plaintext"),
    "json": ("GET", "/json"),
    "users/<id>": ("GET", "/users/42"),
    "echo": ("POST", "/echo"),
}
# Instruction counts also over HTTP/2 (prior knowledge), where a server speaks it.
H2_ENDPOINT = "plaintext, HTTP/2"


class Unsupported(Exception):
    """The server does not speak the protocol asked for."""
ENV = dict(os.environ, PORT=str(PORT), GOMAXPROCS="1")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def wait_for_port(timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {PORT} within {timeout}s")


# What wraps every route of the waypost and axum servers (BENCH_MIDDLEWARE);
# set by the middleware section only.
MIDDLEWARE = {"variant": "none"}
MIDDLEWARE_VARIANTS = [
    # (server, variant, what it is)
    ("hyper", "none", "raw hyper, no middleware"),
    ("waypost", "none", "no middleware, panics not caught"),
    ("waypost", "default", "`App::new()` as users get it: panics caught"),
    ("waypost", "noop5", "5 no-op `#[middleware]`, each wrapped on its own"),
    ("waypost", "noop5-tuple", "the same 5 wrapped together, `.wrap((a, b, c, d, e))`: composed at compile time"),
    ("waypost", "stack", "`RequestId` + `AccessLog` + `Timeout` + panic recovery, no subscriber"),
    ("waypost", "stack-sink", "the same, a `tracing-subscriber` fmt subscriber writing to a sink"),
    ("axum", "none", "no middleware"),
    ("axum", "noop5", "5 no-op `from_fn` layers"),
    ("axum", "stack", "tower-http `SetRequestId`(uuid) + `Trace` + `PropagateRequestId` + `CatchPanic` + `Timeout`, no subscriber"),
    ("axum", "stack-sink", "the same, a `tracing-subscriber` fmt subscriber writing to a sink"),
]


def start(command, wrapper=()):
    env = dict(ENV, BENCH_MIDDLEWARE=MIDDLEWARE["variant"])
    if wrapper:
        # Go preempts goroutines with SIGURG, which callgrind's signal
        # bookkeeping does not survive; under valgrind, preempt cooperatively.
        env = dict(env, GODEBUG="asyncpreemptoff=1", BENCH_EXIT_ROUTE="1")
    process = subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, *wrapper, *command],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port()
    except Exception:
        process.kill()
        raise
    return process


def stop(process, exit_route=False):
    if exit_route:
        # The Go server under valgrind: a signal would crash callgrind.
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=5) as connection:
                connection.sendall(b"POST /__exit HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
                connection.recv(1)
            process.wait(timeout=120)
            return
        except (OSError, subprocess.TimeoutExpired):
            pass
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def h2load_args(endpoint, body_file):
    method, path = ENDPOINTS.get(endpoint, ("GET", "/plaintext"))
    args = []
    if method == "POST":
        args += ["-d", body_file, "-H", "content-type: application/json"]
    return args, f"http://127.0.0.1:{PORT}{path}"


# ---------------------------------------------------------------- callgrind

def callgrind_total(command, endpoint, requests, body_file, workdir, attempts=2):
    """Total instructions of a server run that answered `requests` requests."""
    for attempt in range(attempts):
        try:
            return callgrind_once(command, endpoint, requests, body_file, workdir)
        except RuntimeError as error:
            if attempt + 1 == attempts:
                raise
            log(f"   retrying: {error}")


def callgrind_once(command, endpoint, requests, body_file, workdir):
    out = Path(workdir) / f"callgrind.{os.getpid()}.{time.monotonic_ns()}.out"
    wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no"]
    process = start(command, wrapper)
    try:
        args, url = h2load_args(endpoint, body_file)
        protocol = [] if endpoint == H2_ENDPOINT else ["--h1"]
        if requests:
            report = run(["taskset", "-c", CLIENT_CPU, "h2load", *protocol, "-n", str(requests), "-c", "1", "-m", "1", *args, url])
            succeeded = re.search(r"(\d+) succeeded", report)
            if not succeeded or int(succeeded.group(1)) != requests:
                if protocol == []:
                    raise Unsupported(endpoint)
                raise RuntimeError(f"h2load: not every request succeeded:\n{report}")
    finally:
        stop(process, exit_route=command[0].endswith("go-server"))
    text = out.read_text(errors="replace")
    match = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
    if not match:
        raise RuntimeError(f"no instruction total in {out}")
    return int(match.group(1)), out


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def instructions_per_request(command, endpoint, n, body_file, workdir, keep_profile=None):
    one, _ = callgrind_total(command, endpoint, n, body_file, workdir)
    two, profile = callgrind_total(command, endpoint, 2 * n, body_file, workdir)
    if keep_profile:
        shutil.copy(profile, keep_profile)
    return (two - one) / n


# ---------------------------------------------------------------- load

def cpu_seconds(pid):
    """User plus system CPU time the process has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(endpoint, seconds, lua, pid):
    """req/s, p50 and p99 latency (ms), and the server's CPU µs per request."""
    method, path = ENDPOINTS[endpoint]
    args = ["-s", lua] if method == "POST" else []
    cpu_before = cpu_seconds(pid)
    out = run(["taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c64", f"-d{seconds}s", "--latency", *args,
               f"http://127.0.0.1:{PORT}{path}"])
    cpu = cpu_seconds(pid) - cpu_before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses on {endpoint}")
    return rps, to_ms(latency["50"]), to_ms(latency["99"]), cpu * 1e6 / requests


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def h2load_rps(seconds):
    try:
        out = run(["taskset", "-c", CLIENT_CPU, "h2load", "-c", "16", "-m", "10", "-D", str(seconds),
                   f"http://127.0.0.1:{PORT}/plaintext"], timeout=seconds + 30)
    except (RuntimeError, subprocess.TimeoutExpired):
        return None
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", out)
    if not done or int(done.group(2)) == 0:
        return None
    return float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))


# ---------------------------------------------------------------- memory

def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def open_idle_connections(count):
    connections = []
    request = f"GET /plaintext HTTP/1.1\r\nhost: 127.0.0.1:{PORT}\r\n\r\n".encode()
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
        writer.write(request)
        connections.append((reader, writer))
    for reader, _ in connections:
        await asyncio.wait_for(reader.readuntil(b"Hello, World!"), 30)
    return connections


def rss_with_connections(pid, count):
    async def scenario():
        connections = await open_idle_connections(count)
        await asyncio.sleep(1.0)
        value = rss_kib(pid)
        for _, writer in connections:
            writer.close()
        return value
    return asyncio.run(scenario())


# ---------------------------------------------------------------- router and compile cost

def router_lookup_instructions(rounds, workdir):
    per = {}
    lookups = None
    for which in ("waypost", "matchit"):
        totals = []
        for r in (rounds, 2 * rounds):
            out = Path(workdir) / f"router.{which}.{r}.out"
            printed = run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no",
                           str(RELEASE / "router_lookups"), which, str(r)])
            lookups = int(printed.strip()) // r
            totals.append(int(re.search(r"^(?:summary|totals):\s+(\d+)", out.read_text(), re.M).group(1)))
        per[which] = (totals[1] - totals[0]) / (rounds * lookups)
    return per, lookups


def compile_apps(workdir, routes, runs):
    """Clean and incremental build time of the same 50-route app in waypost and in axum."""
    lines = [l for l in (BENCH / "routes.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
    routes_50 = [l.split(" ", 1) for l in lines[4:4 + routes]]
    results = {}
    for framework in ("waypost", "axum"):
        app = Path(workdir) / f"{framework}-app"
        (app / "src").mkdir(parents=True, exist_ok=True)
        dep = (f'waypost = {{ path = "{ROOT}" }}' if framework == "waypost" else
               'axum = { version = "0.8", default-features = false, features = ["http1", "json", "tokio"] }')
        (app / "Cargo.toml").write_text(
            f'[package]\nname = "{framework}-app"\nversion = "0.0.0"\nedition = "2021"\n\n[workspace]\n\n'
            f'[dependencies]\n{dep}\ntokio = {{ version = "1", features = ["rt-multi-thread", "macros", "net"] }}\n'
            f'serde = {{ version = "1", features = ["derive"] }}\n')
        modules = []
        for m in range(5):
            chunk = routes_50[m * 10:(m + 1) * 10]
            (app / "src" / f"handlers{m}.rs").write_text(handlers_source(framework, chunk, m))
            modules.append(f"handlers{m}")
        (app / "src" / "main.rs").write_text(main_source(framework, modules))
        target = app / "target"
        clean, incremental = [], []
        for _ in range(runs):
            shutil.rmtree(target, ignore_errors=True)
            clean.append(timed(["cargo", "build", "-q"], app))
            os.utime(app / "src" / "handlers2.rs")
            incremental.append(timed(["cargo", "build", "-q"], app))
        results[framework] = (statistics.median(clean), statistics.median(incremental))
    return results


def timed(command, cwd):
    started = time.monotonic()
    run(command, cwd=cwd)
    return time.monotonic() - started


def handlers_source(framework, routes, module):
    code = []
    for i, (method, path) in enumerate(routes):
        params = re.findall(r"\{(\w+)\}", path)
        name = f"h{module}_{i}"
        if framework == "waypost":
            wp = path.replace("{", "<").replace("}", ">")
            args = ", ".join(f"{p}: String" for p in params)
            body = " + ".join([f'"{path}".to_owned()'] + [f"&{p}" for p in params])
            code.append(f'#[waypost::route("{wp}", method = "{method}")]\npub async fn {name}({args}) -> String {{ {body} }}\n')
        else:
            if params:
                ty = "String" if len(params) == 1 else "(" + ", ".join("String" for _ in params) + ")"
                pat = params[0] if len(params) == 1 else "(" + ", ".join(params) + ")"
                args = f"axum::extract::Path({pat}): axum::extract::Path<{ty}>"
            else:
                args = ""
            body = " + ".join([f'"{path}".to_owned()'] + [f"&{p}" for p in params])
            code.append(f"pub async fn {name}({args}) -> String {{ {body} }}\n")
    if framework == "waypost":
        names = ", ".join(f"h{module}_{i}" for i in range(len(routes)))
        code.append(f"pub fn routes() -> &'static [waypost::Route] {{ waypost::routes![{names}] }}\n")
    else:
        code.append("pub fn routes(router: axum::Router) -> axum::Router {\n    router")
        for i, (method, path) in enumerate(routes):
            code.append(f'        .route("{path}", axum::routing::{method.lower()}(h{module}_{i}))')
        code.append("}\n")
    return "\n".join(code)


def main_source(framework, modules):
    mods = "".join(f"mod {m};\n" for m in modules)
    if framework == "waypost":
        mounts = "".join(f'.mount("/", {m}::routes())' for m in modules)
        return (f"{mods}\n#[tokio::main]\nasync fn main() {{\n    waypost::App::new(){mounts}\n"
                '        .serve("127.0.0.1:8080").await.unwrap();\n}\n')
    chain = "axum::Router::new()"
    for m in modules:
        chain = f"{m}::routes({chain})"
    return (f"{mods}\n#[tokio::main]\nasync fn main() {{\n    let app = {chain};\n"
            '    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();\n'
            "    axum::serve(listener, app).await.unwrap();\n}\n")


# ---------------------------------------------------------------- report

def ratio(value, floor):
    if value is None or floor in (None, 0):
        return "n/a"
    return f"{value / floor:.2f}×"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="N for callgrind (N and 2N are served)")
    parser.add_argument("--rounds", type=int, default=3, help="wrk/h2load rounds per server")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk/h2load run")
    parser.add_argument("--connections", type=int, default=1000, help="idle keep-alive connections for RSS")
    parser.add_argument("--compile-runs", type=int, default=1, help="builds per app for compile cost (0 skips)")
    parser.add_argument("--skip", action="append", default=[], help="skip a section: callgrind, middleware, load, memory, router, compile")
    parser.add_argument("--profiles", help="keep each server's 2N callgrind profile of this endpoint in bench/target/profiles")
    parser.add_argument("--results", help="also write the report to this file")
    options = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    workdir = tempfile.mkdtemp(prefix="waypost-bench-")
    body_file = Path(workdir) / "echo.json"
    body_file.write_bytes(ECHO_BODY)
    lua = Path(workdir) / "echo.lua"
    body = ECHO_BODY.decode().replace('"', '\\"')
    lua.write_text(f'wrk.method = "POST"\nwrk.body = "{body}"\nwrk.headers["Content-Type"] = "application/json"\n')

    report = []
    say = report.append
    say(f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  ")
    say(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {cpu_model()}, Linux {platform.release()}  ")
    say(f"Command: `bench/run {' '.join(sys.argv[1:])}`".rstrip() + "  ")
    say("Servers pinned to CPU 0 with one worker thread; clients pinned to CPU 1. Ratios are to raw hyper from the same run.\n")

    if "callgrind" not in options.skip:
        log(f"== callgrind: N={options.requests}")
        instr = {}
        profiles = BENCH / "target" / "profiles"
        profiles.mkdir(parents=True, exist_ok=True)
        columns = [*ENDPOINTS, H2_ENDPOINT]
        for name, command in SERVERS.items():
            for endpoint in columns:
                keep = None
                if options.profiles == endpoint:
                    keep = profiles / f"{name.split()[0]}.{endpoint.replace('/', '_')}.callgrind"
                try:
                    instr[name, endpoint] = instructions_per_request(command, endpoint, options.requests, str(body_file), workdir, keep)
                except Unsupported:
                    instr[name, endpoint] = None
                    log(f"   {name:12} {endpoint:11} n/a")
                    continue
                log(f"   {name:12} {endpoint:11} {instr[name, endpoint]:>9.0f} instr/request")
        say(f"### Instructions per request (callgrind, user space; (Ir(2N) − Ir(N)) / N, N = {options.requests}, one keep-alive connection, HTTP/1.1 unless marked)\n")
        say("| server | " + " | ".join(columns) + " |")
        say("|---|" + "---|" * len(columns))
        for name in SERVERS:
            cells = [
                "n/a (no h2c)" if instr[name, e] is None else f"{instr[name, e]:,.0f} ({ratio(instr[name, e], instr['hyper', e])})"
                for e in columns
            ]
            say(f"| {name} | " + " | ".join(cells) + " |")
        say("")

    if "middleware" not in options.skip:
        log(f"== middleware: callgrind, /plaintext, N={options.requests}")
        figures = {}
        for server, variant, _ in MIDDLEWARE_VARIANTS:
            MIDDLEWARE["variant"] = variant
            figures[server, variant] = instructions_per_request(SERVERS[server], "plaintext", options.requests, str(body_file), workdir)
            log(f"   {server:8} {variant:11} {figures[server, variant]:>9.0f} instr/request")
        MIDDLEWARE["variant"] = "none"
        say(f"### Middleware (callgrind, /plaintext, instructions per request, N = {options.requests}; ratios to raw hyper, and to the same server without middleware)\n")
        say("| server | middleware | instructions / request | × raw hyper | × same server, none |")
        say("|---|---|---|---|---|")
        for server, variant, what in MIDDLEWARE_VARIANTS:
            value = figures[server, variant]
            say(f"| {server} | {what} | {value:,.0f} | {ratio(value, figures['hyper', 'none'])} | {ratio(value, figures[server, 'none'])} |")
        say("")

    if "load" not in options.skip:
        log(f"== load: {options.rounds} rounds × {options.seconds}s")
        samples = {}
        names = list(SERVERS)
        for round_index in range(options.rounds):
            order = names[round_index % len(names):] + names[:round_index % len(names)]
            for name in order:
                process = start(SERVERS[name])
                try:
                    for endpoint in ENDPOINTS:
                        samples.setdefault((name, endpoint), []).append(wrk(endpoint, options.seconds, str(lua), process.pid))
                    samples.setdefault((name, "h2"), []).append(h2load_rps(options.seconds))
                finally:
                    stop(process)
                log(f"   round {round_index + 1}: {name} done")
        median = lambda values: statistics.median(values) if values else None
        say(f"### Throughput and latency (wrk -t1 -c64, {options.seconds}s, median of {options.rounds} rounds, then the range of the rounds; HTTP/2: h2load -c16 -m10 on /plaintext)\n")
        say("| server | " + " | ".join(f"{e} req/s" for e in ENDPOINTS) + " | HTTP/2 plaintext req/s |")
        say("|---|" + "---|" * (len(ENDPOINTS) + 1))
        rps = {}
        for name in SERVERS:
            for e in ENDPOINTS:
                rps[name, e] = median([s[0] for s in samples[name, e]])
            h2 = [v for v in samples[name, "h2"] if v is not None]
            rps[name, "h2"] = median(h2)
        for name in SERVERS:
            cells = []
            for e in ENDPOINTS:
                values = [sample[0] for sample in samples[name, e]]
                spread = f" {min(values) / 1000:.0f}–{max(values) / 1000:.0f}k" if len(values) > 1 else ""
                cells.append(f"{rps[name, e]:,.0f} ({ratio(rps[name, e], rps['hyper', e])}){spread}")
            h2 = rps[name, "h2"]
            cells.append("n/a (no h2c)" if h2 is None else f"{h2:,.0f} ({ratio(h2, rps['hyper', 'h2'])})")
            say(f"| {name} | " + " | ".join(cells) + " |")
        say("")
        say("| server | " + " | ".join(f"{e} p50 / p99 ms" for e in ENDPOINTS) + " |")
        say("|---|" + "---|" * len(ENDPOINTS))
        for name in SERVERS:
            cells = []
            for e in ENDPOINTS:
                p50 = median([s[1] for s in samples[name, e]])
                p99 = median([s[2] for s in samples[name, e]])
                cells.append(f"{p50:.2f} / {p99:.2f}")
            say(f"| {name} | " + " | ".join(cells) + " |")
        say("")
        say("Server CPU time (user + system) per request under that load, µs, median of the rounds. It moves")
        say("with the machine's other load too (caches, clock), so compare it across servers with care.\n")
        say("| server | " + " | ".join(ENDPOINTS) + " |")
        say("|---|" + "---|" * len(ENDPOINTS))
        cpu = {(name, e): median([s[3] for s in samples[name, e]]) for name in SERVERS for e in ENDPOINTS}
        for name in SERVERS:
            cells = [f"{cpu[name, e]:.1f} ({ratio(cpu[name, e], cpu['hyper', e])})" for e in ENDPOINTS]
            say(f"| {name} | " + " | ".join(cells) + " |")
        say("")

    if "memory" not in options.skip:
        log("== memory")
        say(f"### Resident memory (VmRSS, KiB): idle, and with {options.connections} idle keep-alive connections\n")
        say("| server | idle | with connections |")
        say("|---|---|---|")
        mem = {}
        for name, command in SERVERS.items():
            process = start(command)
            try:
                time.sleep(0.5)
                idle = rss_kib(process.pid)
                busy = rss_with_connections(process.pid, options.connections)
            finally:
                stop(process)
            mem[name] = (idle, busy)
        for name, (idle, busy) in mem.items():
            say(f"| {name} | {idle:,} ({ratio(idle, mem['hyper'][0])}) | {busy:,} ({ratio(busy, mem['hyper'][1])}) |")
        say("")

    if "router" not in options.skip:
        log("== router lookups")
        per, lookups = router_lookup_instructions(200, workdir)
        say(f"### Router lookups (callgrind, instructions per lookup over the {lookups} method+path pairs of bench/routes.txt)\n")
        say("| router | instructions / lookup |")
        say("|---|---|")
        say(f"| matchit, used directly (path tree + method list) | {per['matchit']:,.0f} |")
        say(f"| waypost `AppService::route_for` | {per['waypost']:,.0f} ({per['waypost'] / per['matchit']:.2f}× matchit) |")
        say("")

    if "compile" not in options.skip and options.compile_runs > 0:
        log("== compile cost")
        times = compile_apps(workdir, 50, options.compile_runs)
        say(f"### Compile cost of a 50-route app (debug build, median of {options.compile_runs}; clean includes dependencies)\n")
        say("| framework | clean build s | incremental (touch one handler file) s |")
        say("|---|---|---|")
        for name, (clean, incremental) in times.items():
            say(f"| {name} | {clean:.1f} ({ratio(clean, times['axum'][0])} axum) | {incremental:.2f} ({ratio(incremental, times['axum'][1])} axum) |")
        say("")

    text = "\n".join(report)
    print(text)
    if options.results:
        Path(options.results).write_text(text + "\n")
    shutil.rmtree(workdir, ignore_errors=True)


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
