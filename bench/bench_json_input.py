"""What refusing over-deep JSON costs: `json_input.loads` next to `json.loads`.

    .venv/bin/python bench/bench_json_input.py [--repeat 7]

Anchor, measured in the same run: `json.loads` of the same bytes (what every
reader did before). Inputs:
- "reply": a small JSON-RPC reply (a receipt), the common case: fewer brackets
  than the depth limit, settled by two counts;
- "logs-N": an eth_getLogs-like reply of N logs (each an object with a topics
  array), past the limit in bracket count, so the exact depth scan runs;
- "escaped": the same with an escaped quote in every log (the escape pass runs).
Each figure is the median of `--repeat` timings of a loop sized to take about
0.2 s. The machine may be shared: read the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from numbers_cli.model import json_input


def _logs(count: int, escaped: bool) -> bytes:
    data = '0x"' if escaped else "0x"
    log = {
        "address": "0x" + "ab" * 20,
        "topics": ["0x" + "cd" * 32] * 3,
        "data": data + "00" * 256,
        "blockNumber": "0x10",
    }
    return json.dumps({"jsonrpc": "2.0", "id": 1, "result": [log] * count}).encode()


def _receipt() -> bytes:
    result = {"status": "0x1", "logs": [], "gasUsed": "0x5208", "transactionHash": "0x" + "ef" * 32}
    return json.dumps({"jsonrpc": "2.0", "id": 1, "result": result}).encode()


def _time(fn: Callable[[], object], repeat: int) -> float:
    loops = 1
    while True:  # size the loop to ~0.2 s
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        if time.perf_counter() - started > 0.2:
            break
        loops *= 2
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        runs.append((time.perf_counter() - started) / loops)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    inputs = {
        "reply": _receipt(),
        "logs-1000": _logs(1000, False),
        "logs-20000": _logs(20000, False),
        "escaped-20000": _logs(20000, True),
    }
    print(f"{'input':<14} {'bytes':>10} {'json.loads':>12} {'json_input':>12} {'ratio':>6}")
    for name, data in inputs.items():
        anchor = _time(lambda d=data: json.loads(d), repeat)
        ours = _time(lambda d=data: json_input.loads(d), repeat)
        print(
            f"{name:<14} {len(data):>10} {anchor * 1e3:>10.3f}ms {ours * 1e3:>10.3f}ms "
            f"{ours / anchor:>6.2f}"
        )


if __name__ == "__main__":
    main()
