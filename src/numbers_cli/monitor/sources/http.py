"""Images and videos on the web: an image or video URL, or an HTML page's `img`,
`srcset`, `og:image`, `video`/`source` and `og:video`.

Everything a hostile or broken server can do is bounded: the connection and
each read time out (`timeout`), a whole response must arrive within
`deadline` seconds (a server dripping one byte a second is cut off), bodies
are read in pieces and dropped past their cap (pages `MAX_PAGE_BYTES`, images
`MAX_IMAGE_BYTES`), redirects stop after MAX_REDIRECTS (a loop is reported as
one, and a redirect's body is never read: `http_replies.drop_redirect_body`),
and a page yields at most MAX_PAGE_IMAGES images. A body that is a video
(by its first bytes or a `video/*` type) is written to the scan's spool file
instead (`spool`), at most MAX_VIDEO_BYTES within VIDEO_DEADLINE seconds, so an
endless live stream is cut off and reported. Only http(s) is followed. Each
failure is one SourceError and the scan goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from numbers_cli import __version__
from numbers_cli.http_replies import drop_redirect_body, malformed_http
from numbers_cli.monitor.image import looks_like_image
from numbers_cli.monitor.sources import (
    MAX_IMAGE_BYTES,
    MAX_VIDEO_BYTES,
    FoundImage,
    FoundVideo,
    SourceError,
)

if TYPE_CHECKING:
    from pathlib import Path

    import requests

    from numbers_cli.monitor.sources.spool import Spool

MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_PAGE_IMAGES = 200
MAX_REDIRECTS = 5
TIMEOUT = 10.0
DEADLINE = 60.0
#: Seconds a whole video download may take.
VIDEO_DEADLINE = 600.0


class FetchError(Exception):
    """One URL could not be read; the message is the reason, in a few words."""


class WebSource:
    """Reads http(s) URLs with one session; use as a context manager or `close()`."""

    def __init__(
        self,
        timeout: float = TIMEOUT,
        deadline: float = DEADLINE,
        spool: Spool | None = None,
        video_deadline: float = VIDEO_DEADLINE,
    ) -> None:
        """Without a `spool`, videos are not read (their bodies count as images)."""
        self.timeout = timeout
        self.deadline = deadline
        self.video_deadline = video_deadline
        self.spool = spool
        self._session: requests.Session | None = None

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> WebSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> requests.Session:
        import requests

        if self._session is None:
            self._session = requests.Session()
            self._session.max_redirects = MAX_REDIRECTS
            self._session.headers["User-Agent"] = f"nit-monitor/{__version__}"
            self._session.trust_env = False  # no ~/.netrc credentials sent to scanned sites
            self._session.hooks["response"].append(drop_redirect_body)
        return self._session

    def fetch(self, url: str, cap: int | Callable[[str], int]) -> tuple[bytes, str]:
        """The body (at most `cap` bytes, else FetchError) and its content type.

        `cap` may depend on the content type the server declares (pages get less
        room than images), so a 50 MB page is cut off after 5 MiB, not read whole.
        """
        body, content_type = self._get(url, cap, videos=False)
        assert isinstance(body, bytes)
        return body, content_type

    def _get(
        self, url: str, cap: int | Callable[[str], int], videos: bool = True
    ) -> tuple[bytes | Path, str]:
        """The body, or (with a spool, `videos`) the spool file a video went to."""
        import requests

        from numbers_cli.monitor.sources.spool import SpoolError

        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError("only http(s) URLs are read")
        started = time.monotonic()
        limit = {"deadline": self.deadline}
        spool = self.spool if videos else None
        try:
            with self._open().get(url, stream=True, timeout=self.timeout) as response:
                if response.status_code >= 400:
                    raise FetchError(f"HTTP {response.status_code} {response.reason or ''}".strip())
                content_type = response.headers.get("Content-Type", "")
                if callable(cap):
                    cap = cap(content_type)
                room = max(cap, MAX_VIDEO_BYTES) if spool is not None else cap
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > room:
                    raise FetchError(f"larger than {_mib(room)} ({int(declared):,} bytes)")

                def chunks() -> Iterator[bytes]:
                    for chunk in response.iter_content(64 * 1024):
                        if time.monotonic() - started > limit["deadline"]:
                            raise FetchError(f"took longer than {limit['deadline']:g} s")
                        yield chunk

                if spool is None:
                    body: bytes | Path = _join(chunks(), cap)
                else:
                    body = spool.collect(
                        chunks(),
                        content_type,
                        cap,
                        on_video=lambda: limit.update(deadline=self.video_deadline),
                    )
                return body, content_type
        except SpoolError as exc:
            raise FetchError(str(exc)) from None
        except requests.TooManyRedirects:
            raise FetchError(f"redirect loop (more than {MAX_REDIRECTS} redirects)") from None
        except requests.Timeout:
            raise FetchError(f"no answer within {self.timeout:g} s") from None
        except requests.ConnectionError as exc:
            malformed = malformed_http(exc)
            if malformed:
                raise FetchError(f"malformed HTTP reply ({malformed})") from None
            if "timed out" in str(exc).lower():
                raise FetchError(f"no answer within {self.timeout:g} s") from None
            raise FetchError("cannot connect") from None
        except requests.RequestException as exc:
            raise FetchError(type(exc).__name__) from None

    def read(self, url: str) -> Iterator[FoundImage | SourceError]:
        """The image or video at `url`, or the images and videos of the page at `url`."""
        try:
            data, content_type = self._get(url, _cap_for)
        except FetchError as exc:
            yield SourceError(url, str(exc))
            return
        if not isinstance(data, bytes):
            yield FoundVideo(url, data, temporary=True)
            return
        if looks_like_image(data[:16]) or content_type.startswith("image/"):
            yield FoundImage(url, data)
            return
        if "html" not in content_type and b"<" not in data[:1024]:
            yield SourceError(
                url, f"neither an image nor an HTML page ({content_type or 'no type'})"
            )
            return
        if len(data) > MAX_PAGE_BYTES:
            yield SourceError(url, f"HTML page larger than {_mib(MAX_PAGE_BYTES)}")
            return
        images = page_images(data.decode(_charset(content_type), errors="replace"), url)
        for image_url in images[:MAX_PAGE_IMAGES]:
            try:
                body, _ = self._get(image_url, MAX_IMAGE_BYTES)
            except FetchError as exc:
                yield SourceError(image_url, str(exc))
                continue
            if isinstance(body, bytes):
                yield FoundImage(image_url, body, page=url)
            else:
                yield FoundVideo(image_url, body, page=url, temporary=True)
        if len(images) > MAX_PAGE_IMAGES:
            yield SourceError(url, f"more than {MAX_PAGE_IMAGES} images; the rest were not read")


def _join(chunks: Iterator[bytes], cap: int) -> bytes:
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > cap:
            raise FetchError(f"larger than {_mib(cap)}")
        parts.append(chunk)
    return b"".join(parts)


def _cap_for(content_type: str) -> int:
    return MAX_PAGE_BYTES if "html" in content_type.lower() else MAX_IMAGE_BYTES


def _mib(size: int) -> str:
    if size >= 2**30:
        return f"{size / 2**30:g} GiB"
    return f"{size / 2**20:g} MiB"


def _charset(content_type: str) -> str:
    for part in content_type.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            import codecs

            try:
                return codecs.lookup(value.strip("\"'")).name
            except LookupError:
                break
    return "utf-8"


_META_IMAGES = (
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "og:video",
    "og:video:url",
    "og:video:secure_url",
    "twitter:player:stream",
)


class _ImageLinks(HTMLParser):
    """Collects img/video/source src, the largest srcset candidate, and og:image,
    og:video, twitter:image and twitter:player:stream."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.base: str | None = None
        self._in_video = 0  # a <source src> counts inside <video> only (not <audio>)

    def handle_endtag(self, tag: str) -> None:
        if tag == "video":
            self._in_video = max(0, self._in_video - 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        elif tag in ("img", "source", "video"):
            if values.get("srcset"):
                self.found.append(_largest(values["srcset"]))
            if tag == "video":
                self._in_video += 1
            if values.get("src") and (tag != "source" or self._in_video):
                self.found.append(values["src"])
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key in _META_IMAGES and values.get("content"):
                self.found.append(values["content"])


def _largest(srcset: str) -> str:
    """The candidate of a srcset with the largest width (or density) descriptor."""
    best, best_size = "", -1.0
    for candidate in srcset.split(","):
        parts = candidate.strip().split()
        if not parts:
            continue
        size = 1.0
        if len(parts) > 1 and parts[1][:-1].replace(".", "", 1).isdigit():
            size = float(parts[1][:-1])
        if size > best_size:
            best, best_size = parts[0], size
    return best


def page_images(html: str, url: str) -> list[str]:
    """Absolute http(s) URLs of a page's images and videos, each once, in page order."""
    parser = _ImageLinks()
    parser.feed(html)
    parser.close()
    base = urljoin(url, parser.base) if parser.base else url
    seen: dict[str, None] = {}
    for link in parser.found:
        absolute = urljoin(base, link.strip())
        if urlsplit(absolute).scheme in ("http", "https"):
            seen.setdefault(absolute.split("#")[0], None)
    return list(seen)
