"""Markup: section bodies from Markdown (CommonMark) to HTML, and what a body may not contain.

Shared by `load` (which reports problems before anything is written) and `render` (which turns
checked bodies into HTML), so the rules that are checked are the rules that are rendered.
Raw HTML is never passed through; links and images are limited to what is safe to print.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

LINK_SCHEMES = ("http", "https", "mailto", "tel")
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")


def _parser(*, html: bool) -> MarkdownIt:
    # Typographic quotes and dashes (curly quotes, "--" to an en dash), as print should have.
    md = MarkdownIt("commonmark", {"html": html, "typographer": True})
    md.enable(["replacements", "smartquotes"])
    # markdown-it silently turns a refused URL back into text; we check URLs ourselves (below)
    # so that the author is told, rather than finding the link missing from a printed leaflet.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


# Rendering never passes HTML through; checking parses it, to tell the author it is there.
_MARKDOWN = _parser(html=False)
_WITH_HTML = _parser(html=True)


@dataclass(frozen=True)
class BodyProblem:
    """Something a body may not contain; `line` counts from the body's first line (0)."""

    line: int
    message: str


def body_problems(body: str, images_dir: Path) -> list[BodyProblem]:
    """Everything in one body that would be unsafe, broken or refused when rendered."""
    problems: list[BodyProblem] = []
    html_lines: set[int] = set()
    for token, line in _walk(_checked_tokens(body)):
        if token.type in ("html_block", "html_inline"):
            if line in html_lines:
                continue  # one report per line: "<b>x</b>" is one mistake, not two
            html_lines.add(line)
            snippet = token.content.strip().splitlines()[0][:40]
            problems.append(
                BodyProblem(
                    line,
                    f"raw HTML is not allowed ('{snippet}'); use Markdown: **bold**, "
                    "- lists, [text](https://...)",
                )
            )
        elif token.type == "link_open":
            problem = _link_problem(str(token.attrGet("href") or ""))
            if problem:
                problems.append(BodyProblem(line, problem))
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            problem = _image_problem(src, images_dir) or _alt_problem(token, src)
            if problem:
                problems.append(BodyProblem(line, problem))
    return problems


def to_html(body: str, image_url: dict[str, str] | None = None) -> str:
    """A checked body as HTML. Headings start at h3, under the section's own h2.

    `image_url` maps each image source as written to the URL the page should use.
    """
    return _to_html(body, tuple(sorted((image_url or {}).items())))


@functools.lru_cache(maxsize=256)  # a leaflet's web page and its PDFs share their bodies
def _to_html(body: str, image_url: tuple[tuple[str, str], ...]) -> str:
    urls = dict(image_url)
    tokens = _MARKDOWN.parse(body)
    for token, _line in _walk(tokens):
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            token.attrSet("src", urls.get(src, src))
    return _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})


def image_sources(body: str) -> list[str]:
    """The image sources a body uses, as written."""
    if "![" not in body:  # the common case, without parsing
        return []
    return [
        str(token.attrGet("src") or "")
        for token, _line in _walk(_checked_tokens(body))
        if token.type == "image"
    ]


def plain_text(body: str) -> str:
    """The words of a body without markup, one block per line (for summaries and measures)."""
    lines: list[str] = []
    for token in _checked_tokens(body):  # raw HTML has no text children, so it drops out
        if token.type == "inline":
            words = [
                " " if child.type in ("softbreak", "hardbreak") else child.content
                for child in token.children or []
                if child.type in ("text", "code_inline", "softbreak", "hardbreak")
            ]
            lines.append("".join(words).strip())
    return "\n".join(line for line in lines if line)


@functools.lru_cache(maxsize=256)
def _checked_tokens(body: str) -> tuple[Token, ...]:
    """A body parsed once for checking and measuring (raw HTML recognised, to be reported);
    the cache lets `check` measure readability without parsing every body again."""
    return tuple(_WITH_HTML.parse(body))


def _walk(tokens: Iterable[Token]) -> Iterator[tuple[Token, int]]:
    """Every token, inline children included, with the body line it starts on."""
    for token in tokens:
        line = token.map[0] if token.map else 0
        yield token, line
        for child in token.children or []:
            yield child, line


def _link_problem(href: str) -> str | None:
    scheme = urlsplit(href).scheme.lower()
    if href.startswith("#") or scheme in LINK_SCHEMES:
        return None
    return f"link '{href}' refused: a link must start with https://, http://, mailto: or tel:"


def _image_problem(src: str, images_dir: Path) -> str | None:
    if urlsplit(src).scheme:
        return (
            f"image '{src}' refused: images are never fetched from other places; "
            f"save the picture inside {images_dir.name}/ and write its path, e.g. images/scan.png"
        )
    relative = PurePosixPath(src)
    if relative.is_absolute() or ".." in relative.parts:
        return (
            f"image '{src}' refused: write a path inside {images_dir.name}/, e.g. images/scan.png"
        )
    if relative.suffix.lower() not in IMAGE_TYPES:
        return f"image '{src}' refused: use a PNG, JPEG, GIF, WebP or SVG file"
    if not (images_dir / relative).is_file():
        return f"image '{src}' not found in {images_dir.name}/"
    return None


def _alt_problem(token: Token, src: str) -> str | None:
    if token.content.strip():
        return None
    return f"image '{src}' needs alt text that says what it shows: ![what it shows]({src})"
