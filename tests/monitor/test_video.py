"""Decoding videos (monitor.video, monitor.keyframes) on real files written in the
test by OpenCV's VideoWriter from the fixture photos: sampling times, codecs,
and every kind of bad input the scan must survive."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from tests.conftest import MEDIA
from tests.support.video_clips import CODECS, reencode, slideshow

from numbers_cli.errors import UnreadableImage
from numbers_cli.monitor import video
from numbers_cli.monitor.keyframes import KeptFrames
from numbers_cli.monitor.video import VideoReader, VideoTruncated, looks_like_video

PHOTOS = [MEDIA / "gps-DSCN0012.jpg", MEDIA / "Nikon_D70.jpg"]


def _times(path: Path, step: float = 1.0, max_samples: int = 1000) -> list[float]:
    with VideoReader(path, path.name) as reader:
        return [frame.time for frame in reader.frames(step, max_samples)]


@pytest.mark.parametrize("fourcc", sorted(CODECS))
def test_frames_are_sampled_once_a_second_with_their_times(tmp_path: Path, fourcc: str) -> None:
    clip = slideshow(tmp_path / f"clip{CODECS[fourcc]}", PHOTOS, seconds=2.0, fps=10, fourcc=fourcc)
    with VideoReader(clip, clip.name) as reader:
        assert (reader.info.width, reader.info.height) == (640, 360)
        assert reader.info.frames == 40 and reader.info.duration == pytest.approx(4.0)
        frames = list(reader.frames(1.0))
    assert [f.time for f in frames] == pytest.approx([0.0, 1.0, 2.0, 3.0])
    assert frames[0].pixels.rgb.shape == (360, 640, 3)
    assert (frames[0].pixels.width, frames[0].pixels.height) == (640, 360)
    # the first two seconds show the first photo, the next two the second
    first, third = frames[0].pixels.rgb.mean(), frames[2].pixels.rgb.mean()
    assert abs(first - third) > 3


def test_sampling_step_and_cap(tmp_path: Path) -> None:
    clip = slideshow(tmp_path / "clip.mp4", PHOTOS, seconds=2.0, fps=10)
    assert _times(clip, step=0.5) == pytest.approx([0.5 * i for i in range(8)])
    # at most max_samples: the step widens to cover the whole video
    assert _times(clip, step=0.5, max_samples=2) == pytest.approx([0.0, 2.0])


def test_a_registered_video_keeps_its_scene_changes(tmp_path: Path) -> None:
    clip = slideshow(tmp_path / "clip.mp4", PHOTOS, seconds=3.0, fps=10)
    kept = KeptFrames(clip, "clip.mp4")
    frames = list(kept)
    times = [t for t, _ in frames]
    assert kept.sampled == 6 and kept.truncated is None
    assert times[0] == 0.0 and 3.0 in times  # the cut to the second photo
    assert 2 <= len(frames) < 6  # a slow zoom is not a new scene every second
    assert all(
        fp.prints.shape == (2, 32) and len(fp.features.descriptors) > 100 for _, fp in frames
    )


def test_sniffing_containers() -> None:
    assert looks_like_video(b"\x00\x00\x00\x18ftypmp42")
    assert looks_like_video(b"\x1a\x45\xdf\xa3\x01\x00")
    assert looks_like_video(b"RIFF\x00\x00\x00\x00AVI LIST")
    assert not looks_like_video(b"\xff\xd8\xff\xe0JFIF")
    assert not looks_like_video(b"GIF89a" + b"\x00" * 500)
    assert not looks_like_video(b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n")


def _error(path: Path) -> str:
    with pytest.raises(UnreadableImage) as caught, VideoReader(path, path.name) as reader:
        list(reader.frames())
    assert "\n" not in caught.value.message
    return caught.value.message


def test_bad_videos_are_one_line_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert "empty file" in _error(empty)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(bytes(range(256)) * 40)
    assert "not a video container" in _error(junk)
    playlist = tmp_path / "playlist.mp4"  # an HLS playlist reaching for another file
    playlist.write_text("#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n")
    assert "not a video container" in _error(playlist)
    headless = tmp_path / "headless.mp4"  # an MP4 cut before its index (moov) box
    mp4 = slideshow(tmp_path / "whole.mp4", PHOTOS, seconds=1.0, fps=10)
    headless.write_bytes(mp4.read_bytes()[: mp4.stat().st_size // 2])
    assert "truncated or corrupt" in _error(headless)


def test_a_truncated_video_yields_what_decodes_then_says_so(tmp_path: Path) -> None:
    clip = slideshow(tmp_path / "clip.webm", PHOTOS, seconds=2.0, fps=10, fourcc="VP90")
    cut = tmp_path / "cut.webm"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    times = []
    with pytest.raises(VideoTruncated) as caught, VideoReader(cut, "cut.webm") as reader:
        times.extend(frame.time for frame in reader.frames())
    assert times and times[0] == 0.0 and len(times) < 4
    assert "truncated or corrupt video" in caught.value.message
    assert "of the 40 frames its header lists" in caught.value.message


def test_a_huge_resolution_is_refused_before_decoding(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    wide = tmp_path / "wide.avi"
    writer = cv2.VideoWriter(str(wide), cv2.VideoWriter_fourcc(*"MJPG"), 1, (8200, 64))
    writer.write(np.zeros((64, 8200, 3), np.uint8))
    writer.release()
    assert "8200x64 px frames are longer than 8,192 px" in _error(wide)
    big = tmp_path / "big.avi"
    writer = cv2.VideoWriter(str(big), cv2.VideoWriter_fourcc(*"MJPG"), 1, (6400, 6400))
    writer.write(np.zeros((6400, 6400, 3), np.uint8))
    writer.release()
    assert "more than 36,000,000 pixels" in _error(big)


def test_a_video_bomb_is_refused_by_its_header_and_while_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = reencode(
        slideshow(tmp_path / "clip.mp4", PHOTOS, seconds=1.0, fps=10), tmp_path / "c.avi", "MJPG"
    )
    data = bytearray(clip.read_bytes())
    # AVI main header (avih) dwTotalFrames and the stream header (strh) dwLength
    struct.pack_into("<I", data, data.find(b"avih") + 8 + 16, 0x7FFFFFFF)
    struct.pack_into("<I", data, data.find(b"strh") + 8 + 32, 0x7FFFFFFF)
    bomb = tmp_path / "bomb.avi"
    bomb.write_bytes(bytes(data))
    assert "header claims 2,147,483,647 frames, more than 1,000,000" in _error(bomb)
    # a header that understates (5 frames of 20): the caps hold while decoding too
    struct.pack_into("<I", data, data.find(b"avih") + 8 + 16, 5)
    struct.pack_into("<I", data, data.find(b"strh") + 8 + 32, 5)
    liar = tmp_path / "liar.avi"
    liar.write_bytes(bytes(data))
    with VideoReader(liar, "liar.avi") as reader:
        assert reader.info.frames < 12
    monkeypatch.setattr(video, "MAX_FRAMES", 12)
    assert "more than 12 frames; stopped there" in _error(liar)
    monkeypatch.setattr(video, "MAX_FRAMES", 1_000_000)
    monkeypatch.setattr(video, "MAX_DURATION", 1.0)
    assert "longer than 1 s; stopped there" in _error(liar)
