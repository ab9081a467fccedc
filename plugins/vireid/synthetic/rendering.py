# Copyright (c) vireid contributors. All rights reserved.
"""Rendering one person image (RGB or infrared) from an identity, a
camera and a seed, and writing batches of images (optionally in worker
processes)."""
import math
import multiprocessing
import os
import os.path as osp
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .appearance import (BACK, BAG, BG, CHECKS, FRONT, HAIR, HAT, LOWER, SHOE,
                         SIDE, SKIN, SOLID, STRIPES, UPPER,
                         SyntheticDifficulty, _texture_prototypes)


# --------------------------------------------------------------------------- #
# rendering
# --------------------------------------------------------------------------- #
@lru_cache(maxsize=8)
def _grid(h: int, w: int) -> Tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    ys.setflags(write=False)  # shared through the cache
    xs.setflags(write=False)
    return ys, xs


class _Canvas:
    """Label map + texture map + shading map, painted part by part."""

    def __init__(self, h: int, w: int, ident: dict, cx: float, top: float,
                 ph: float) -> None:
        self.h, self.w = h, w
        self.label = np.zeros((h, w), np.uint8)
        self.pattern = np.zeros((h, w), np.float32)
        self.shade = np.ones((h, w), np.float32)
        self.ys, self.xs = _grid(h, w)
        self.ident = ident
        self.cx, self.top, self.ph = cx, top, ph

    def window(self, x0: float, x1: float, y0: float, y1: float):
        xa, xb = max(int(x0) - 1, 0), min(int(math.ceil(x1)) + 1, self.w)
        ya, yb = max(int(y0) - 1, 0), min(int(math.ceil(y1)) + 1, self.h)
        if xa >= xb or ya >= yb:
            return None
        sl = (slice(ya, yb), slice(xa, xb))
        return sl, self.xs[sl], self.ys[sl]

    def paint(self, sl, mask: np.ndarray, part: int,
              shade: Optional[np.ndarray] = None, tex: int = 0,
              protos: Sequence[tuple] = ()) -> None:
        if not mask.any():
            return
        self.label[sl][mask] = part
        self.shade[sl][mask] = 1.0 if shade is None else shade[mask]
        # the texture value only matters on garments (other parts have
        # secondary == primary colour and no infrared texture)
        if part == UPPER or part == LOWER:
            if tex:
                xs, ys = self.xs[sl], self.ys[sl]
                u = (xs - self.cx) / self.ph
                v = (ys - self.top) / self.ph
                self.pattern[sl][mask] = _texture(protos[tex], u, v)[mask]
            else:
                self.pattern[sl][mask] = 0.0

    # primitive shapes ----------------------------------------------------
    def ellipse(self, cx, cy, rx, ry, part, tex=0, protos=(),
                shade=0.25) -> None:
        win = self.window(cx - rx, cx + rx, cy - ry, cy + ry)
        if win is None:
            return
        sl, xs, ys = win
        d2 = ((xs - cx) / rx)**2 + ((ys - cy) / ry)**2
        self.paint(sl, d2 <= 1.0, part, 1.0 - shade * d2, tex, protos)

    def capsule(self, p0, p1, r, part, tex=0, protos=(), shade=0.3,
                t_range=(0.0, 1.0)) -> None:
        (x0, y0), (x1, y1) = p0, p1
        win = self.window(
            min(x0, x1) - r, max(x0, x1) + r, min(y0, y1) - r,
            max(y0, y1) + r)
        if win is None:
            return
        sl, xs, ys = win
        dx, dy = x1 - x0, y1 - y0
        length2 = max(dx * dx + dy * dy, 1e-6)
        t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0.0, 1.0)
        qx, qy = x0 + t * dx - xs, y0 + t * dy - ys
        d2 = (qx * qx + qy * qy) / (r * r)
        mask = (d2 <= 1.0) & (t >= t_range[0]) & (t <= t_range[1])
        self.paint(sl, mask, part, 1.0 - shade * d2, tex, protos)

    def trapezoid(self, cx, y0, y1, hw0, hw1, part, tex=0, protos=(),
                  round_top=0.0, shade=0.3) -> None:
        hw = max(hw0, hw1)
        win = self.window(cx - hw, cx + hw, y0, y1)
        if win is None:
            return
        sl, xs, ys = win
        frac = np.clip((ys - y0) / max(y1 - y0, 1e-6), 0.0, 1.0)
        half = hw0 + (hw1 - hw0) * frac
        rel = (xs - cx) / half
        mask = (ys >= y0) & (ys <= y1) & (np.abs(rel) <= 1.0)
        if round_top > 0:
            cy = y0 + round_top
            corner = ((np.abs(xs - cx) - (hw0 - round_top)) / round_top)
            corner = np.maximum(corner, 0.0)**2 + ((ys - cy) / round_top)**2
            mask &= (ys >= cy) | (corner <= 1.0)
        self.paint(sl, mask, part, 1.0 - shade * rel**2, tex, protos)


def _texture(proto: tuple, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Texture value in [0, 1] at person coordinates ``(u, v)``."""
    kind, angle, freq, duty = proto
    if kind == SOLID:
        return np.zeros_like(u)
    a = math.radians(angle)
    s = (u * math.cos(a) + v * math.sin(a)) * freq
    t = (-u * math.sin(a) + v * math.cos(a)) * freq
    if kind == STRIPES:
        return (np.mod(s, 1.0) < duty).astype(np.float32)
    if kind == CHECKS:
        return ((np.mod(s, 1.0) < 0.5) ^ (np.mod(t, 1.0) < 0.5)).astype(
            np.float32)
    fs, ft = np.mod(s, 1.0) - 0.5, np.mod(t, 1.0) - 0.5
    return (fs * fs + ft * ft < (0.5 * duty)**2).astype(np.float32)


def _draw_person(canvas: _Canvas, ident: dict, view: int, pose: dict,
                 protos: Sequence[tuple]) -> None:
    """Paint one person into ``canvas`` (supersampled pixel units)."""
    cx, top, ph = canvas.cx, canvas.top, canvas.ph
    side_view = view == SIDE
    wscale = 0.62 if side_view else 1.0
    head_h = ident['head'] * ph
    head_w = head_h * 0.78 * (0.95 if side_view else 1.0)
    sh_y = top + head_h + 0.025 * ph
    hip_y = sh_y + ident['torso'] * ph
    feet_y = top + ph
    sw = ident['shoulder'] * ph * wscale
    hw = sw * ident['hip_ratio'] * (1.05 if side_view else 1.0)
    arm_r = 0.5 * ident['arm_w'] * ph
    leg_r = 0.5 * ident['leg_w'] * ph
    facing = pose['facing']  # +1: right of the image is the person's front
    bag_side = ident['bag_side'] * (-1 if view == BACK else 1)

    # backpack behind the body in front and side views
    if ident['bag'] == 'backpack' and view == SIDE:
        canvas.trapezoid(cx - facing * (0.5 * sw + 0.045 * ph),
                         sh_y + 0.03 * ph, hip_y - 0.02 * ph, 0.055 * ph,
                         0.06 * ph, BAG, round_top=0.02 * ph)
    # long hair behind the shoulders (front view: beside the neck)
    if ident['long_hair'] and view != BACK:
        canvas.trapezoid(cx, top + 0.5 * head_h, sh_y + 0.1 * ph,
                         0.5 * head_w, 0.55 * head_w, HAIR)

    # legs
    stride = pose['stride'] * ph
    leg_x = 0.24 * hw * (0.4 if side_view else 1.0)
    knee_len = feet_y - 0.035 * ph
    lower_tex = ident['lower_tex']
    kind = ident['lower_kind']
    for side in (-1, 1):
        hip_pt = (cx + side * leg_x, hip_y)
        foot_x = cx + side * leg_x + side * stride * (
            1.0 if not side_view else facing * side)
        foot_pt = (foot_x, knee_len)
        if kind == 'trousers':
            canvas.capsule(hip_pt, foot_pt, leg_r, LOWER, lower_tex, protos)
        else:
            canvas.capsule(hip_pt, foot_pt, leg_r * 0.8, SKIN)
            if kind == 'shorts':
                canvas.capsule(hip_pt, foot_pt, leg_r * 1.05, LOWER,
                               lower_tex, protos, t_range=(0.0, 0.42))
        shoe_dx = facing * 0.02 * ph if side_view else 0.0
        canvas.ellipse(foot_x + shoe_dx, feet_y - 0.02 * ph, leg_r * 1.25,
                       0.024 * ph, SHOE)
    if kind == 'skirt':
        canvas.trapezoid(cx, hip_y - 0.02 * ph, hip_y + 0.2 * ph, 0.5 * hw,
                         0.5 * hw * 1.45, LOWER, lower_tex, protos)
    else:
        # pelvis joining the legs
        canvas.trapezoid(cx, hip_y - 0.03 * ph, hip_y + 0.06 * ph,
                         0.5 * hw, 0.5 * hw * 0.95, LOWER, lower_tex, protos)

    # neck and torso
    canvas.trapezoid(cx, top + 0.8 * head_h, sh_y + 0.02 * ph, 0.17 * head_w,
                     0.2 * head_w, SKIN)
    canvas.trapezoid(cx, sh_y, hip_y + 0.015 * ph, 0.5 * sw, 0.5 * hw, UPPER,
                     ident['upper_tex'], protos, round_top=0.035 * ph)

    # backpack on the back / straps on the front
    if ident['bag'] == 'backpack':
        if view == BACK:
            canvas.trapezoid(cx, sh_y + 0.035 * ph, hip_y - 0.03 * ph,
                             0.36 * sw, 0.38 * sw, BAG,
                             round_top=0.03 * ph)
        elif view == FRONT:
            for side in (-1, 1):
                canvas.capsule((cx + side * 0.3 * sw, sh_y + 0.005 * ph),
                               (cx + side * 0.27 * sw, sh_y + 0.16 * ph),
                               0.011 * ph, BAG, shade=0.0)

    # arms (in front of the torso)
    arm_len = 0.39 * ph
    for side in (-1, 1):
        if side_view:
            sx = cx - facing * 0.05 * sw * side
        else:
            sx = cx + side * (0.5 * sw - arm_r * 0.9)
        sp = (sx, sh_y + arm_r * 1.1)
        angle = math.radians(pose['swing'] * side + (
            0.0 if side_view else side * pose['spread']))
        dx = math.sin(angle) * (facing if side_view else 1.0)
        hand = (sp[0] + dx * arm_len, sp[1] + math.cos(angle) * arm_len)
        if ident['long_sleeves']:
            canvas.capsule(sp, hand, arm_r, UPPER, ident['upper_tex'], protos)
        else:
            canvas.capsule(sp, hand, arm_r * 0.85, SKIN)
            canvas.capsule(sp, hand, arm_r * 1.05, UPPER, ident['upper_tex'],
                           protos, t_range=(0.0, 0.38))
        canvas.ellipse(hand[0], hand[1] + 0.01 * ph, arm_r * 0.95,
                       arm_r * 1.2, SKIN)

    # shoulder bag: strap across the torso, bag at the hip
    if ident['bag'] == 'shoulder':
        bx = cx + (bag_side * (0.5 * hw + 0.035 * ph) if not side_view else
                   -facing * 0.02 * ph)
        strap_from = (cx - bag_side * 0.33 * sw, sh_y + 0.01 * ph)
        canvas.capsule(strap_from, (bx, hip_y - 0.03 * ph), 0.009 * ph, BAG,
                       shade=0.0)
        canvas.trapezoid(bx, hip_y - 0.04 * ph, hip_y + 0.08 * ph,
                         0.045 * ph, 0.05 * ph, BAG, round_top=0.015 * ph)

    # head, hair, hat
    hcx = cx + (facing * 0.08 * head_w if side_view else 0.0)
    hcy = top + 0.5 * head_h
    canvas.ellipse(hcx, hcy, 0.5 * head_w, 0.5 * head_h, SKIN, shade=0.2)
    if view == BACK:
        canvas.ellipse(hcx, hcy - 0.02 * head_h, 0.52 * head_w,
                       0.52 * head_h, HAIR, shade=0.15)
    else:
        # hair cap over the top of the head
        win = canvas.window(hcx - 0.55 * head_w, hcx + 0.55 * head_w, top - 2,
                            hcy + 0.1 * head_h)
        if win is not None:
            sl, xs, ys = win
            d2 = ((xs - hcx) / (0.54 * head_w))**2 + (
                (ys - (hcy - 0.02 * head_h)) / (0.54 * head_h))**2
            cut = hcy - 0.12 * head_h
            if side_view:
                # the face side shows skin lower down
                cut_map = np.where((xs - hcx) * facing > 0, cut,
                                   hcy + 0.15 * head_h)
            else:
                cut_map = cut
            canvas.paint(sl, (d2 <= 1.0) & (ys <= cut_map), HAIR,
                         1.0 - 0.15 * d2)
    if ident['hat']:
        canvas.ellipse(hcx, top + 0.2 * head_h, 0.58 * head_w,
                       0.3 * head_h, HAT, shade=0.2)
        canvas.ellipse(hcx + (facing * 0.25 * head_w if side_view else 0.0),
                       top + 0.38 * head_h, 0.68 * head_w, 0.07 * head_h,
                       HAT, shade=0.1)


def _low_freq(rng: np.random.Generator, h: int, w: int, cells: Tuple[int,
                                                                     int],
              amp: float) -> np.ndarray:
    small = rng.normal(0.0, 1.0, cells).astype(np.float32)
    return amp * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _visible_background(rng, cam: dict, h: int, w: int) -> np.ndarray:
    """A background of the camera's scene at the output size."""
    ys, xs = _grid(h, w)
    c_top, c_bottom, c_extra = cam['colors']
    horizon = h * (cam['horizon'] + rng.normal(0, 0.03))
    bg = np.where((ys[:, :1] < horizon)[..., None], c_top,
                  c_bottom) * np.ones((1, w, 1), np.float32)
    scene = cam['scene']
    if scene == 'indoor':
        # a door / window / cabinet at a random place
        x0 = rng.uniform(-0.2, 0.8) * w
        bw, bh = rng.uniform(0.2, 0.45) * w, rng.uniform(0.2, 0.5) * h
        y0 = horizon - bh - rng.uniform(0, 0.1) * h
        box = (xs > x0) & (xs < x0 + bw) & (ys > y0) & (ys < y0 + bh)
        bg[box] = c_extra
    elif scene == 'gate':
        period = rng.uniform(0.15, 0.3) * w
        phase = rng.uniform(0, period)
        bars = (np.mod(xs + phase, period) < 0.2 * period) & (ys < horizon)
        bg[bars] = c_extra
    elif scene == 'garden':
        blobs = _low_freq(rng, h, w, (5, 3), 1.0)
        foliage = (blobs > 0.4) & (ys < horizon + 0.1 * h)
        bg[foliage] = c_extra
    else:  # street / corridor: a light source
        lamp_x = rng.uniform(0.1, 0.9) * w
        glow = np.exp(-((xs - lamp_x) / (0.35 * w))**2 -
                      ((ys - 0.15 * h) / (0.4 * h))**2)
        bg = bg * (0.7 + 0.6 * glow[..., None])
    bg += _low_freq(rng, h, w, (6, 3), 10.0)[..., None]
    return bg


def _render(ident: dict, cam: dict, rng: np.random.Generator,
            size: Tuple[int, int], diff: SyntheticDifficulty,
            protos: Sequence[tuple], view: Optional[int] = None,
            supersample: Optional[int] = None) -> np.ndarray:
    """Render one image of ``ident`` through ``cam``; HxWx3 uint8 RGB.

    Small images are drawn at twice the size and averaged down
    (anti-aliasing); from a height of 96 the blur hides the jagged edges and
    the person is drawn at the output size (about 30 % faster).
    """
    h, w = size
    if supersample is None:
        supersample = 1 if h >= 96 else 2
    hs, ws = h * supersample, w * supersample
    j = diff.pose_jitter
    if view is None:
        view = int(rng.choice([FRONT, BACK, SIDE], p=[0.4, 0.4, 0.2]))
    scale = 1.0 + rng.normal(0, 0.04 * j)
    ph = ident['height'] * hs * float(np.clip(scale, 0.8, 1.1))
    feet = hs * (0.975 + rng.normal(0, 0.012 * j))
    pose = dict(
        facing=1 if rng.random() < 0.5 else -1,
        swing=float(rng.normal(0, 10 * j)),
        spread=float(abs(rng.normal(6, 3 * j))),
        stride=float(abs(rng.normal(0, 0.04 * j)) if view == SIDE else
                     abs(rng.normal(0.0, 0.015 * j))))
    cx = ws * (0.5 + rng.normal(0, 0.035 * j))
    canvas = _Canvas(hs, ws, ident, cx, feet - ph, ph)
    _draw_person(canvas, ident, view, pose, protos)
    label, pattern, shade = canvas.label, canvas.pattern, canvas.shade
    # the person is composited at the supersampled size and averaged down
    # together with its coverage (alpha); the background is made at (h, w)
    alpha = cv2.resize((label != BG).astype(np.float32), (w, h),
                       interpolation=cv2.INTER_AREA)
    garment = (label == UPPER) | (label == LOWER)
    if cam['modality'] == 0:
        prim = ident['primary'].copy()
        prim[BG] = 0.0
        delta = ident['secondary'] - ident['primary']
        color = np.take(prim, label, axis=0)
        if garment.any():
            color += np.take(delta, label, axis=0) * pattern[..., None]
        color *= shade[..., None]
        fg = cv2.resize(color, (w, h), interpolation=cv2.INTER_AREA)
        bg = _visible_background(rng, cam, h, w)
        img = fg + (1.0 - alpha)[..., None] * bg
        ill = diff.illumination
        _, xs = _grid(h, w)
        light = 1.0 + (cam['light_dir'] * ill + rng.normal(0, 0.08 * ill)) * (
            xs[:1] / w - 0.5) * 2
        gain = cam['cast']**min(ill, 2.0) * cam['bright'] * float(
            np.clip(1.0 + rng.normal(0, 0.12 * ill), 0.5, 1.5))
        img = img * light[..., None] * gain.astype(np.float32)
    else:
        heat_tab = ident['heat'].copy()
        heat_tab[BG] = 0.0
        heat = np.take(heat_tab, label, axis=0)
        if garment.any():
            heat += np.where(garment,
                             ident['ir_tex'] * (pattern - 0.5) * 0.35, 0.0)
        heat *= 0.75 + 0.25 * shade
        fg = cv2.resize(heat.astype(np.float32), (w, h),
                        interpolation=cv2.INTER_AREA)
        ys, _ = _grid(h, w)
        bg = cam['bg_heat'] + 0.08 * (ys[:, :1] > h * cam['horizon']) + \
            _low_freq(rng, h, w, (5, 3), 0.05)
        heat = fg + (1.0 - alpha) * bg
        img = cam['offset'] + cam['gain'] * heat * float(
            np.clip(1.0 + rng.normal(0, 0.08), 0.7, 1.3))
    img = img.astype(np.float32)
    noise_sigma = cam['noise'] * diff.noise
    sigma = (cam['blur'] + abs(rng.normal(0, 0.35))) * diff.blur
    if sigma > 0.05:
        img = cv2.GaussianBlur(img, (0, 0), sigmaX=sigma)
    img += noise_sigma * rng.standard_normal(img.shape, dtype=np.float32)
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    if cam['modality'] == 1:
        img = np.repeat(img[..., None], 3, axis=2)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    return np.ascontiguousarray(img)


def render_person(ident: dict, cam: dict, seed: int,
                  size: Tuple[int, int] = (128, 64),
                  difficulty: Optional[SyntheticDifficulty] = None,
                  view: Optional[int] = None,
                  protos: Optional[Sequence[tuple]] = None) -> np.ndarray:
    """Render one image (mostly for inspection and tests).

    Args:
        ident (dict): An identity from the generator's internal sampler.
        cam (dict): A camera from the generator's internal sampler.
        seed (int | Sequence[int]): Seed of the image's random draws.
        size (tuple[int, int]): ``(height, width)``.
        difficulty (SyntheticDifficulty, optional): Difficulty knobs.
        view (int, optional): 0 front, 1 back, 2 side; random if ``None``.
        protos (Sequence[tuple], optional): Texture prototypes.

    Returns:
        np.ndarray: HxWx3 uint8 RGB image (infrared: 3 equal channels).
    """
    diff = difficulty or SyntheticDifficulty()
    protos = protos or _texture_prototypes(0, diff.num_textures)
    return _render(ident, cam, np.random.default_rng(seed), size, diff,
                   protos, view)


# --------------------------------------------------------------------------- #
# writing jobs (optionally in worker processes)
# --------------------------------------------------------------------------- #
_CTX: Dict[str, object] = {}


def _run_job(job: tuple) -> None:
    path, pid, cam_key, img_seed, view = job
    ctx = _CTX
    img = _render(ctx['idents'][pid], ctx['cams'][cam_key],
                  np.random.default_rng(img_seed), ctx['size'], ctx['diff'],
                  ctx['protos'], view)
    bgr = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, 92] if path.endswith('.jpg') else []
    if not cv2.imwrite(path, bgr, params):
        raise OSError(f'cannot write {path}')


def _run_jobs(jobs: List[tuple], idents: dict, cams: dict,
              size: Tuple[int, int], diff: SyntheticDifficulty,
              protos: Sequence[tuple], workers: int) -> None:
    for folder in sorted({osp.dirname(j[0]) for j in jobs}):
        os.makedirs(folder, exist_ok=True)
    _CTX.update(idents=idents, cams=cams, size=size, diff=diff,
                protos=protos)
    try:
        if workers > 1 and len(jobs) > 64 and \
                'fork' in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context('fork').Pool(workers) as pool:
                for _ in pool.imap_unordered(_run_job, jobs, chunksize=64):
                    pass
        else:
            for job in jobs:
                _run_job(job)
    finally:
        _CTX.clear()


def _check_size(img_size: Sequence[int]) -> Tuple[int, int]:
    if len(img_size) != 2 or min(img_size) < 8:
        raise ValueError(f'img_size must be (height, width) with both >= 8, '
                         f'got {img_size!r}')
    return int(img_size[0]), int(img_size[1])
