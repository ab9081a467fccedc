# Copyright (c) vireid contributors. All rights reserved.
"""Draw a query and its top-k gallery images in one picture."""
from typing import Sequence, Tuple

import numpy as np

GREEN = (40, 180, 60)
RED = (210, 40, 40)
BLUE = (40, 90, 220)


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


def draw_ranked_list(query_path: str,
                     gallery_paths: Sequence[str],
                     matches: Sequence[bool],
                     size: Tuple[int, int] = (128, 64),
                     border: int = 3,
                     gap: int = 6) -> np.ndarray:
    """Compose ``[query | top-1 ... top-k]`` with coloured frames.

    The query is framed blue, true matches green and wrong ones red.

    Args:
        query_path (str): The query image.
        gallery_paths (Sequence[str]): Ranked gallery images, best first.
        matches (Sequence[bool]): Whether each gallery image is the query's
            identity.
        size (tuple[int, int]): (height, width) of every tile.
        border (int): Frame width in pixels.
        gap (int): Space between tiles; twice as wide after the query.

    Returns:
        np.ndarray: An RGB ``uint8`` picture.
    """
    if len(gallery_paths) != len(matches):
        raise ValueError(f'{len(gallery_paths)} gallery paths but '
                         f'{len(matches)} match flags')
    h, w = size
    tiles = [_frame(_read_rgb(query_path, size), BLUE, border)]
    for path, ok in zip(gallery_paths, matches):
        tiles.append(_frame(_read_rgb(path, size), GREEN if ok else RED,
                            border))
    width = w * len(tiles) + gap * (len(tiles) - 1) + gap
    canvas = np.full((h, width, 3), 255, dtype=np.uint8)
    x = 0
    for i, tile in enumerate(tiles):
        canvas[:, x:x + w] = tile
        x += w + (2 * gap if i == 0 else gap)
    return canvas
