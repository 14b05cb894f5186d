"""A shareable PNG card of a week or a year, drawn with Pillow (in Snowflake's Anaconda channel, so Streamlit in
Snowflake draws the same card; no browser or chart renderer needed)."""

from __future__ import annotations

import io
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1080, 1350  # a portrait post
BACKGROUND, GREEN, WHITE, GREY = "#121212", "#1DB954", "#FFFFFF", "#B3B3B3"


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 with FreeType: a scalable font
    except TypeError:  # an older Pillow: the fixed bitmap font, small but legible
        return ImageFont.load_default()


def render_card(title: str, subtitle: str, figures: Sequence[tuple[str, str]], lists: Sequence[tuple[str, Sequence[str]]]) -> bytes:
    """title ("Mira's 2026"), subtitle (the period, the time zone), up to four figures (label, value), and ranked
    lists (heading, entries) -> PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH, 16], fill=GREEN)
    size = 72
    while size > 36 and draw.textlength(title, font=_font(size)) > WIDTH - 144:  # a long title shrinks to fit
        size -= 4
    draw.text((72, 80), title, fill=WHITE, font=_font(size))
    draw.text((72, 176), subtitle, fill=GREY, font=_font(34))
    for i, (label, value) in enumerate(figures[:4]):
        x = 72 + (i % 2) * 480
        y = 260 + (i // 2) * 170
        draw.text((x, y), value, fill=GREEN, font=_font(80))
        draw.text((x, y + 96), label, fill=GREY, font=_font(32))
    y = 620
    for heading, entries in lists:
        draw.text((72, y), heading, fill=WHITE, font=_font(40))
        y += 60
        for n, entry in enumerate(entries[:5], start=1):
            text = entry if len(entry) <= 44 else entry[:43] + "…"
            draw.text((72, y), f"{n}. {text}", fill=WHITE if n == 1 else GREY, font=_font(34))
            y += 48
        y += 30
    draw.text((72, HEIGHT - 80), "Spotify listening · from my own data", fill=GREY, font=_font(28))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
