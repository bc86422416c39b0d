"""Markup: section bodies from Markdown (CommonMark) to HTML, and what a body may not contain.

Shared by `load` (which reports problems before anything is written) and `render` (which turns
checked bodies into HTML), so the rules that are checked are the rules that are rendered.
Raw HTML is never passed through; links and images are limited to what is safe to print.
"""

from __future__ import annotations

import functools
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

LINK_SCHEMES = ("http", "https", "mailto", "tel")
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".svg")
IMAGES_FOLDER = "images"  # inside the leaflets folder
MAX_IMAGE_PATH = 200


def _parser(*, html: bool) -> MarkdownIt:
    # Typographic quotes and dashes (curly quotes, "--" to an en dash), as print should have.
    md = MarkdownIt("commonmark", {"html": html, "typographer": True})
    md.enable(["replacements", "smartquotes", "table"])  # tables: GitHub's pipe syntax
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
            problem = image_problem(src, images_dir) or _alt_problem(token, src)
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
    _figures(tokens)
    for token, _line in _walk(tokens):
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            token.attrSet("src", urls.get(src, src))
    return str(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {}))


def _figures(tokens: list[Token]) -> None:
    """A picture alone in its paragraph becomes a figure, captioned with its Markdown title:
    `![A diagram of the ward](images/ward.svg "The ward, seen from the entrance")`."""
    for index in range(len(tokens) - 2):
        opening, inline, closing = tokens[index : index + 3]
        if (opening.type, inline.type, closing.type) != (
            "paragraph_open",
            "inline",
            "paragraph_close",
        ):
            continue
        parts = [
            child
            for child in inline.children or []
            if child.type != "softbreak"
            and not (child.type == "text" and not child.content.strip())
        ]
        if len(parts) == 1 and parts[0].type == "image":
            opening.tag = closing.tag = "figure"
            parts[0].meta["caption"] = str(parts[0].attrGet("title") or "")


def _render_image(
    renderer: RendererHTML, tokens: list[Token], index: int, options: Any, env: Any
) -> str:
    """Markdown's image, with the caption of a figure after it."""
    html = RendererHTML.image(renderer, tokens, index, options, env)
    caption = tokens[index].meta.get("caption")
    return html + (f"<figcaption>{escapeHtml(caption)}</figcaption>" if caption else "")


_MARKDOWN.add_render_rule("image", _render_image)


def image_sources(body: str) -> list[str]:
    """The image sources a body uses, as written."""
    return [src for src, _line in images(body)]


def images(body: str) -> list[tuple[str, int]]:
    """The image sources a body uses, as written, each with the body line it is on (from 0)."""
    if "![" not in body:  # the common case, without parsing
        return []
    return [
        (str(token.attrGet("src") or ""), line)
        for token, line in _walk(_checked_tokens(body))
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


def image_problem(src: str, leaflets: Path) -> str | None:
    """What is wrong with where a picture is, if anything (what is in it: see `pictures`)."""
    if len(src) > MAX_IMAGE_PATH:
        return (
            f"image path is {len(src):,} characters long; the most is {MAX_IMAGE_PATH}: "
            "give the picture a shorter name"
        )
    if urlsplit(src).scheme:
        return (
            f"image '{src}' refused: images are never fetched from other places; "
            f"save the picture inside {leaflets.name}/{IMAGES_FOLDER}/ and write its path, "
            "e.g. images/scan.png"
        )
    relative = PurePosixPath(src)
    if relative.is_absolute() or ".." in relative.parts or "\\" in src:
        return f"image '{src}' refused: write a path inside {leaflets.name}/, e.g. images/scan.png"
    if relative.parts[0] != IMAGES_FOLDER or len(relative.parts) < 2:
        return (
            f"image '{src}' refused: keep pictures in {leaflets.name}/{IMAGES_FOLDER}/ and "
            f"write images/{relative.name}"
        )
    if relative.suffix.lower() not in IMAGE_TYPES:
        return f"image '{src}' refused: use a PNG, JPEG or SVG file"
    path = leaflets / relative
    try:
        inside = path.resolve().is_relative_to((leaflets / IMAGES_FOLDER).resolve())
        regular = stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return f"image '{src}' not found in {leaflets.name}/"
    if not inside:
        return (
            f"image '{src}' is a link to a file outside {leaflets.name}/{IMAGES_FOLDER}/; "
            "copy the picture itself into the folder"
        )
    if not regular:
        return f"image '{src}' is not a regular file (a folder, device or pipe?)"
    return None


def _alt_problem(token: Token, src: str) -> str | None:
    if token.content.strip():
        return None
    return f"image '{src}' needs alt text that says what it shows: ![what it shows]({src})"
