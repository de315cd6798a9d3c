"""nit monitor: find where registered images and videos are re-used (index, scan, watch)."""

from __future__ import annotations

from pathlib import Path

import click

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.progress import progress_for
from numbers_cli.ops.session import open_repo


@click.group(
    epilog=examples(
        "nit monitor index",
        "nit monitor scan ~/Downloads https://example.com/gallery --json",
        "nit monitor watch ~/inbox --every 10m --webhook https://hooks.example/nit",
    )
)
def monitor() -> None:
    """Find where registered images and videos are re-used, even cropped, flipped or re-encoded."""


@monitor.command(
    name="index",
    epilog=examples(
        "nit monitor index                 # every committed image and video asset",
        "nit monitor index photo.jpg bafk...",
        "nit monitor index --json",
    ),
)
@click.argument("assets", nargs=-1, metavar="[NID|FILE]...")
@click.option("--jobs", type=click.IntRange(min=1), help="Threads (default: all cores).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_env
def index_cmd(env: Env, assets: tuple[str, ...], jobs: int | None, as_json: bool) -> None:
    """Fingerprint committed image and video assets into .numbers/monitor/ (all by default).

    A video is sampled at one frame a second (fewer past an hour) and the
    frames where the picture changed are indexed, each with its time.
    Incremental: assets already indexed are not read again. A corrupt index
    is detected and rebuilt. Exit 29 when an asset named is not an image or video.
    """
    from numbers_cli.ops.monitor.index import index_assets

    repo, config = open_repo(env.cwd)
    progress = progress_for(env.err, bool(config.get("core.progress")))
    report = index_assets(repo, assets, progress, jobs)
    for note in report.notes:
        env.err.print(f"nit: {note}")
    if as_json:
        env.json(report.to_json())
        return
    for skipped in report.skipped:
        env.err.print(f"skipped {skipped['nid']}: {skipped['reason']}")
    videos = ""
    if report.frames:
        count = sum(report.frames.values())
        videos = f" ({len(report.frames)} video{'s' * (len(report.frames) != 1)}: {count} frames)"
    env.out.print(
        f"indexed {len(report.indexed)} new{videos}, {report.already} already indexed; "
        f"{report.total} in the index"
    )


def _scan_options(func):  # type: ignore[no-untyped-def]
    func = click.option(
        "--min-score",
        type=click.FloatRange(0, 1),
        default=None,
        help="Report matches scoring at least this (default: 0.5, the zero-false-match point).",
    )(func)
    func = click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        metavar="SECONDS",
        help="Longest wait for one answer from a web server, IPFS remote or chain (default 10).",
    )(func)
    func = click.option("--jobs", type=click.IntRange(min=1), help="Threads (default: all cores).")(
        func
    )
    return func


@monitor.command(
    epilog=examples(
        "nit monitor scan ~/Downloads                  # a folder of images and videos",
        "nit monitor scan clip.mp4 https://example.com/v.webm  # videos: a frame a second",
        "nit monitor scan https://example.com/gallery  # a page's img, srcset, og:image",
        "nit monitor scan ipfs://bafy... bafk...       # through this repository's IPFS remote",
        "nit monitor scan nft://devnet/0xAbC.../42     # tokenURI -> metadata -> image",
        "nit monitor scan @places.txt --json --exit-code",
    )
)
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@_scan_options
@click.option("--exit-code", is_flag=True, help="Exit 1 when something matched (like git diff).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_env
def scan(
    env: Env,
    sources: tuple[str, ...],
    min_score: float | None,
    timeout: float | None,
    jobs: int | None,
    exit_code: bool,
    as_json: bool,
) -> int:
    """Match the images and videos of files, folders, web pages, IPFS CIDs and NFTs
    against the index.

    SOURCE: a file or directory; an http(s) URL of an image, a video or an
    HTML page; ipfs://CID or a bare CID; nft://NETWORK/CONTRACT/TOKENID;
    @FILE (one source per line). Videos (MP4, MOV, MKV, WebM, AVI, FLV,
    MPEG-TS) are sampled at one frame a second; a finding in a video says
    when (and, for a registered video, where in it).

    Exit 0 whether or not anything matched (1 with --exit-code when something
    did); unreadable sources are listed under errors and never fail the scan;
    28 when nothing is indexed yet.
    """
    from numbers_cli.ops.monitor import scan as scan_op

    repo, config = open_repo(env.cwd)
    progress = progress_for(env.err, bool(config.get("core.progress")))
    report = scan_op.scan(
        repo,
        config,
        sources,
        cwd=env.cwd,
        min_score=scan_op.DEFAULT_MIN_SCORE if min_score is None else min_score,
        timeout=scan_op.DEFAULT_TIMEOUT if timeout is None else timeout,
        progress=progress,
        jobs=jobs,
    )
    for note in report.notes:
        env.err.print(f"nit: {note}")
    if as_json:
        env.json(report.to_json())
    else:
        _render_scan(env, report)
    return 1 if exit_code and report.findings else 0


def _render_scan(env: Env, report) -> None:  # type: ignore[no-untyped-def]
    from rich.markup import escape

    for f in report.findings:
        transform = "+".join(f["transform"]) or "same picture"
        name = f["name"] or f["nid"]
        licensed = {True: "licensed", False: "NOT licensed", None: "licence unknown"}[f["licensed"]]
        where = ""
        if f["frames"]:
            times = [frame["time"] for frame in f["frames"]]
            where = f" at {_clock(min(times))}" + (
                f"–{_clock(max(times))}" if max(times) > min(times) else ""
            )
        seen = f" at {_clock(f['registeredTime'])}" if f["registeredTime"] is not None else ""
        env.out.print(
            f"[bold]{escape(f['source'])}[/bold]{where}: {escape(name)}{seen} ({f['nid']}), "
            f"score {f['score']:.2f}, {transform}; licence {escape(str(f['license']))}, "
            f"owner {f['owner'] or 'unknown'}; {licensed}"
        )
    for e in report.errors:
        env.err.print(f"nit: cannot read {escape(e['source'])}: {escape(e['error'])}")
    videos = f" ({report.videos} videos, {report.frames} frames)" if report.videos else ""
    env.out.print(
        f"{report.scanned} files scanned{videos}, {len(report.findings)} findings, "
        f"{len(report.errors)} unreadable"
    )


def _clock(seconds: float) -> str:
    """0:07, 1:02:03.5: a time in a video as players show it."""
    whole, tenths = divmod(round(seconds * 10), 10)
    hours, rest = divmod(whole, 3600)
    text = f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
    return f"{text}.{tenths}" if tenths else text


@monitor.command(
    epilog=examples(
        "nit monitor watch ~/inbox --every 10m --webhook https://hooks.example/nit",
        "nit monitor watch @places.txt --every 1h --exec 'notify-send \"re-use found\"'",
    )
)
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--every",
    "every",
    required=True,
    metavar="DURATION",
    help="Time between scans: 30s, 10m, 2h, 1d (new files in watched folders are scanned "
    "within about a second).",
)
@click.option(
    "--webhook", "webhooks", multiple=True, metavar="URL", help="POST each new finding here."
)
@click.option(
    "--exec",
    "commands",
    multiple=True,
    metavar="CMD",
    help="Run CMD per new finding (JSON on stdin).",
)
@click.option("--rounds", type=click.IntRange(min=1), help="Stop after this many scheduled scans.")
@_scan_options
@click.option("--json", "as_json", is_flag=True, help="Print each new finding as one JSON line.")
@pass_env
def watch(
    env: Env,
    sources: tuple[str, ...],
    every: str,
    webhooks: tuple[str, ...],
    commands: tuple[str, ...],
    rounds: int | None,
    min_score: float | None,
    timeout: float | None,
    jobs: int | None,
    as_json: bool,
) -> None:
    """Scan SOURCE... on a schedule and on new files, and notify each new finding once.

    Each new finding is recorded in .numbers/monitor/findings.jsonl and never
    reported twice. Webhooks get a POST of the finding's JSON, retried with
    backoff (failed deliveries are retried on the next round); --exec runs the
    command with the finding's JSON on stdin. Stops on Ctrl-C (exit 130).
    """
    import json

    from numbers_cli.ops.monitor import scan as scan_op
    from numbers_cli.ops.monitor import watch as watch_op

    repo, config = open_repo(env.cwd)
    interval = watch_op.parse_duration(every)

    def report(event: str, value: dict) -> None:  # type: ignore[type-arg]
        if as_json:
            click.echo(json.dumps({"event": event, **value}, ensure_ascii=False))
        elif event == "finding":
            at = f" at {_clock(value['time'])}" if value.get("time") is not None else ""
            env.out.print(
                f"new: {value['source']}{at} re-uses {value['name'] or value['nid']} "
                f"(score {value['score']:.2f})"
            )
        elif event == "error":
            env.err.print(f"nit: {value['source']}: {value['error']}")
        elif event == "note":
            env.err.print(f"nit: {value['note']}")

    watch_op.watch(
        repo,
        config,
        sources,
        cwd=env.cwd,
        interval=interval,
        webhooks=webhooks,
        commands=commands,
        rounds=rounds,
        min_score=scan_op.DEFAULT_MIN_SCORE if min_score is None else min_score,
        timeout=scan_op.DEFAULT_TIMEOUT if timeout is None else timeout,
        jobs=jobs,
        report=report,
    )


COMMANDS = [monitor]

__all__ = ["COMMANDS", "Path"]
