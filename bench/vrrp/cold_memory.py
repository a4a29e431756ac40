#!/usr/bin/env python3
"""How slow memory is to touch again after it sat untouched (docs/benchmarks.md, "Failover
at the limit": why a BACKUP rehearses its takeover, crates/keel/src/daemon/run/prepare.rs).

    bench/vrrp/cold_memory.py [MIB [IDLE_SECONDS...]]   (default 64 MiB; 0 1 2 5 s)

Touches every 4 KiB page of an anonymous mapping once, then for each idle time: sleeps that
long and reads one byte of every page again, timing each read. On bare metal a read of a
mapped page costs well under a microsecond whatever the idle time; on a virtual machine
whose host reclaims idle guest memory the reads after an idle time are slow. Prints, per
idle time, the pages read, how many took over 20 µs, the slowest, and the total.
"""
import mmap
import sys
import time

PAGE = 4096


def main() -> None:
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    idles = [float(a) for a in sys.argv[2:]] or [0, 1, 2, 5]
    size = mib << 20
    memory = mmap.mmap(-1, size)
    for offset in range(0, size, PAGE):
        memory[offset] = 1
    clock = time.perf_counter_ns
    print(f"| idle (s) | pages | reads over 20 µs | slowest (µs) | all reads (ms) |")
    print("|---|---|---|---|---|")
    for idle in idles:
        time.sleep(idle)
        slow = 0
        slowest = 0
        total = 0
        for offset in range(64, size, PAGE):
            start = clock()
            memory[offset]
            took = clock() - start
            total += took
            slowest = max(slowest, took)
            slow += took > 20_000
        print(f"| {idle:g} | {size // PAGE} | {slow} | {slowest / 1000:.0f} | {total / 1e6:.1f} |")


if __name__ == "__main__":
    main()
