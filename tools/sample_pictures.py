"""Make the sample leaflets' pictures: a continuous-tone picture of a therapy room (a JPEG,
like a photo) and a diagram of how therapy runs (an SVG).

Both are drawn here, by this script, so they are ours to publish with the samples (no stock
photo licence to track). The output is the same on every run:

    .venv/bin/python tools/sample_pictures.py leaflets/images
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1600, 1000


def _gradient(size: tuple[int, int], top: tuple[int, ...], bottom: tuple[int, ...]) -> Image.Image:
    width, height = size
    column = Image.new("RGB", (1, height))
    for y in range(height):
        share = y / max(height - 1, 1)
        column.putpixel(
            (0, y), tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True))
        )
    return column.resize((width, height))


def therapy_room() -> Image.Image:
    """Two armchairs facing each other by a window, a low table and a plant, in soft light."""
    room = _gradient((WIDTH, HEIGHT), (226, 232, 236), (200, 206, 210))
    draw = ImageDraw.Draw(room)
    floor_top = 640
    room.paste(
        _gradient((WIDTH, HEIGHT - floor_top), (176, 150, 120), (140, 112, 84)), (0, floor_top)
    )
    # the window, with daylight and a garden beyond
    room.paste(_gradient((520, 380), (196, 222, 244), (232, 242, 250)), (540, 120))
    draw.rectangle((540, 380, 1060, 500), fill=(150, 186, 132))
    draw.rectangle((530, 110, 1070, 510), outline=(250, 250, 248), width=18)
    draw.line((800, 110, 800, 510), fill=(250, 250, 248), width=12)
    # soft light on the floor below the window
    glow = Image.new("L", (WIDTH, HEIGHT), 0)
    ImageDraw.Draw(glow).polygon([(560, 640), (1040, 640), (1240, 990), (360, 990)], fill=70)
    room.paste((255, 250, 235), mask=glow.filter(ImageFilter.GaussianBlur(40)))
    # two armchairs, facing each other
    for left, facing in ((170, 1), (1060, -1)):
        seat = (62, 110, 140) if facing == 1 else (70, 120, 104)
        back_x = left if facing == 1 else left + 220
        draw.rounded_rectangle((left, 560, left + 300, 700), radius=30, fill=seat)
        draw.rounded_rectangle((back_x, 380, back_x + 80, 700), radius=30, fill=seat)
        draw.rounded_rectangle((left - 10, 520, left + 310, 580), radius=28, fill=seat)
        draw.rectangle((left + 20, 700, left + 40, 780), fill=(90, 70, 50))
        draw.rectangle((left + 260, 700, left + 280, 780), fill=(90, 70, 50))
    # a low table with a glass of water, and a plant by the wall
    draw.ellipse((700, 690, 900, 740), fill=(120, 88, 60))
    draw.rectangle((785, 715, 815, 820), fill=(100, 72, 48))
    draw.rounded_rectangle((770, 640, 800, 700), radius=6, fill=(210, 226, 236))
    draw.rounded_rectangle((1460, 700, 1560, 820), radius=12, fill=(180, 96, 64))
    for angle in range(7):
        x = 1510 + (angle - 3) * 24
        draw.ellipse((x - 40, 560 - abs(angle - 3) * 22, x + 40, 720), fill=(58, 122, 70))
    picture = room.filter(ImageFilter.GaussianBlur(3))
    # the grain of a photograph, the same on every run
    grain = random.Random(101)
    noise = Image.frombytes(
        "L", (WIDTH, HEIGHT), bytes(grain.randrange(118, 138) for _ in range(WIDTH * HEIGHT))
    )
    return Image.blend(picture, Image.merge("RGB", (noise, noise, noise)), 0.06)


STEPS = (
    ("First appointment", "You meet your therapist"),
    ("Agree your goals", "For now and for later"),
    ("Weekly sessions", "Usually 5 to 20, each about an hour"),
    ("Review and ending", "Look back at what helped"),
)


def therapy_diagram() -> str:
    """Four numbered steps in two rows, joined by arrows, in the layout's colours and typeface.

    Two rows, not one: the diagram is scaled to the page's column, and its words must stay
    large enough to read on an A5 print (about 12 pt).
    """
    box_width, box_height, gap, row_gap = 256, 120, 56, 60
    width = 2 * box_width + gap + 40
    height = 2 * box_height + row_gap + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Atkinson Hyperlegible, Noto Sans, '
        'sans-serif">'
    ]
    for number, (title, detail) in enumerate(STEPS):
        row, column = divmod(number, 2)
        x = 20 + column * (box_width + gap)
        y = 20 + row * (box_height + row_gap)
        parts.append(
            f'<rect x="{x}" y="{y}" width="{box_width}" height="{box_height}" rx="12" '
            'fill="#e8f1fa" stroke="#005eb8" stroke-width="3"/>'
        )
        parts.append(
            f'<text x="{x + box_width / 2}" y="{y + 42}" text-anchor="middle" font-size="22" '
            f'font-weight="bold" fill="#003087">{number + 1}. {title}</text>'
        )
        words = detail.split()
        half = (len(words) + 1) // 2
        for line_number, line in enumerate((" ".join(words[:half]), " ".join(words[half:]))):
            parts.append(
                f'<text x="{x + box_width / 2}" y="{y + 74 + line_number * 24}" '
                f'text-anchor="middle" font-size="19" fill="#212b32">{line}</text>'
            )
    arrow = 'fill="none" stroke="#005eb8" stroke-width="4" stroke-linecap="round"'
    middle = 20 + box_height // 2
    for y in (middle, middle + box_height + row_gap):  # 1 to 2, and 3 to 4
        start = 20 + box_width + 6
        parts.append(f'<path d="M{start} {y}h{gap - 14}l-9 -9m9 9l-9 9" {arrow}/>')
    # 2 down to 3: from under the second box, back to above the third
    right, left = 20 + box_width + gap + box_width / 2, 20 + box_width / 2
    top, bottom = 20 + box_height + 6, 20 + box_height + row_gap - 6
    mid = (top + bottom) / 2
    parts.append(f'<path d="M{right} {top}V{mid}H{left}V{bottom}l-9 -9m9 9l9 -9" {arrow}/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    therapy_room().save(folder / "therapy-room.jpg", "JPEG", quality=85, optimize=True)
    (folder / "therapy-steps.svg").write_text(therapy_diagram(), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "leaflets/images"))
