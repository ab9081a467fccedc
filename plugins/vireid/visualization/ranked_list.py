# Copyright (c) vireid contributors. All rights reserved.
"""Draw a query and its top-k gallery images as one readable picture.

Layout (RGB ``uint8``)::

    query pid 6, cam 3 (infrared) | sysu all t2v, trial 0, gallery 92 | cosine
    [blue] query  [green] same identity (true match)  [red] other identity
    +-------+   +-------+ +-------+
    | query |   |  #1   | |  #2   |  ...
    +-------+   +-------+ +-------+
    pid 6 c3    pid 6 c1  pid 9 c4
                d -0.912  d -0.870

Text is drawn with OpenCV's Hershey font (no font files needed).
"""
from typing import Optional, Sequence, Tuple

import numpy as np

GREEN = (40, 170, 60)
RED = (210, 40, 40)
BLUE = (40, 90, 220)
TEXT = (20, 20, 20)
_FONT_SCALE = 0.35
_LINE = 12  # pixels per text line


def _read_rgb(path: str, size: Tuple[int, int]) -> np.ndarray:
    import cv2
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f'cannot read image for the ranked list: '
                                f'{path}')
    img = cv2.resize(img, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return img[:, :, ::-1]


def _frame(img: np.ndarray, color: Tuple[int, int, int],
           width: int) -> np.ndarray:
    out = img.copy()
    out[:width], out[-width:] = color, color
    out[:, :width], out[:, -width:] = color, color
    return out


def _text_width(text: str) -> int:
    import cv2
    return cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, _FONT_SCALE,
                           1)[0][0]


def _put(canvas: np.ndarray, text: str, x: int, y: int,
         color=TEXT) -> None:
    """Write ``text`` with its baseline at ``y``."""
    import cv2
    cv2.putText(canvas, text, (int(x), int(y)), cv2.FONT_HERSHEY_SIMPLEX,
                _FONT_SCALE, tuple(int(c) for c in color), 1, cv2.LINE_AA)


def _wrap(text: str, width: int) -> list:
    words, lines = text.split(' '), ['']
    for w in words:
        trial = (lines[-1] + ' ' + w).strip()
        if lines[-1] and _text_width(trial) > width:
            lines.append(w)
        else:
            lines[-1] = trial
    return lines


def draw_ranked_list(query_path: str,
                     gallery_paths: Sequence[str],
                     matches: Sequence[bool],
                     size: Tuple[int, int] = (128, 64),
                     border: int = 3,
                     gap: int = 6,
                     query_label: Optional[Sequence[str]] = None,
                     gallery_labels: Optional[Sequence[Sequence[str]]] = None,
                     title: Optional[str] = None,
                     legend: bool = True) -> np.ndarray:
    """Compose ``[query | #1 ... #k]`` with frames, labels and a legend.

    The query is framed blue, true matches (same identity) green and other
    identities red. Every gallery tile is numbered with its rank.

    Args:
        query_path (str): The query image.
        gallery_paths (Sequence[str]): Ranked gallery images, best first.
        matches (Sequence[bool]): Whether each gallery image is the query's
            identity.
        size (tuple[int, int]): (height, width) of every image tile.
        border (int): Frame width in pixels.
        gap (int): Space between tiles; twice as wide after the query.
        query_label (Sequence[str], optional): Text lines under the query
            (e.g. ``['pid 6 c3']``).
        gallery_labels (Sequence[Sequence[str]], optional): Text lines under
            each gallery image (e.g. ``['pid 6 c1', 'd -0.912']``).
        title (str, optional): A title above the row (wrapped to the width).
        legend (bool): Draw the colour legend under the title.

    Returns:
        np.ndarray: An RGB ``uint8`` picture.
    """
    if len(gallery_paths) != len(matches):
        raise ValueError(f'{len(gallery_paths)} gallery paths but '
                         f'{len(matches)} match flags')
    if gallery_labels is not None and len(gallery_labels) != len(matches):
        raise ValueError(f'{len(gallery_labels)} gallery labels for '
                         f'{len(matches)} gallery images')
    h, w = size
    query_label = list(query_label or [])
    gallery_labels = [list(x) for x in (gallery_labels or
                                        [[] for _ in gallery_paths])]
    heads = ['query'] + [f'#{i + 1}' for i in range(len(gallery_paths))]
    labels = [query_label] + gallery_labels
    col = max([w] + [_text_width(t) + 4 for ls in labels + [heads]
                     for t in (ls if isinstance(ls, list) else [ls])])
    tiles = [_frame(_read_rgb(query_path, size), BLUE, border)]
    for path, ok in zip(gallery_paths, matches):
        tiles.append(_frame(_read_rgb(path, size), GREEN if ok else RED,
                            border))
    width = col * len(tiles) + gap * len(tiles)
    legend_items = [(BLUE, 'query'), (GREEN, 'same identity (true match)'),
                    (RED, 'other identity')]
    legend_w = sum(_text_width(t) + 22 for _, t in legend_items)
    width = max(width, legend_w + 8)
    title_lines = _wrap(title, width - 8) if title else []
    top = _LINE * len(title_lines) + (_LINE + 4 if legend else 0) + 4
    n_lines = max(len(ls) for ls in labels) if labels else 0
    height = top + _LINE + h + 4 + _LINE * n_lines + 4
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    y = 0
    for line in title_lines:
        y += _LINE
        _put(canvas, line, 4, y - 2)
    if legend:
        y += _LINE + 4
        x = 4
        for color, text in legend_items:
            canvas[y - 10:y - 1, x:x + 9] = color
            _put(canvas, text, x + 13, y - 2)
            x += _text_width(text) + 22
    x = 0
    for i, tile in enumerate(tiles):
        x0 = x + (col - w) // 2
        color = BLUE if i == 0 else (GREEN if matches[i - 1] else RED)
        _put(canvas, heads[i], x + (col - _text_width(heads[i])) // 2,
             top + _LINE - 3, color)
        canvas[top + _LINE:top + _LINE + h, x0:x0 + w] = tile
        ty = top + _LINE + h + 4
        for line in labels[i]:
            ty += _LINE
            _put(canvas, line, x + (col - _text_width(line)) // 2, ty - 2)
        x += col + (2 * gap if i == 0 else gap)
    return canvas
