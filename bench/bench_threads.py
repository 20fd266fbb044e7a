"""Threading benchmark: build the JWZ thread forest and its list rows for 10k and 100k
messages shaped like a mailing list (threads of 1-30 replies, references chains, some
parents missing, some references lost so the subject fallback works).

    python bench/bench_threads.py [--sizes 10000 100000]

Target (issue 17): under 1 s at 100k.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tuimail.core.threads import ThreadInput, build_threads, flatten


def corpus(n: int, seed: int = 7) -> list[ThreadInput]:
    rng = random.Random(seed)
    items: list[ThreadInput] = []
    i = 0
    while i < n:
        size = min(n - i, rng.choice((1, 1, 1, 2, 3, 5, 8, 13, 30)))
        topic = f"Topic {i}"
        chain: list[str] = []
        for k in range(size):
            mid = f"<b{i}@bench>"
            refs = chain[-10:] if k and rng.random() > 0.03 else []
            if k and rng.random() < 0.3:
                refs = refs[: rng.randint(1, len(refs))] if refs else refs
            if k == 0 and rng.random() < 0.02:
                refs = [f"<gone{i}@bench>"]
            subject = topic if k == 0 else f"Re: {topic}"
            items.append(
                ThreadInput(
                    i,
                    mid,
                    refs[-1] if refs else "",
                    " ".join(refs),
                    subject,
                    1.7e9 + i * 60,
                    rng.random() < 0.1,
                )  # fmt: skip
            )
            chain.append(mid)
            i += 1
    rng.shuffle(items)
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    for n in args.sizes:
        items = corpus(n)
        cpu = time.process_time()
        wall = time.perf_counter()
        roots = build_threads(items)
        built_cpu = time.process_time() - cpu
        lines = flatten(roots)
        done_cpu, done_wall = time.process_time() - cpu, time.perf_counter() - wall
        shut = time.process_time()
        collapsed = flatten(roots, collapse_all=True)
        collapse = time.process_time() - shut
        tracemalloc.start()  # a separate pass: tracing slows everything down
        flatten(build_threads(items))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{n:>7} messages: {len(roots):>6} threads; CPU build {built_cpu:.3f} s, rows "
            f"{done_cpu - built_cpu:.3f} s, total {done_cpu:.3f} s (wall {done_wall:.3f} s); "
            f"collapse all {collapse:.3f} s ({len(collapsed)} rows); {len(lines)} rows; "
            f"peak {peak / 1e6:.0f} MB traced"
        )


if __name__ == "__main__":
    main()
