"""The timing and the JSON the PyTorch scripts beside the shiftops benchmarks share.

Imported by pytorch_cpu.py, tsm_torch.py, network_torch.py and pointwise_torch.py, which run as
`python3 Benchmarks/<script>.py` (Python puts this folder on the import path). It needs no torch.
"""
import json
import statistics
import sys
import time


def add_timing_arguments(parser, repetitions, warmup):
    """The options of the scripts that time with `time_case`: --repetitions and --warmup (with these
    defaults), --warmup-seconds, --threads and --json."""
    parser.add_argument("--repetitions", type=int, default=repetitions)
    parser.add_argument("--warmup", type=int, default=warmup, help="at least this many warm-up calls per case")
    parser.add_argument("--warmup-seconds", type=float, default=0.3, help="and at least this long")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads; default PyTorch's own")
    parser.add_argument("--json", help="write the JSON here (default: standard output)")


def write_document(document, path):
    """The JSON the shiftops benchmarks read: to `path`, or to standard output without one."""
    text = json.dumps(document, indent=2) + "\n"
    if path:
        with open(path, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


def timed(body, warmup, repetitions, warmup_seconds):
    """Median and minimum seconds of `repetitions` calls after at least `warmup` calls and
    `warmup_seconds` of calls (steady state: oneDNN's primitives built, OpenMP's threads awake)."""
    start = time.perf_counter()
    calls = 0
    while calls < warmup or time.perf_counter() - start < warmup_seconds:
        body()
        calls += 1
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        body()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def time_case(cases, shape, name, body, warmup, repetitions, warmup_seconds, name_width):
    """Times `body` (see `timed`), appends its entry of the "cases" list (shape, case, median_ms,
    min_ms) to `cases`, prints it as one line on standard error (the name padded to `name_width`)
    and returns the entry with the median and minimum seconds, for a script to add its own fields."""
    median, minimum = timed(body, warmup, repetitions, warmup_seconds)
    case = {"shape": list(shape), "case": name, "median_ms": median * 1e3, "min_ms": minimum * 1e3}
    cases.append(case)
    print(f"pytorch {'x'.join(map(str, shape))} {name:<{name_width}} median {median * 1e3:8.3f} ms  min {minimum * 1e3:8.3f} ms",
          file=sys.stderr)
    return case, median, minimum
