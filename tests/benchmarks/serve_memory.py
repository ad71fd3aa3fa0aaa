"""Memory of one served dashboard (issue 24): `python tests/benchmarks/serve_memory.py [--runs N]`.

Starts `pushover-tui serve` with a config pointing at a simulator in its own process, opens the
address in the machine's Chromium (Playwright), waits for the dashboard to draw its footer (the
last component built after the first frame), then reads the dashboard process's RSS (VmRSS) and
peak RSS (VmHWM) from /proc, and the server's own RSS for comparison. Each run is a fresh server
and tab; prints the median. Takes about 10 s per run. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _common import SimulatorProcess, write_config  # noqa: E402
from served import Server, launch_options, new_tab, rss_mib, why_no_browser  # noqa: E402


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmHWM for process {pid}")


async def one_run(env: dict[str, str]) -> tuple[float, float, float]:
    from playwright.async_api import async_playwright

    server = Server((), env)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options())
            tab = await new_tab(browser)
            await tab.open(server.url)
            (dashboard,) = server.dashboards()
            figures = (rss_mib(dashboard), peak_mib(dashboard), rss_mib(server.pid))
            await browser.close()
        server.stop()
        return figures
    finally:
        server.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    if (reason := why_no_browser()) is not None:
        print(f"cannot measure: {reason}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="serve-memory-") as scratch:
        folder = Path(scratch)
        simulator = SimulatorProcess(folder)
        try:
            env = write_config(folder, simulator.base_url)
            results = [asyncio.run(one_run(env)) for _ in range(runs)]
        finally:
            simulator.stop()
    rss, peak, server = (statistics.median(column) for column in zip(*results, strict=True))
    print(f"one served dashboard (median of {runs}), after its first full frame in Chromium:")
    print(f"  dashboard process RSS   {rss:6.1f} MiB   (peak {peak:.1f} MiB)")
    print(f"  serve process RSS       {server:6.1f} MiB   (shared by every tab)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
