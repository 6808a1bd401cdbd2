"""What a user sees: the counterexample diagram and the timeline page rendered by a real
browser (Debian's headless Chromium), and the pixels checked where the meaning is: the
violating step marked in its row, two leaders' bands in their lanes and in time order."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from raftcheck.cli import main

Image = pytest.importorskip("PIL.Image", reason="Pillow (the test extra) reads the screenshots")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (.ci/install-clusters "
                                "installs Debian's chromium)")
REPO = Path(__file__).resolve().parent.parent


def screenshot(page: Path, out: Path, width: int, height: int) -> np.ndarray:
    """The page as the browser draws it, as RGB pixels (rows, columns, 3)."""
    assert CHROMIUM is not None
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--force-device-scale-factor=1",
                    f"--window-size={width},{height}", f"--screenshot={out}",
                    page.resolve().as_uri()],
                   capture_output=True, timeout=120, check=True, cwd=out.parent)
    return np.asarray(Image.open(out).convert("RGB"))


def where(pixels: np.ndarray, colour: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the pixels of exactly this colour (#rrggbb)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return np.nonzero(np.all(pixels == rgb, axis=2))


def wide_rows(rows: np.ndarray, width: int) -> np.ndarray:
    """The rows (sorted) holding at least ``width`` of the pixels found."""
    found, counts = np.unique(rows, return_counts=True)
    return found[counts >= width]


def test_the_violating_step_is_marked_in_its_row(tmp_path: Path) -> None:
    svg = tmp_path / "cex.svg"
    assert main(["explore", "--mutant", "double-vote", "--diagram", str(svg)]) == 1
    text = svg.read_text()
    # the last step's row: the stripe drawn in the violation's colour
    marked = [line for line in text.split("<rect") if 'class="stripe"' in line
              and 'fill="#fee2e2"' in line]
    assert len(marked) == 1
    top = float(marked[0].split('y="')[1].split('"')[0])
    pixels = screenshot(svg, tmp_path / "cex.png", 900, 700)
    rows, _cols = where(pixels, "#fee2e2")
    band = wide_rows(rows, 300)  # the legend's small swatch of that colour is not a band
    assert band.size >= 30, band
    assert top - 1 <= band.min() and band.max() <= top + 41
    assert where(pixels, "#1f2937")[0].size > 0  # the server heads are drawn


def test_the_timeline_page_shows_each_leader_in_its_lane_in_time_order(tmp_path: Path) -> None:
    page = tmp_path / "timeline.html"
    run = REPO / "tests" / "data" / "etcd" / "3.5-slow-disk"  # node1 leads, then node3
    assert main(["timeline", str(run), "--html", str(page)]) == 0
    pixels = screenshot(page, tmp_path / "timeline.png", 1450, 900)
    rows, cols = where(pixels, "#2e7d32")  # the leader's band
    assert rows.size > 0, "no leader band drawn"
    drawn = wide_rows(rows, 100)  # bands, not the legend's swatch
    bands = np.split(drawn, np.nonzero(np.diff(drawn) > 1)[0] + 1)  # runs of adjacent rows
    assert len(bands) == 2, [(b.min(), b.max()) for b in bands]
    first, second = (cols[np.isin(rows, band)] for band in bands)
    # node1's lane above node3's; node1 led first, node3 after it
    assert first.max() < second.min()
