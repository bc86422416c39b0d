"""Pictures: what a leaflet may show, checked when it is loaded, and made ready for print.

A picture is a PNG or JPEG photo, or an SVG diagram, kept in `leaflets/images/`. `check` opens
every one (Pillow for photos, a safe XML parse for diagrams), so a fake, truncated, enormous or
booby-trapped file is a placed error before anything is built, never a traceback halfway
through a build.

Print files are CMYK: PDF/X-1a forbids RGB altogether and a press prints four inks, so for
print PDFs photos are converted through the printer profile's ICC (Pillow's ImageCms, that is
LittleCMS) to CMYK JPEGs, and the colours written in an SVG diagram become `device-cmyk()`
colours converted the same way. Archival PDFs and web pages keep the pictures as they are.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from build_leaflets.errors import LeafletError

if TYPE_CHECKING:  # pragma: no cover
    from PIL.ImageCms import ImageCmsTransform

#: The kinds of picture a leaflet may show, by file name ending.
KINDS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".svg": "SVG"}
#: The largest picture file, and the most pixels a photo may have (40 megapixels: more than
#: any camera a clinic uses; a bigger one costs seconds and hundreds of megabytes to print).
MAX_BYTES = 10_000_000
MAX_PIXELS = 40_000_000
MAX_SVG_BYTES = 2_000_000

_SVG = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_REFUSED_ELEMENTS = {"script", "foreignObject"}


def problem(name: str, data: bytes) -> str | None:
    """What is wrong with a picture's file, in words for its author; None if it can be used."""
    kind = KINDS.get(PurePosixPath(name).suffix.lower())
    if kind is None:
        return f"image '{name}' refused: use a PNG, JPEG or SVG file"
    if kind == "SVG":
        return _svg_problem(name, data)
    if len(data) > MAX_BYTES:
        return (
            f"image '{name}' is {len(data):,} bytes; the most is {MAX_BYTES:,}: save it "
            "smaller (a leaflet photo needs no more than about 2,000 pixels across)"
        )
    return _raster_problem(name, data, kind)


def _raster_problem(name: str, data: bytes, kind: str) -> str | None:
    from PIL import Image  # noqa: PLC0415  (only when a leaflet has pictures)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as picture:
                width, height = picture.size
                if width * height > MAX_PIXELS:
                    return _too_many_pixels(name, width * height)
                picture.load()  # decodes every pixel: a truncated file fails here
    except Image.DecompressionBombError as error:  # Pillow's own, far larger, limit
        found = re.search(r"\((\d+) pixels\)", str(error))
        return _too_many_pixels(name, int(found[1]) if found else 0)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as error:
        detail = str(error).splitlines()[0][:80] if str(error) else type(error).__name__
        return (
            f"image '{name}' is not a readable {kind} file ({detail}); open it in an image "
            f"editor and save it again as {kind}"
        )
    return None


def _too_many_pixels(name: str, pixels: int) -> str:
    many = f"{pixels:,} pixels" if pixels else "too many pixels"
    return (
        f"image '{name}' has {many}; the most is {MAX_PIXELS:,}: save it smaller (a leaflet "
        "photo needs no more than about 2,000 pixels across)"
    )


def _svg_problem(name: str, data: bytes) -> str | None:
    if len(data) > MAX_SVG_BYTES:
        return f"image '{name}' is {len(data):,} bytes; an SVG diagram may be at most 2,000,000"
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return (
            f"image '{name}' has a DOCTYPE or entities, which are not allowed; save it as plain SVG"
        )
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        return f"image '{name}' is not a readable SVG file ({error}); save it again as SVG"
    if root.tag != f"{_SVG}svg":
        return f"image '{name}' is not an SVG drawing (it starts with <{_local(root.tag)}>)"
    for element in root.iter():
        local = _local(element.tag)
        if local in _REFUSED_ELEMENTS:
            return f"image '{name}' contains <{local}>, which a leaflet picture may not have"
        for attribute in ("href", _XLINK_HREF):
            target = element.get(attribute, "")
            if target and not target.startswith(("#", "data:")):
                return (
                    f"image '{name}' links to another file ({target[:60]}); put everything "
                    "in the one SVG file"
                )
    return None


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


# --- print: CMYK through the printer's profile ----------------------------------------------


def for_print(pictures: Mapping[str, bytes], icc_profile: Path) -> dict[str, bytes]:
    """The pictures as a press needs them: photos as CMYK JPEGs, diagrams with CMYK colours,
    both converted through the printer profile (`icc_profile`, a CMYK output profile)."""
    converted: dict[str, bytes] = {}
    if not pictures:
        return converted
    try:
        profile = icc_profile.read_bytes()
    except OSError as error:
        raise LeafletError(
            f"{icc_profile}: cannot read the printer's ICC profile ({error.strerror})"
        ) from None
    for name, data in pictures.items():
        if PurePosixPath(name).suffix.lower() == ".svg":
            converted[name] = _svg_for_print(data, profile)
        else:
            converted[name] = _photo_for_print(data, profile)
    return converted


@functools.lru_cache(maxsize=4)
def _transform(profile: bytes, mode: str) -> ImageCmsTransform:
    from PIL import ImageCms  # noqa: PLC0415

    source = ImageCms.createProfile("sRGB")
    target = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    return ImageCms.buildTransform(
        source, target, mode, "CMYK", renderingIntent=ImageCms.Intent.PERCEPTUAL
    )


@functools.lru_cache(maxsize=32)  # a worker meets the same logo or photo in many leaflets
def _photo_for_print(data: bytes, profile: bytes) -> bytes:
    """A photo as a CMYK JPEG. One without transparency (nearly every photo) is converted as
    it is, without the four-channel copy and white backing a transparent one needs, which
    would triple the memory a large photo takes for the same pixels."""
    from PIL import Image, ImageCms  # noqa: PLC0415

    with Image.open(io.BytesIO(data)) as picture:
        if picture.mode == "CMYK":
            return data  # already for a press
        if picture.mode == "RGB" and "transparency" not in picture.info:
            cmyk = ImageCms.applyTransform(picture, _transform(profile, "RGB"))
        else:
            rgb = picture.convert("RGBA")
            flat = Image.new("RGB", rgb.size, "white")  # print has no transparency: paper
            flat.paste(rgb, mask=rgb.getchannel("A"))
            del rgb
            cmyk = ImageCms.applyTransform(flat, _transform(profile, "RGB"))
    assert cmyk is not None
    out = io.BytesIO()
    cmyk.save(out, "JPEG", quality=95, subsampling=0, optimize=True)
    return out.getvalue()


_COLOUR_ATTRIBUTES = ("fill", "stroke", "stop-color", "flood-color", "lighting-color", "color")
_STYLE_PROPERTY = re.compile(
    r"(?P<name>fill|stroke|stop-color|flood-color|lighting-color|color)\s*:\s*(?P<value>[^;]+)"
)


def _svg_for_print(data: bytes, profile: bytes) -> bytes:
    """Every colour the SVG writes, as `device-cmyk()`; black where it writes none."""
    ElementTree.register_namespace("", _SVG[1:-1])
    ElementTree.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ElementTree.fromstring(data)
    root.attrib.setdefault("fill", "black")  # the default fill and colour are RGB black
    root.attrib.setdefault("color", "black")
    for element in root.iter():
        for attribute in _COLOUR_ATTRIBUTES:
            value = element.get(attribute)
            if value is not None:
                element.set(attribute, _cmyk(value, profile))
        style = element.get("style")
        if style:
            element.set(
                "style",
                _STYLE_PROPERTY.sub(
                    lambda m: f"{m['name']}: {_cmyk(m['value'].strip(), profile)}", style
                ),
            )
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))


def _cmyk(value: str, profile: bytes) -> str:
    """One CSS colour as `device-cmyk(c m y k)`; anything that is not a colour (none,
    currentColor, url(#gradient)) as it was."""
    from PIL import Image, ImageCms, ImageColor  # noqa: PLC0415

    try:
        red, green, blue = ImageColor.getrgb(value)[:3]
    except ValueError:
        return value
    if (red, green, blue) == (0, 0, 0):
        return "device-cmyk(0 0 0 1)"  # text-black: one ink, not four
    pixel = ImageCms.applyTransform(
        Image.new("RGB", (1, 1), (red, green, blue)), _transform(profile, "RGB")
    )
    assert pixel is not None
    inks = pixel.getpixel((0, 0))
    assert isinstance(inks, tuple)
    return "device-cmyk({})".format(" ".join(f"{ink / 255:.3f}" for ink in inks))
