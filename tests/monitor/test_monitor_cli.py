"""`nit monitor index` and `nit monitor scan` end to end, in-process, on real photos."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import MEDIA, Nit, ok
from tests.monitor.conftest import NEGATIVES, REGISTERED, reuse


def _tree(root: Path) -> dict[str, int]:
    """Every file outside .numbers/ with its size and mtime (to prove nothing else changed)."""
    out = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".numbers"]
        for name in files:
            path = Path(folder) / name
            out[str(path.relative_to(root))] = path.stat().st_mtime_ns
    return out


def test_scan_finds_reuses_in_a_folder_and_reports_bad_files(
    nit: Nit, workdir: Path, registered: dict[str, str]
) -> None:
    scraped = workdir / "scraped"
    (scraped / "deeper").mkdir(parents=True)
    (scraped / "a-crop.jpg").write_bytes(reuse(REGISTERED[0], "crop80"))
    (scraped / "deeper" / "b-flip.jpg").write_bytes(reuse(REGISTERED[1], "flip"))
    (scraped / "other.jpg").write_bytes(reuse(NEGATIVES[0], "jpeg30"))
    (scraped / "notes.txt").write_text("not an image, skipped in a folder\n")
    (scraped / "broken.jpg").write_bytes((MEDIA / NEGATIVES[1]).read_bytes()[:3000])
    (workdir / "plain.txt").write_text("named on the command line: reported\n")
    before = _tree(workdir)

    result = ok(nit("monitor", "scan", "scraped", "plain.txt", "missing.jpg", "--json"))
    doc = json.loads(result.stdout)
    assert doc["schemaVersion"] == 1
    assert doc["scanned"] == 3
    found = {(f["source"], f["nid"]) for f in doc["findings"]}
    assert found == {
        ("scraped/a-crop.jpg", registered[REGISTERED[0]]),
        ("scraped/deeper/b-flip.jpg", registered[REGISTERED[1]]),
    }
    crop = next(f for f in doc["findings"] if f["source"] == "scraped/a-crop.jpg")
    assert crop["name"] == REGISTERED[0]
    assert "crop" in crop["transform"] and crop["score"] >= 0.5
    assert crop["license"] == "CC-BY-4.0"
    assert crop["licensed"] is None  # a folder has no owner address to check
    errors = {e["source"]: e["error"] for e in doc["errors"]}
    assert set(errors) == {"scraped/broken.jpg", "plain.txt", "missing.jpg"}
    assert "truncated" in errors["scraped/broken.jpg"]
    assert "not an image" in errors["plain.txt"]
    assert _tree(workdir) == before  # nothing written outside .numbers/


def test_exit_codes_follow_git_diff(nit: Nit, workdir: Path, registered: dict[str, str]) -> None:
    (workdir / "hit.jpg").write_bytes(reuse(REGISTERED[0], "pad20"))
    (workdir / "miss.jpg").write_bytes(reuse(NEGATIVES[0], "pad20"))
    assert nit("monitor", "scan", "hit.jpg").exit_code == 0
    assert nit("monitor", "scan", "hit.jpg", "--exit-code").exit_code == 1
    assert nit("monitor", "scan", "miss.jpg", "nothing-here", "--exit-code").exit_code == 0
    text = ok(nit("monitor", "scan", "hit.jpg")).stdout
    assert REGISTERED[0] in text and "border" in text
    # a stricter threshold than any score: nothing reported
    doc = json.loads(ok(nit("monitor", "scan", "hit.jpg", "--min-score", "1", "--json")).stdout)
    assert all(f["score"] >= 1 for f in doc["findings"])


def test_index_is_incremental_and_skips_non_images(
    nit: Nit, workdir: Path, registered: dict[str, str]
) -> None:
    doc = json.loads(ok(nit("monitor", "index", "--json")).stdout)
    assert doc["indexed"] == [] and doc["alreadyIndexed"] == len(REGISTERED)
    (workdir / "readme.txt").write_text("text asset\n")
    (workdir / "new.jpg").write_bytes((MEDIA / "gps-DSCN0025.jpg").read_bytes())
    ok(nit("add", "readme.txt", "new.jpg"))
    ok(nit("commit", "-m", "more"))
    doc = json.loads(ok(nit("monitor", "index", "--json")).stdout)
    assert len(doc["indexed"]) == 1 and doc["total"] == len(REGISTERED) + 1
    failed = nit("monitor", "index", "readme.txt")
    assert failed.exit_code == 29 and "not an image or video asset" in failed.stderr


def test_scan_without_an_index_says_so(nit: Nit, repo: Path, workdir: Path) -> None:
    (workdir / "x.jpg").write_bytes((MEDIA / REGISTERED[0]).read_bytes())
    result = nit("monitor", "scan", "x.jpg")
    assert result.exit_code == 28
    assert "nit monitor index" in result.stderr and "Traceback" not in result.output


def test_corrupt_index_is_detected_and_rebuilt(
    nit: Nit, workdir: Path, registered: dict[str, str]
) -> None:
    monitor = workdir / ".numbers" / "monitor"
    prints = next(monitor.glob("prints-*.bin"))
    data = bytearray(prints.read_bytes())
    data[5] ^= 0xFF
    prints.write_bytes(bytes(data))
    (workdir / "hit.jpg").write_bytes(reuse(REGISTERED[2], "colour"))
    result = ok(nit("monitor", "scan", "hit.jpg", "--json"))
    assert "corrupt" in result.stderr and "rebuilt" in result.stderr
    doc = json.loads(result.stdout)
    assert [f["nid"] for f in doc["findings"]] == [registered[REGISTERED[2]]]
    # a manifest that is not JSON: `index` rebuilds it too
    (monitor / "manifest.json").write_text("{broken")
    result = ok(nit("monitor", "index", "--json"))
    doc = json.loads(result.stdout)
    assert doc["rebuilt"] is True and doc["total"] == len(REGISTERED)
    # damaged features of an asset: found when they are needed, rebuilt, and the match holds
    features = monitor / "features" / f"{registered[REGISTERED[2]]}.npz"
    features.write_bytes(b"garbage")
    result = ok(nit("monitor", "scan", "hit.jpg", "--json"))
    assert "corrupt" in result.stderr
    doc = json.loads(result.stdout)
    assert [f["nid"] for f in doc["findings"]] == [registered[REGISTERED[2]]]
    assert "corrupt" not in ok(nit("monitor", "scan", "hit.jpg")).stderr


def test_list_of_sources(nit: Nit, workdir: Path, registered: dict[str, str]) -> None:
    (workdir / "one.jpg").write_bytes(reuse(REGISTERED[0], "noise"))
    (workdir / "list.txt").write_text("# places to check\none.jpg\n\n@nested.txt\nnope.png\n")
    doc = json.loads(ok(nit("monitor", "scan", "@list.txt", "@absent.txt", "--json")).stdout)
    assert [f["source"] for f in doc["findings"]] == ["one.jpg"]
    assert {e["source"] for e in doc["errors"]} == {"@nested.txt", "nope.png", "@absent.txt"}
