"""The video figures of bench/bench_monitor.py: `nit monitor index` and `scan` of
videos as real processes, next to decoding the same files alone, in the same run.

Clips are written by OpenCV's VideoWriter (tests/support/video_clips.py) from
the camera photos in tests/fixtures/media: a registered 1280x720 MPEG-4 Part 2
clip (`SECONDS` s, 25 frames/s, a photo every 10 s with a slow zoom), and the
scanned copy: that clip cropped 8% a side and scaled to 854x480. Figures:

- scan: sampled frames matched per second of wall time (and seconds of video
  per second), for `nit monitor scan copy.mp4` as a process, start-up included;
- anchor: decoding the same file alone, in process, the way the scan samples
  it (every frame decoded, one a second converted) and every frame converted;
- index: `nit monitor index` of the registered clip, as a process, next to
  decoding that clip alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT / "tests" / "fixtures" / "media"
NIT = Path(sys.executable).with_name("nit")
SECONDS = 60
PHOTOS = (
    "gps-DSCN0010.jpg",
    "Canon_40D.jpg",
    "Nikon_D70.jpg",
    "Pentax_K10D.jpg",
    "Sony_HDR-HC3.jpg",
    "exif-org-nikon-e950.jpg",
)
KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def _decode(path: Path, every: float | None) -> tuple[float, int]:
    """Seconds to decode `path` alone and frames converted: one every `every`
    seconds (as the scan samples) or, with None, all of them."""
    import cv2

    started = time.perf_counter()
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    fps = capture.get(cv2.CAP_PROP_FPS)
    converted = index = 0
    due = 0.0
    while capture.grab():
        now = index / fps
        index += 1
        if every is not None and now + 1e-6 < due:
            continue
        ok, frame = capture.retrieve()
        converted += ok
        cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        due += every or 0.0
    capture.release()
    return time.perf_counter() - started, converted


def _nit(work: Path, *args: str) -> tuple[float, str]:
    env = {**os.environ, "HOME": str(work / "home"), "NIT_PRIVATE_KEY": KEY}
    env["XDG_CONFIG_HOME"] = str(work / "home" / ".config")
    started = time.perf_counter()
    done = subprocess.run(
        [str(NIT), *args], cwd=work / "repo", env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, done.stdout


def video_figures(work: Path, workers: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from tests.support.video_clips import reencode, slideshow

    repo = work / "repo"
    (work / "home").mkdir(parents=True, exist_ok=True)
    repo.mkdir(parents=True, exist_ok=True)
    photos = [MEDIA / name for name in PHOTOS]
    clip = slideshow(repo / "clip.mp4", photos, SECONDS / len(photos), 25, (1280, 720))
    copy = reencode(clip, work / "copy.mp4", "mp4v", size=(854, 480), crop=0.08)

    _nit(work, "init")
    _nit(work, "add", "clip.mp4")
    _nit(work, "commit", "-m", "clip")
    index_s, out = _nit(work, "monitor", "index", "--json", "--jobs", str(workers))
    kept = sum(json.loads(out)["videoFrames"].values())
    index_decode_s, _ = _decode(clip, 1.0)
    scan_s, out = _nit(work, "monitor", "scan", str(copy), "--json", "--jobs", str(workers))
    doc = json.loads(out)
    sampled = doc["videoFrames"]
    found = [f for f in doc["findings"] if f["name"] == "clip.mp4"]
    sampled_decode_s, converted = _decode(copy, 1.0)
    all_decode_s, decoded = _decode(copy, None)
    figures = {
        "seconds": SECONDS,
        "index_s": index_s,
        "index_frames_kept": kept,
        "index_decode_alone_s": index_decode_s,
        "scan_s": scan_s,
        "scan_frames": sampled,
        "scan_frames_per_s": sampled / scan_s,
        "scan_video_s_per_s": SECONDS / scan_s,
        "scan_frames_matched": len(found[0]["frames"]) if found else 0,
        "decode_sampled_s": sampled_decode_s,
        "decode_sampled_frames_per_s": converted / sampled_decode_s,
        "decode_all_frames_per_s": decoded / all_decode_s,
    }
    print()
    print(
        f"video scan: {figures['scan_frames_per_s']:.1f} sampled frames/s "
        f"({figures['scan_video_s_per_s']:.1f} s of video per second; `nit monitor scan` of a "
        f"{SECONDS} s 854x480 copy as a process, {sampled} frames, "
        f"{figures['scan_frames_matched']} matched the registered clip)"
    )
    print(
        f"  anchor, decoding the same file alone: {sampled_decode_s:.2f} s for the same "
        f"{converted} sampled frames ({SECONDS / sampled_decode_s:.0f} s of video per second); "
        f"every frame converted: {figures['decode_all_frames_per_s']:.0f} frames/s"
    )
    print(
        f"video index: {index_s:.1f} s for the registered {SECONDS} s 1280x720 clip "
        f"({kept} frames kept of {SECONDS} sampled), as a process "
        f"(anchor, decoding it alone: {index_decode_s:.2f} s)"
    )
    return figures


if __name__ == "__main__":
    import tempfile

    video_figures(Path(tempfile.mkdtemp(prefix="nit-bench-video-")), os.cpu_count() or 1)
