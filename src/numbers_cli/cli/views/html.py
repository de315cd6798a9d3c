"""`nit trace --html FILE`: one self-contained page (no network at view time).

The page is templates/trace.html with templates/trace.css and trace.js
inlined, and the trace's JSON (the documented schema) plus thumbnails as
data: URIs in a JSON script block. Thumbnails are made with Pillow from image
assets whose file is in the repository, downscaled to fit THUMB pixels.
"""

from __future__ import annotations

import base64
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

from numbers_cli.ops.trace import Trace

THUMB = 160
#: Files larger than this are not read for a thumbnail (the page stays quick to make).
MAX_THUMB_SOURCE = 64 * 1024 * 1024


def _template(name: str) -> str:
    return resources.files("numbers_cli.cli.views").joinpath("templates", name).read_text("utf-8")


def _thumbnail(read: Any, nid: str) -> str | None:
    """A JPEG data: URI of the image `read(nid)` returns, or None if it is not an image."""
    from PIL import Image, UnidentifiedImageError

    data = read(nid)
    if data is None:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((THUMB, THUMB))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=75)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _script_json(value: Any) -> str:
    """JSON safe inside <script>: no '</' or '<!--' can end or confuse the block."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def render_html(trace: Trace, read_content: Any = None) -> str:
    """The page; `read_content(nid) -> bytes | None` gives image files for thumbnails."""
    thumbs: dict[str, str] = {}
    if read_content is not None:
        for node in trace.nodes.values():
            kind = str(node.fields.get("encodingFormat") or "")
            if node.content == "local" and kind.startswith("image/"):
                uri = _thumbnail(read_content, node.nid)
                if uri:
                    thumbs[node.nid] = uri
    data = {"trace": trace.to_json(), "thumbnails": thumbs}
    page = _template("trace.html")
    return (
        page.replace("/*NIT_CSS*/", _template("trace.css"))
        .replace("/*NIT_JS*/", _template("trace.js"))
        .replace("NIT_TITLE", f"Provenance of {trace.subject}")
        .replace("NIT_DATA", _script_json(data))  # last: no name in it is read as a marker
    )


def write_html(trace: Trace, path: Path, read_content: Any = None) -> None:
    from numbers_cli.fsio import atomic_write

    atomic_write(path, render_html(trace, read_content).encode("utf-8"))
