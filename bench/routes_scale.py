#!/usr/bin/env python3
"""Compile-time cost of `routes![]`: `cargo check` of one crate of N handlers,
with and without one `routes![]` that lists them all.

    python3 bench/routes_scale.py                 # N = 100, 1000, 2000
    python3 bench/routes_scale.py --n 300 --runs 3
    python3 bench/routes_scale.py --shared-prefix   # /api/<id>/r{i}: one long run of equal prefixes
    python3 bench/routes_scale.py --instructions    # rustc's instructions (valgrind), not seconds

Each handler is `#[get("/r{i}/items/<id>/sub{i % 7}")] async fn h{i}(id: u64)`
(with `--shared-prefix`, `/api/<id>/r{i}`: every route has a parameter after
the same segments, the case where hashes meet most).
The crates depend on this checkout's waypost by path and share one target
directory, so dependencies are checked once; each figure is the median of
`--runs` checks after touching the crate's source, with incremental
compilation off (the crate itself is checked from scratch, its dependencies
are not; with it on, rustc would reuse the const evaluation of the previous
check). The difference between the two columns is what the compile-time
conflict check (and the table) costs.

Wall time on a shared machine moves by 15% or more from run to run;
`--instructions` counts the instructions of the crate's own `rustc`
(`valgrind --tool=cachegrind`, about a minute per figure at N = 1000),
which repeat to well under 1%.
"""

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def source(n, with_routes, shared_prefix=False):
    lines = ["#![allow(dead_code)]", ""]
    for i in range(n):
        path = f"/api/<id>/r{i}" if shared_prefix else f"/r{i}/items/<id>/sub{i % 7}"
        lines.append(f'#[waypost::get("{path}")]')
        lines.append(f"async fn h{i}(id: u64) -> String {{ id.to_string() }}")
    lines.append("")
    lines.append("fn main() {")
    if with_routes:
        names = ", ".join(f"h{i}" for i in range(n))
        lines.append(f"    let routes = waypost::routes![{names}];")
        lines.append("    assert_eq!(routes.len(), %d);" % n)
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_crate(workdir, name, text):
    crate = workdir / name
    (crate / "src").mkdir(parents=True, exist_ok=True)
    (crate / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
        f'[dependencies]\nwaypost = {{ path = "{ROOT}", default-features = false }}\n\n[workspace]\n'
    )
    (crate / "src" / "main.rs").write_text(text)
    return crate


def check(crate, target):
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), CARGO_INCREMENTAL="0")
    (crate / "src" / "main.rs").touch()
    start = time.monotonic()
    subprocess.run(["cargo", "check", "-q"], cwd=crate, env=env, check=True)
    return time.monotonic() - start


def instructions(crate, target):
    """Instructions of the crate's `rustc` (proc macros included), counted by cachegrind."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), CARGO_INCREMENTAL="0")
    (crate / "src" / "main.rs").touch()
    verbose = subprocess.run(["cargo", "check", "-v"], cwd=crate, env=env, check=True,
                             capture_output=True, text=True).stderr
    command = [line for line in verbose.splitlines() if "Running `" in line][-1]
    command = command.split("Running `", 1)[1].rstrip("`")
    (crate / "src" / "main.rs").touch()
    run = subprocess.run(f"valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null {command}",
                         shell=True, cwd=crate, env=env, capture_output=True, text=True)
    for line in run.stderr.splitlines():
        if "I   refs:" in line or "I refs:" in line:
            return int(line.split(":")[1].strip().replace(",", ""))
    raise RuntimeError(f"no instruction count in valgrind's output:\n{run.stderr[-2000:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, action="append", help="handler counts (default 100, 1000, 2000)")
    parser.add_argument("--runs", type=int, default=3, help="checks per figure; the median is reported")
    parser.add_argument("--workdir", default=str(BENCH / "target" / "routes-scale"))
    parser.add_argument("--shared-prefix", action="store_true", help="paths /api/<id>/r{i} instead")
    parser.add_argument("--instructions", action="store_true", help="count rustc's instructions instead of timing")
    options = parser.parse_args()
    counts = options.n or [100, 1000, 2000]
    workdir = Path(options.workdir)
    target = workdir / "target"
    # Dependencies first, so that no figure includes them.
    check(write_crate(workdir, "warmup", source(1, True)), target)
    if options.instructions:
        print("| handlers | rustc instructions, handlers only | with `routes![]` of all | the check adds | per handler |")
        print("|---:|---:|---:|---:|---:|")
        for n in counts:
            counted = {}
            for with_routes in (False, True):
                name = f"scale_{n}_{'routes' if with_routes else 'plain'}{'_shared' if options.shared_prefix else ''}"
                crate = write_crate(workdir, name, source(n, with_routes, options.shared_prefix))
                check(crate, target)
                counted[with_routes] = instructions(crate, target)
            added = counted[True] - counted[False]
            print(f"| {n} | {counted[False] / 1e9:.2f} G | {counted[True] / 1e9:.2f} G | +{added / 1e9:.2f} G | {added / n / 1e6:.2f} M |", flush=True)
        return
    print("| handlers | `cargo check`, handlers only | with `routes![]` of all | the check adds |")
    print("|---:|---:|---:|---:|")
    for n in counts:
        seconds = {}
        for with_routes in (False, True):
            name = f"scale_{n}_{'routes' if with_routes else 'plain'}{'_shared' if options.shared_prefix else ''}"
            crate = write_crate(workdir, name, source(n, with_routes, options.shared_prefix))
            seconds[with_routes] = statistics.median(check(crate, target) for _ in range(options.runs))
        print(f"| {n} | {seconds[False]:.2f} s | {seconds[True]:.2f} s | {seconds[True] - seconds[False]:+.2f} s |", flush=True)


if __name__ == "__main__":
    main()
