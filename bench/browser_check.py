"""Open HTML reports in headless Chromium, as a reader would, and check them.

    python -m bench.browser_check REPORT.html [REPORT.html ...] [--max-mb 1.5] [--screenshot-dir DIR]

For each page: no console error and no uncaught exception, every plotly figure drawn (an SVG with at least one
trace), and the headline table's first row inside the first 900 px of a 1200 px wide window. ``--max-mb`` caps the
file size (10⁶ bytes); ``--screenshot-dir`` writes the first screen (``first-screen.png``) and each event section
(``<event-id>.png``). Prints one line per page and exits non-zero on any failure.

Chromium is Debian's ``chromium`` (``$CHROMIUM`` to use another binary), driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: file descriptors 3 and 4 carry NUL-separated JSON), so no driver or package is needed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

WIDTH, FIRST_SCREEN = 1200, 900

STATUS_JS = """(() => {
  const figs = Array.from(document.querySelectorAll('.plotly-graph-div'));
  const drawn = figs.filter(f => f.querySelector('svg.main-svg') && f.querySelectorAll('.trace').length > 0);
  const row = document.querySelector('table.headline tbody tr:nth-child(2)');
  return JSON.stringify({figures: figs.length, drawn: drawn.length,
    undrawn: figs.filter(f => !drawn.includes(f)).map(f => f.id).slice(0, 10),
    plotly: typeof Plotly === 'object' ? Plotly.version : null,
    headline_bottom: row ? row.getBoundingClientRect().bottom + window.scrollY : null,
    height: document.documentElement.scrollHeight});
})()"""


RESULTS_JS = """(() => {
  const h2 = document.getElementById(%s);
  let el = h2.nextElementSibling, top = null;
  while (el && el.tagName !== 'H2') {
    if (el.tagName === 'H3' && el.textContent.startsWith('Cumulative abnormal')) top = el.getBoundingClientRect().top;
    if (el.tagName === 'H3' && el.textContent.startsWith('Daily abnormal') && top !== null)
      return JSON.stringify([top + window.scrollY - 8, el.getBoundingClientRect().top + window.scrollY - 8]);
    el = el.nextElementSibling;
  }
  return JSON.stringify(null);
})()"""


class Chromium:
    """One headless Chromium and its DevTools pipe."""

    def __init__(self, binary: str | None = None) -> None:
        exe = binary or os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            raise SystemExit("browser_check: no chromium on PATH (Debian: apt-get install chromium)")
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
                 "--no-first-run", "--disable-extensions", f"--window-size={WIDTH},{FIRST_SCREEN}",
                 "--remote-debugging-pipe", "about:blank"]  # fmt: skip
        command = " ".join([f"exec '{exe}'", *flags, f"3<&{to_child}", f"4>&{from_child}"])
        self.proc = subprocess.Popen(["bash", "-c", command], pass_fds=(to_child, from_child),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        os.close(to_child)
        os.close(from_child)
        self._next, self._buffer, self.events = 0, b"", []  # events: every notification received
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]

    def _read(self, timeout: float) -> dict[str, Any] | None:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._in], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, timeout: float = 60.0, session: bool = False, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            reply = self._read(left)
            if reply is None:
                break
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(f"{method}: no answer in {timeout} s")

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        return self.call(method, session=True, **params)

    def wait_for(self, method: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            event = self._read(left)
            if event is not None:
                self.events.append(event)
        return True

    def evaluate(self, expression: str) -> Any:
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._in)
        os.close(self._out)


def errors_of(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, uncaught exceptions and error log entries among DevTools notifications."""
    found = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            found.append(
                "console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            )
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            found.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            found.append("log: " + str(p["entry"].get("text")))
    return found


def screenshot(browser: Chromium, path: Path, y: float, height: float) -> None:
    clip = {"x": 0, "y": y, "width": WIDTH, "height": height, "scale": 1}
    shot = browser.page("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def check(report: Path, max_mb: float | None, shots: Path | None, timeout: float = 120.0) -> tuple[bool, str]:
    """Load ``report`` and check it; (passed, one line of findings)."""
    size = report.stat().st_size
    browser = Chromium()
    try:
        for domain in ("Page", "Runtime", "Log"):
            browser.page(f"{domain}.enable")
        started = time.monotonic()
        browser.page("Page.navigate", url=report.resolve().as_uri())
        loaded = browser.wait_for("Page.loadEventFired", timeout)
        status: dict[str, Any] = {}
        while time.monotonic() - started < timeout:  # plotly draws after load; wait until every figure has
            status = json.loads(browser.evaluate(STATUS_JS))
            if status["drawn"] == status["figures"]:
                break
            time.sleep(0.25)
        seconds = time.monotonic() - started
        errors = errors_of(browser.events)
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            screenshot(browser, shots / "first-screen.png", 0, FIRST_SCREEN)
            sections = json.loads(browser.evaluate(
                "JSON.stringify(Array.from(document.querySelectorAll('h2[id]')).map(h => [h.id, "
                "h.getBoundingClientRect().top + window.scrollY]))"
            ))  # fmt: skip
            for (name, top), (_, bottom) in zip(sections, [*sections[1:], ["", status["height"]]], strict=True):
                screenshot(browser, shots / f"{name}.png", top, min(bottom - top, 6000))
                results = json.loads(browser.evaluate(RESULTS_JS % json.dumps(name)))
                if results:  # an event: its CAR charts and the firm × window table
                    screenshot(browser, shots / f"{name}-results.png", results[0], results[1] - results[0])
    finally:
        browser.close()
    problems = [] if loaded else ["the page did not finish loading"]
    problems += errors
    if status.get("drawn") != status.get("figures") or not status.get("figures"):
        problems.append(f"figures drawn {status.get('drawn')}/{status.get('figures')}: {status.get('undrawn')}")
    bottom = status.get("headline_bottom")
    if bottom is None or bottom > FIRST_SCREEN:
        problems.append(f"headline table's first row ends at {bottom} px, not within the first {FIRST_SCREEN} px")
    if max_mb is not None and size > max_mb * 1e6:
        problems.append(f"{size / 1e6:.2f} MB > {max_mb} MB")
    line = (f"{report}: {size / 1e6:.2f} MB, plotly.js {status.get('plotly')}, {status.get('drawn')}/"
            f"{status.get('figures')} figures drawn in {seconds:.1f} s, headline row ends at {bottom} px, page "
            f"{status.get('height')} px tall, {len(errors)} console errors")  # fmt: skip
    return not problems, line + "".join(f"\n  FAIL {p}" for p in problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--max-mb", type=float, default=None, help="fail above this size (10^6 bytes)")
    parser.add_argument("--screenshot-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    ok = True
    for report in args.reports:
        if not report.is_file():
            print(f"{report}: no such file", file=sys.stderr)
            ok = False
            continue
        passed, line = check(report, args.max_mb, args.screenshot_dir)
        print(("ok   " if passed else "FAIL ") + line)
        ok &= passed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
