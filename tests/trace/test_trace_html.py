"""`nit trace --html` in a real browser: Debian's headless Chromium, network off.

The page of a 3-generation lineage (one version with a bad signature) is
opened from disk inside a new network namespace (`unshare -n`: no interface
but loopback, which nothing listens on), its rendered DOM is read back, and a
screenshot is kept in test-artifacts/ (kept by CI as the test's artefact).
Without chromium the test skips locally and fails in CI (tests/support/tools).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import REPO_ROOT, Nit, ok
from tests.support.store_damage import read_object, write_object
from tests.support.tools import require_tool
from tests.trace.test_trace import PHOTOS, make_lineage

ARTIFACTS = REPO_ROOT / "test-artifacts"


def _chromium() -> Path:
    return require_tool(shutil.which("chromium"), "chromium (Debian package `chromium`)")


def _browser(chromium: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(chromium),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    unshare = shutil.which("unshare")
    if unshare and os.geteuid() == 0:  # root (CI): a namespace with no network at all
        command = [unshare, "--net", *command]
    else:  # otherwise every name fails to resolve and no proxy is used
        command += ["--host-resolver-rules=MAP * ~NOTFOUND", "--no-proxy-server"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_html_page_renders_every_node_and_verdict_offline(
    nit: Nit, repo: Path, media: Any, signing_key: str, tmp_path: Path
) -> None:
    chromium = _chromium()
    a, b, c = make_lineage(nit, media)
    # A bad second version of the middle asset: its tree no longer matches what was signed.
    ok(nit("add", PHOTOS[1], "-m", "an AI edit, described again"))
    ok(nit("commit", "-m", "update"))
    history = json.loads(nit("log", b, "--json").stdout)  # newest first
    tree_cid = history[0]["commit"]["assetTreeCid"]
    damaged = read_object(repo, tree_cid).replace(b"described again", b"described anew!")
    write_object(repo, tree_cid, damaged)
    page = repo / "trace.html"
    result = nit("trace", b, "--html", str(page))
    assert result.exit_code == 11, result.output  # the damaged tree is reported
    html = page.read_text("utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing to load
    assert "data:image/jpeg;base64," in html  # thumbnails inline
    dom = _browser(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = re.sub(r"<script.*?</script>", "", dom.stdout, flags=re.S)  # what is shown
    assert 'data-rendered="yes"' in rendered, rendered[-2000:]
    for nid in (a, b, c):
        assert f'data-nid="{nid}"' in rendered  # in the graph and as a card
        assert f">{nid}</h3>" in rendered
    for name in PHOTOS:
        assert name in rendered
    assert rendered.count("✓ ok") == 2 * 3  # table and timeline of the three good versions
    assert rendered.count("✗ bad-tree") == 2  # the bad one, in its table and the timeline
    assert "FAIL their checks" in rendered
    assert rendered.count('<img src="data:image/jpeg;base64,') == 3
    assert "Timeline of versions" in rendered and "model-x" in rendered and "CC-BY-4.0" in rendered
    # Each parent with the versions naming it (b's second tree is damaged: it names none).
    assert f"{a} (named by version #0)" in rendered and f"{b} (named by version #0)" in rendered
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"trace-lineage-{os.getpid()}.png"
    taken = _browser(
        chromium,
        tmp_path / "profile2",
        f"--screenshot={shot}",
        "--window-size=1200,2000",
        page.as_uri(),
    )
    assert taken.returncode == 0 and shot.stat().st_size > 10_000, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_html_page_of_a_clean_lineage_says_so(
    nit: Nit, repo: Path, media: Any, signing_key: str, tmp_path: Path
) -> None:
    chromium = _chromium()
    a, _b, _c = make_lineage(nit, media)
    ok(nit("trace", a, "--html", "clean.html"))
    dom = _browser(chromium, tmp_path / "profile", "--dump-dom", (repo / "clean.html").as_uri())
    shown = re.sub(r"<script.*?</script>", "", dom.stdout, flags=re.S)
    assert "every version's checks hold" in shown
    assert "FAILED" not in shown and shown.count("✓ ok") == 6


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
