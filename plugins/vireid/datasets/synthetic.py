# Copyright (c) vireid contributors. All rights reserved.
"""Synthetic visible-infrared person re-identification data sets.

The generator draws people-like figures and writes them in the official
SYSU-MM01, RegDB and LLCM folder layouts, so that every vireid component can
be run end to end without the (request-only) real data.

It is a real cross-modal task, not noise:

- **Identities** differ by body proportions (height, shoulders, hips, head,
  limbs), garments (upper and lower colour from a shared palette, upper and
  sometimes lower texture from shared prototypes: solid, stripes, checks,
  dots with an orientation and a frequency; sleeve length; trousers, shorts
  or skirt), skin and hair, accessories (hat, shoulder bag, backpack) and a
  **thermal signature** (per-part heat; dark garments run warmer).
- **Visible cameras** render colour under a per-camera illumination
  (colour cast, brightness, light gradient) and background (indoor room,
  gate, garden, street), with per-image brightness changes.
- **Infrared cameras** render one intensity channel from the thermal
  signature, replicated to 3 channels: colours are invisible, textures show
  only faintly (material emissivity), shapes and accessories stay, and the
  luminance of a garment and its heat are partly correlated. Infrared images
  are noisier and blurrier.
- **Per image:** viewpoint (front, back, side), mirroring, position and
  scale jitter, arm swing, stride, blur and sensor noise.

Many identities share colours and textures, so no single cue separates
them all. The difficulty is set by :class:`SyntheticDifficulty`.

Everything is deterministic given ``seed``: every identity, camera and image
has its own ``np.random.default_rng`` seeded from ``seed`` and its numbers,
so the output does not depend on the number of worker processes.
"""
import json
import math
import multiprocessing
import os
import os.path as osp
import shutil
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'SyntheticDifficulty', 'make_synthetic_sysu', 'make_synthetic_regdb',
    'make_synthetic_llcm', 'make_synthetic', 'save_sample_grid',
    'render_person', 'difficulty_from_dict'
]

# --------------------------------------------------------------------------- #
# shared appearance vocabulary
# --------------------------------------------------------------------------- #
#: Garment palette (RGB); the first ``num_colors`` entries are used.
PALETTE = np.array(
    [
        (25, 25, 28),  # black
        (232, 232, 226),  # white
        (128, 128, 130),  # grey
        (32, 44, 96),  # navy
        (182, 34, 38),  # red
        (44, 122, 58),  # green
        (222, 192, 48),  # yellow
        (112, 72, 42),  # brown
        (204, 184, 144),  # beige
        (62, 112, 204),  # blue
        (222, 124, 164),  # pink
        (112, 52, 132),  # purple
        (232, 124, 34),  # orange
        (102, 112, 52),  # olive
        (34, 124, 124),  # teal
        (104, 24, 34),  # maroon
    ],
    dtype=np.float32)
SKIN_TONES = np.array([(236, 202, 172), (204, 154, 114), (156, 104, 72),
                       (98, 68, 48)],
                      dtype=np.float32)
HAIR_COLORS = np.array([(24, 20, 16), (82, 52, 30), (184, 152, 92),
                        (152, 150, 146)],
                       dtype=np.float32)

# part labels of the label map
BG, SKIN, HAIR, UPPER, LOWER, SHOE, HAT, BAG = range(8)
NUM_PARTS = 8
SOLID, STRIPES, CHECKS, DOTS = range(4)
FRONT, BACK, SIDE = range(3)
_LAYOUT_CODE = dict(sysu=1, regdb=2, llcm=3)
#: Scene colours (RGB): top (wall / sky / building), bottom (floor /
#: ground), extra (door / bars / foliage / lamp-lit wall).
SCENE_COLORS = dict(
    indoor=np.array([(188, 180, 162), (118, 104, 90), (96, 74, 56)],
                    np.float32),
    gate=np.array([(150, 152, 158), (124, 122, 116), (62, 62, 66)],
                  np.float32),
    garden=np.array([(120, 150, 112), (160, 148, 118), (58, 98, 50)],
                    np.float32),
    street=np.array([(82, 86, 96), (96, 94, 90), (120, 110, 90)],
                    np.float32))


@dataclass
class SyntheticDifficulty:
    """Knobs of the synthetic task's difficulty.

    The defaults were calibrated so that the CPU demo (AGW, 6 epochs at
    96x48) lands clearly above chance and clearly below 100 % Rank-1 on
    SYSU-MM01 all-search (see projects/agw/README.md).

    Args:
        num_colors (int): Size of the shared garment palette (2..16). Fewer
            colours mean more identities sharing a colour.
        num_textures (int): Number of shared upper-garment texture
            prototypes (>= 1; prototype 0 is "solid").
        pose_jitter (float): Scale of the per-image position, scale, arm and
            leg jitter (0 = every image of an identity in the same pose).
        noise (float): Scale of the sensor noise (both modalities).
        blur (float): Scale of the per-image blur.
        illumination (float): Scale of the per-camera and per-image
            illumination changes of visible images.
        ir_texture (float): Contrast of garment textures in infrared images
            (0 = invisible, 1 = as strong as the heat difference of parts).
        heat_darkness (float): How strongly dark garments run warmer (0 = the
            infrared intensity carries no information about the colour).
        identity_spread (float): Scale of the per-identity variation of body
            proportions (0 = everyone has the same build).
        heat_noise (float): Scale of the identity-specific random part of a
            garment's heat, beyond what its darkness predicts (0 = heat is
            a function of colour darkness plus small noise).
    """

    num_colors: int = 12
    num_textures: int = 6
    pose_jitter: float = 0.5
    noise: float = 0.5
    blur: float = 1.0
    illumination: float = 1.0
    ir_texture: float = 1.0
    heat_darkness: float = 1.0
    identity_spread: float = 2.0
    heat_noise: float = 0.3

    def __post_init__(self) -> None:
        if not 2 <= self.num_colors <= len(PALETTE):
            raise ValueError(f'SyntheticDifficulty: num_colors must be in '
                             f'2..{len(PALETTE)}, got {self.num_colors}')
        if self.num_textures < 1:
            raise ValueError(f'SyntheticDifficulty: num_textures must be >= '
                             f'1, got {self.num_textures}')
        for name in ('pose_jitter', 'noise', 'blur', 'illumination',
                     'ir_texture', 'heat_darkness', 'identity_spread',
                     'heat_noise'):
            if getattr(self, name) < 0:
                raise ValueError(f'SyntheticDifficulty: {name} must be >= 0, '
                                 f'got {getattr(self, name)}')


# --------------------------------------------------------------------------- #
# random identities and cameras
# --------------------------------------------------------------------------- #
def _texture_prototypes(seed: int, count: int) -> List[tuple]:
    """``count`` texture prototypes ``(kind, angle, freq, duty)``."""
    rng = np.random.default_rng([seed, 9001])
    protos = [(SOLID, 0.0, 0.0, 0.0)]
    kinds = [STRIPES, CHECKS, DOTS]
    for i in range(1, count):
        kind = kinds[(i - 1) % 3] if i <= 3 else int(rng.integers(1, 4))
        angle = float(rng.choice([0.0, 90.0, 45.0, 135.0]))
        freq = float(rng.uniform(7.0, 14.0))
        duty = float(rng.uniform(0.35, 0.6))
        protos.append((kind, angle, freq, duty))
    return protos


def _luminance(rgb: np.ndarray) -> float:
    return float(rgb @ np.array([0.299, 0.587, 0.114], np.float32)) / 255.0


def _sample_identity(seed: int, layout: str, pid: int,
                     diff: SyntheticDifficulty) -> dict:
    """Draw the appearance of one identity (deterministic)."""
    rng = np.random.default_rng([seed, _LAYOUT_CODE[layout], 1, pid])
    s = diff.identity_spread
    ncol = diff.num_colors

    def color(idx: int) -> np.ndarray:
        jitter = rng.normal(0, 8, 3).astype(np.float32)
        return np.clip(PALETTE[idx] + jitter, 0, 255)

    male = bool(rng.random() < 0.5)
    upper_idx = int(rng.integers(ncol))
    second_idx = int((upper_idx + rng.integers(1, ncol)) % ncol)
    lower_idx = int(rng.integers(ncol))
    lower_second = int((lower_idx + rng.integers(1, ncol)) % ncol)
    n_tex = diff.num_textures
    upper_tex = 0 if (n_tex == 1 or rng.random() < 0.3) else int(
        rng.integers(1, n_tex))
    lower_tex = int(rng.integers(1, n_tex)) if (
        n_tex > 1 and rng.random() < 0.2) else 0
    if male:
        lower_kind = 'shorts' if rng.random() < 0.2 else 'trousers'
    else:
        lower_kind = str(rng.choice(['trousers', 'shorts', 'skirt'],
                                    p=[0.55, 0.15, 0.3]))
    bag_kind = str(rng.choice(['none', 'shoulder', 'backpack'],
                              p=[0.5, 0.3, 0.2]))

    primary = np.zeros((NUM_PARTS, 3), np.float32)
    secondary = np.zeros((NUM_PARTS, 3), np.float32)
    primary[SKIN] = SKIN_TONES[rng.integers(len(SKIN_TONES))]
    primary[HAIR] = HAIR_COLORS[rng.integers(len(HAIR_COLORS))]
    primary[UPPER] = color(upper_idx)
    secondary[UPPER] = color(second_idx)
    primary[LOWER] = color(lower_idx)
    secondary[LOWER] = color(lower_second)
    primary[SHOE] = color(int(rng.choice([0, 1, 2, 7] if ncol > 7 else
                                          [0, 1])))
    primary[HAT] = color(int(rng.integers(ncol)))
    primary[BAG] = color(int(rng.integers(ncol)))
    secondary[[SKIN, HAIR, SHOE, HAT, BAG]] = primary[[SKIN, HAIR, SHOE, HAT,
                                                      BAG]]

    # thermal signature (0 cold .. 1 hot); dark garments run warmer
    hd = diff.heat_darkness
    heat = np.zeros(NUM_PARTS, np.float32)
    heat[SKIN] = rng.uniform(0.85, 1.0)
    heat[HAIR] = rng.uniform(0.55, 0.7)
    for part in (UPPER, LOWER):
        lum = 0.5 * (_luminance(primary[part]) + _luminance(secondary[part]))
        heat[part] = (0.6 + diff.heat_noise * rng.uniform(-0.15, 0.15) +
                      hd * 0.5 * (0.5 - lum) + rng.normal(0, 0.04))
    heat[SHOE] = rng.uniform(0.3, 0.5)
    heat[HAT] = rng.uniform(0.45, 0.7)
    heat[BAG] = rng.uniform(0.2, 0.55)
    heat = np.clip(heat, 0.05, 1.0)

    return dict(
        pid=pid,
        male=male,
        height=float(rng.uniform(0.86, 0.95) if s > 0 else 0.9),
        shoulder=float(0.23 + (0.025 if male else 0.0) +
                       s * rng.uniform(-0.03, 0.03)),
        hip_ratio=float(0.8 + (-0.05 if male else 0.08) +
                        s * rng.uniform(-0.08, 0.08)),
        head=float(0.13 + s * rng.uniform(-0.012, 0.012)),
        torso=float(0.33 + s * rng.uniform(-0.03, 0.03)),
        arm_w=float(0.052 + s * rng.uniform(-0.008, 0.008)),
        leg_w=float(0.078 + s * rng.uniform(-0.012, 0.012)),
        long_sleeves=bool(rng.random() < 0.6),
        lower_kind=lower_kind,
        long_hair=bool(rng.random() < (0.6 if not male else 0.08)),
        hat=bool(rng.random() < 0.2),
        bag=bag_kind,
        bag_side=int(rng.choice([-1, 1])),
        upper_tex=upper_tex,
        lower_tex=lower_tex,
        primary=primary,
        secondary=secondary,
        heat=heat,
        ir_tex=float(diff.ir_texture * rng.uniform(0.5, 1.0)),
    )


def _sample_camera(seed: int, layout: str, cam: int, modality: int,
                   scene: str, lowlight: bool = False) -> dict:
    """Draw the fixed properties of one camera (deterministic)."""
    rng = np.random.default_rng([seed, _LAYOUT_CODE[layout], 2, cam,
                                 modality])
    if modality == 0:
        cast = rng.uniform(0.8, 1.15, 3).astype(np.float32)
        cast /= cast.mean()
        bright = rng.uniform(0.3, 0.55) if lowlight else rng.uniform(
            0.8, 1.1)
        return dict(
            modality=0,
            scene=scene,
            cast=cast,
            bright=float(bright),
            colors=np.clip(
                SCENE_COLORS[scene] + rng.normal(0, 18, (3, 3)), 0,
                255).astype(np.float32),
            horizon=float(rng.uniform(0.55, 0.8)),
            light_dir=float(rng.uniform(-0.25, 0.25)),
            noise=float(9.0 if lowlight else 3.0),
            blur=float(rng.uniform(0.2, 0.6)))
    return dict(
        modality=1,
        scene=scene,
        gain=float(rng.uniform(150, 210)),
        offset=float(rng.uniform(15, 45)),
        bg_heat=float(rng.uniform(0.1, 0.3)),
        horizon=float(rng.uniform(0.55, 0.8)),
        noise=float(rng.uniform(5.0, 8.0)),
        blur=float(rng.uniform(0.5, 1.0)))


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


#: File written into every generated root (generation parameters).
MARKER = '.vireid_synthetic.json'


def _prepare_out(out: str, overwrite: bool) -> None:
    """Refuse to write into a non-empty folder unless it is replaceable."""
    if osp.isdir(out) and os.listdir(out):
        if not osp.isfile(osp.join(out, MARKER)):
            raise FileExistsError(
                f'{out} is not empty and was not written by the vireid '
                f'synthetic generator ({MARKER} missing); choose another '
                f'output folder')
        if not overwrite:
            raise FileExistsError(
                f'{out} already holds a synthetic data set; pass '
                f'overwrite=True (--overwrite) to replace it')
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)


def _write_marker(out: str, summary: dict, seed: int, size: Tuple[int, int],
                  diff: 'SyntheticDifficulty') -> None:
    info = dict(
        summary, seed=seed, img_size=list(size), difficulty=asdict(diff))
    with open(osp.join(out, MARKER), 'w', encoding='utf-8') as f:
        json.dump(info, f, indent=1, sort_keys=True, default=str)


def _check_range(name: str, value: Sequence[int]) -> Tuple[int, int]:
    if len(value) != 2 or not 1 <= int(value[0]) <= int(value[1]):
        raise ValueError(f'{name} must be (low, high) with 1 <= low <= high, '
                         f'got {value!r}')
    return int(value[0]), int(value[1])


def _write_id_line(path: str, ids: Sequence[int]) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        f.write(','.join(str(int(i)) for i in sorted(ids)) + '\n')


def _write_lines(path: str, lines: Sequence[str]) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        f.write(''.join(line + '\n' for line in lines))


def _pick_pids(rng: np.random.Generator, count: int) -> List[int]:
    """``count`` distinct identity numbers >= 1 with gaps, sorted."""
    pool = np.arange(1, int(count * 1.15) + 3)
    return sorted(int(p) for p in rng.choice(pool, count, replace=False))


# --------------------------------------------------------------------------- #
# SYSU-MM01
# --------------------------------------------------------------------------- #
SYSU_SCENES = {1: 'indoor', 2: 'indoor', 3: 'indoor', 4: 'gate',
               5: 'garden', 6: 'street'}


def make_synthetic_sysu(out: str,
                        num_train_ids: int = 120,
                        num_test_ids: int = 40,
                        seed: int = 0,
                        img_size: Sequence[int] = (128, 64),
                        images_per_cam: Sequence[int] = (6, 12),
                        val_fraction: float = 0.25,
                        difficulty: Optional[SyntheticDifficulty] = None,
                        workers: int = 1,
                        overwrite: bool = False) -> dict:
    """Write a synthetic data set in the SYSU-MM01 layout.

    ``out/cam1..cam6/<pid:04d>/<n:04d>.jpg`` plus ``out/exp/{available_id,
    train_id,val_id,test_id}.txt`` (one line of comma-separated ids). RGB
    cameras 1, 2 (indoor rooms), 4 (gate), 5 (garden); infrared cameras 3
    (indoor, shares room 2) and 6 (outdoor). Not every identity is in every
    camera, but every identity has at least one RGB and one infrared camera,
    and about 60 % of the identities (at least one test identity) are seen
    indoors by cams 1 and 2, so indoor search is not empty.

    Args:
        out (str): Output folder (created).
        num_train_ids (int): Identities of ``train_id`` + ``val_id``.
        num_test_ids (int): Identities of ``test_id``.
        seed (int): Random seed; the output is a function of it.
        img_size (Sequence[int]): ``(height, width)``.
        images_per_cam (Sequence[int]): Inclusive range of images per
            identity and camera.
        val_fraction (float): Share of the training identities written to
            ``val_id.txt``.
        difficulty (SyntheticDifficulty, optional): Difficulty knobs.
        workers (int): Worker processes (the output does not depend on it).
        overwrite (bool): Replace ``out`` if it holds an earlier synthetic
            data set (a foreign non-empty folder is never touched).

    Returns:
        dict: ``num_images``, ``num_train_ids``, ``num_test_ids`` and the
        per-camera image counts ``cam_images``.
    """
    size = _check_size(img_size)
    _check_range('images_per_cam', images_per_cam)
    diff = difficulty or SyntheticDifficulty()
    if num_train_ids < 2 or num_test_ids < 1:
        raise ValueError('make_synthetic_sysu: need >= 2 training and >= 1 '
                         'test identities')
    _prepare_out(out, overwrite)
    code = _LAYOUT_CODE['sysu']
    rng = np.random.default_rng([seed, code, 0])
    pids = _pick_pids(rng, num_train_ids + num_test_ids)
    order = rng.permutation(pids).tolist()
    test_ids = sorted(order[:num_test_ids])
    train_all = order[num_test_ids:]
    num_val = min(max(1, int(round(val_fraction * len(train_all)))),
                  len(train_all) - 1)
    val_ids = sorted(train_all[:num_val])
    train_ids = sorted(train_all[num_val:])

    protos = _texture_prototypes(seed, diff.num_textures)
    idents = {p: _sample_identity(seed, 'sysu', p, diff) for p in pids}
    cams = {(c, 1 if c in (3, 6) else 0):
            _sample_camera(seed, 'sysu', c, 1 if c in (3, 6) else 0,
                           SYSU_SCENES[c])
            for c in range(1, 7)}

    presence = {}
    for pid in pids:
        prng = np.random.default_rng([seed, code, 3, pid])
        indoor = prng.random() < 0.6
        cams_of = [1, 2] if indoor else []
        cams_of += [c for c in (4, 5) if prng.random() < 0.55]
        if not cams_of:
            cams_of = [int(prng.choice([4, 5]))]
        ir = [3] if prng.random() < (0.8 if indoor else 0.15) else []
        ir += [6] if prng.random() < 0.65 else []
        if not ir:
            ir = [3] if indoor else [6]
        presence[pid] = sorted(cams_of + ir)
    if not any(1 in presence[p] for p in test_ids):
        presence[test_ids[0]] = sorted(set(presence[test_ids[0]]) | {1, 2})

    jobs = []
    cam_images = {c: 0 for c in range(1, 7)}
    lo, hi = _check_range('images_per_cam', images_per_cam)
    for pid in pids:
        for cam in presence[pid]:
            crng = np.random.default_rng([seed, code, 4, pid, cam])
            for k in range(int(crng.integers(lo, hi + 1))):
                path = osp.join(out, f'cam{cam}', f'{pid:04d}',
                                f'{k + 1:04d}.jpg')
                jobs.append((path, pid, (cam, 1 if cam in (3, 6) else 0),
                             [seed, code, 5, pid, cam, k], None))
                cam_images[cam] += 1
    for cam in range(1, 7):
        os.makedirs(osp.join(out, f'cam{cam}'), exist_ok=True)
    _run_jobs(jobs, idents, cams, size, diff, protos, workers)

    exp = osp.join(out, 'exp')
    os.makedirs(exp, exist_ok=True)
    _write_id_line(osp.join(exp, 'available_id.txt'), pids)
    _write_id_line(osp.join(exp, 'train_id.txt'), train_ids)
    _write_id_line(osp.join(exp, 'val_id.txt'), val_ids)
    _write_id_line(osp.join(exp, 'test_id.txt'), test_ids)
    summary = dict(
        layout='sysu',
        num_images=len(jobs),
        num_train_ids=len(train_all),
        num_test_ids=len(test_ids),
        cam_images=cam_images)
    _write_marker(out, summary, seed, size, diff)
    return summary


# --------------------------------------------------------------------------- #
# RegDB
# --------------------------------------------------------------------------- #
def make_synthetic_regdb(out: str,
                         num_ids: int = 100,
                         seed: int = 0,
                         img_size: Sequence[int] = (128, 64),
                         images_per_modality: int = 10,
                         num_trials: int = 10,
                         difficulty: Optional[SyntheticDifficulty] = None,
                         workers: int = 1,
                         overwrite: bool = False) -> dict:
    """Write a synthetic data set in the RegDB layout.

    ``out/Visible/<pid>/<female|male>_<front|back>_v_<frame:05d>_<pid>.bmp``,
    the same under ``Thermal/`` with ``_t_``, and
    ``out/idx/{train,test}_{visible,thermal}_{trial}.txt`` for trials
    ``1..num_trials``; each trial splits the identities at random 50/50 into
    train and test, labels are contiguous in sorted pid order within each
    file pair. One co-located camera pair: visible (camid 1) and thermal
    (camid 2); views are front or back.

    Args:
        out (str): Output folder (created).
        num_ids (int): Identities (even, >= 4); pids are ``1..num_ids``.
        seed (int): Random seed.
        img_size (Sequence[int]): ``(height, width)``.
        images_per_modality (int): Images per identity and modality (10 as
            the real data).
        num_trials (int): Number of split trials.
        difficulty (SyntheticDifficulty, optional): Difficulty knobs.
        workers (int): Worker processes (the output does not depend on it).
        overwrite (bool): Replace ``out`` if it holds an earlier synthetic
            data set (a foreign non-empty folder is never touched).

    Returns:
        dict: ``num_images``, ``num_ids``, ``num_trials``.
    """
    size = _check_size(img_size)
    diff = difficulty or SyntheticDifficulty()
    if num_ids < 4 or num_ids % 2:
        raise ValueError(f'make_synthetic_regdb: num_ids must be even and >= '
                         f'4, got {num_ids}')
    _check_range('images_per_modality', (images_per_modality, ) * 2)
    _prepare_out(out, overwrite)
    code = _LAYOUT_CODE['regdb']
    pids = list(range(1, num_ids + 1))
    protos = _texture_prototypes(seed, diff.num_textures)
    idents = {p: _sample_identity(seed, 'regdb', p, diff) for p in pids}
    cams = {(1, 0): _sample_camera(seed, 'regdb', 1, 0, 'street'),
            (2, 1): _sample_camera(seed, 'regdb', 2, 1, 'street')}
    cams[(2, 1)]['blur'] += 0.6  # far-infrared sensors are soft

    jobs, rel = [], {}
    for pid in pids:
        prng = np.random.default_rng([seed, code, 3, pid])
        gender = 'male' if idents[pid]['male'] else 'female'
        frame = int(prng.integers(0, 90000))
        for folder, tag, cam in (('Visible', 'v', (1, 0)), ('Thermal', 't',
                                                            (2, 1))):
            names = []
            for k in range(images_per_modality):
                view = FRONT if prng.random() < 0.5 else BACK
                frame += int(prng.integers(1, 40))
                name = (f'{gender}_{"front" if view == FRONT else "back"}_'
                        f'{tag}_{frame:05d}_{pid}.bmp')
                names.append(f'{folder}/{pid}/{name}')
                jobs.append((osp.join(out, folder, str(pid), name), pid, cam,
                             [seed, code, 5, pid, cam[0], k], view))
            rel[(pid, folder)] = names
    _run_jobs(jobs, idents, cams, size, diff, protos, workers)

    idx = osp.join(out, 'idx')
    os.makedirs(idx, exist_ok=True)
    for trial in range(1, num_trials + 1):
        trng = np.random.default_rng([seed, code, 6, trial])
        perm = trng.permutation(pids).tolist()
        splits = dict(
            train=sorted(perm[:num_ids // 2]),
            test=sorted(perm[num_ids // 2:]))
        for split, ids in splits.items():
            for folder, name in (('Visible', 'visible'), ('Thermal',
                                                          'thermal')):
                lines = [f'{path} {label}' for label, pid in enumerate(ids)
                         for path in rel[(pid, folder)]]
                _write_lines(osp.join(idx, f'{split}_{name}_{trial}.txt'),
                             lines)
    summary = dict(
        layout='regdb',
        num_images=len(jobs),
        num_ids=num_ids,
        num_trials=num_trials)
    _write_marker(out, summary, seed, size, diff)
    return summary


# --------------------------------------------------------------------------- #
# LLCM
# --------------------------------------------------------------------------- #
LLCM_SCENES = ('street', 'indoor', 'gate', 'garden', 'street', 'indoor',
               'gate', 'street', 'garden')


def make_synthetic_llcm(out: str,
                        num_train_ids: int = 100,
                        num_test_ids: int = 40,
                        seed: int = 0,
                        img_size: Sequence[int] = (128, 64),
                        images_per_cam: Sequence[int] = (3, 6),
                        difficulty: Optional[SyntheticDifficulty] = None,
                        workers: int = 1,
                        overwrite: bool = False) -> dict:
    """Write a synthetic data set in the LLCM layout.

    Training images ``out/{vis,nir}/<pid:04d>/<pid:04d>_c<cam:02d>_s<time>_
    f<frame>_{vis,nir}.jpg`` listed in ``out/idx/train_{vis,nir}.txt``
    (``<relative path> <label>``, labels contiguous in sorted pid order);
    test images ``out/test_{vis,nir}/cam<K>/<pid:04d>/*.jpg`` for the
    identities of ``out/idx/test_id.txt`` (one line), and
    ``idx/test_{vis,nir}.txt`` (``<relative path> <pid>``). Nine cameras
    record both modalities (camera numbers shared); visible images are
    low-light. As in the real data, ``test_nir/cam3`` exists but is empty.
    Every identity has >= 2 cameras of each modality.

    Args:
        out (str): Output folder (created).
        num_train_ids (int): Training identities.
        num_test_ids (int): Test identities.
        seed (int): Random seed.
        img_size (Sequence[int]): ``(height, width)``.
        images_per_cam (Sequence[int]): Inclusive range of images per
            identity, camera and modality.
        difficulty (SyntheticDifficulty, optional): Difficulty knobs.
        workers (int): Worker processes (the output does not depend on it).
        overwrite (bool): Replace ``out`` if it holds an earlier synthetic
            data set (a foreign non-empty folder is never touched).

    Returns:
        dict: ``num_images``, ``num_train_ids``, ``num_test_ids``.
    """
    size = _check_size(img_size)
    _check_range('images_per_cam', images_per_cam)
    diff = difficulty or SyntheticDifficulty()
    if num_train_ids < 2 or num_test_ids < 1:
        raise ValueError('make_synthetic_llcm: need >= 2 training and >= 1 '
                         'test identities')
    _prepare_out(out, overwrite)
    code = _LAYOUT_CODE['llcm']
    rng = np.random.default_rng([seed, code, 0])
    pids = _pick_pids(rng, num_train_ids + num_test_ids)
    order = rng.permutation(pids).tolist()
    test_ids = sorted(order[:num_test_ids])
    train_ids = sorted(order[num_test_ids:])
    test_set = set(test_ids)

    protos = _texture_prototypes(seed, diff.num_textures)
    idents = {p: _sample_identity(seed, 'llcm', p, diff) for p in pids}
    cams = {}
    for c in range(1, 10):
        cams[(c, 0)] = _sample_camera(seed, 'llcm', c, 0, LLCM_SCENES[c - 1],
                                      lowlight=True)
        cams[(c, 1)] = _sample_camera(seed, 'llcm', c, 1, LLCM_SCENES[c - 1])

    jobs = []
    lists = dict(train_vis=[], train_nir=[], test_vis=[], test_nir=[])
    lo, hi = _check_range('images_per_cam', images_per_cam)
    label_of = {p: i for i, p in enumerate(train_ids)}
    for pid in pids:
        prng = np.random.default_rng([seed, code, 3, pid])
        is_test = pid in test_set
        for modality, tag in ((0, 'vis'), (1, 'nir')):
            allowed = [c for c in range(1, 10)
                       if not (is_test and modality == 1 and c == 3)]
            chosen = sorted(
                int(c) for c in prng.choice(
                    allowed, int(prng.integers(2, 5)), replace=False))
            for cam in chosen:
                time = int(prng.integers(100000, 235959))
                frame = int(prng.integers(100, 5000))
                for k in range(int(prng.integers(lo, hi + 1))):
                    frame += int(prng.integers(1, 60))
                    name = (f'{pid:04d}_c{cam:02d}_s{time:06d}_f{frame}_'
                            f'{tag}.jpg')
                    if is_test:
                        relp = f'test_{tag}/cam{cam}/{pid:04d}/{name}'
                        lists[f'test_{tag}'].append(f'{relp} {pid}')
                    else:
                        relp = f'{tag}/{pid:04d}/{name}'
                        lists[f'train_{tag}'].append(
                            f'{relp} {label_of[pid]}')
                    jobs.append((osp.join(out, *relp.split('/')), pid,
                                 (cam, modality),
                                 [seed, code, 5, pid, cam, modality, k],
                                 None))
    for tag in ('vis', 'nir'):
        for cam in range(1, 10):
            os.makedirs(osp.join(out, f'test_{tag}', f'cam{cam}'),
                        exist_ok=True)
    _run_jobs(jobs, idents, cams, size, diff, protos, workers)

    idx = osp.join(out, 'idx')
    os.makedirs(idx, exist_ok=True)
    for name, lines in lists.items():
        _write_lines(osp.join(idx, f'{name}.txt'), sorted(lines))
    _write_id_line(osp.join(idx, 'test_id.txt'), test_ids)
    summary = dict(
        layout='llcm',
        num_images=len(jobs),
        num_train_ids=len(train_ids),
        num_test_ids=len(test_ids))
    _write_marker(out, summary, seed, size, diff)
    return summary


# --------------------------------------------------------------------------- #
# all layouts and the preview grid
# --------------------------------------------------------------------------- #
def make_synthetic(out: str,
                   layouts: Sequence[str] = ('sysu', 'regdb', 'llcm'),
                   num_ids: Optional[int] = None,
                   seed: int = 0,
                   img_size: Sequence[int] = (128, 64),
                   difficulty: Optional[SyntheticDifficulty] = None,
                   workers: int = 1,
                   overwrite: bool = False) -> Dict[str, dict]:
    """Write several layouts under ``out/{SYSU-MM01,RegDB,LLCM}``.

    Args:
        out (str): Output folder.
        layouts (Sequence[str]): Any of ``'sysu'``, ``'regdb'``, ``'llcm'``.
        num_ids (int, optional): Total identities per layout (a quarter of
            them, at least one, are test identities; RegDB splits 50/50 per
            trial). Defaults to each builder's default.
        seed (int): Random seed.
        img_size (Sequence[int]): ``(height, width)``.
        difficulty (SyntheticDifficulty, optional): Difficulty knobs.
        workers (int): Worker processes (the output does not depend on it).
        overwrite (bool): Replace ``out`` if it holds an earlier synthetic
            data set (a foreign non-empty folder is never touched).

    Returns:
        dict[str, dict]: Each layout's summary, with its ``root``.
    """
    summaries = {}
    common = dict(
        seed=seed,
        img_size=img_size,
        difficulty=difficulty,
        workers=workers,
        overwrite=overwrite)
    for layout in layouts:
        if layout not in LAYOUT_DIRS:
            raise ValueError(f'unknown layout {layout!r}; expected one of '
                             f'{sorted(LAYOUT_DIRS)}')
        root = osp.join(out, LAYOUT_DIRS[layout])
        if layout == 'regdb':
            kw = {} if num_ids is None else dict(num_ids=max(
                4, num_ids + num_ids % 2))
            summary = make_synthetic_regdb(root, **kw, **common)
        else:
            kw = {}
            if num_ids is not None:
                n_test = max(1, num_ids // 4)
                kw = dict(
                    num_train_ids=max(2, num_ids - n_test),
                    num_test_ids=n_test)
            fn = make_synthetic_sysu if layout == 'sysu' else \
                make_synthetic_llcm
            summary = fn(root, **kw, **common)
        summary['root'] = root
        summaries[layout] = summary
    return summaries


#: Sub-folder of each layout written by :func:`make_synthetic`.
LAYOUT_DIRS = dict(sysu='SYSU-MM01', regdb='RegDB', llcm='LLCM')


def _detect_layout(root: str) -> str:
    if osp.isdir(osp.join(root, 'cam1')) and osp.isdir(osp.join(root, 'exp')):
        return 'sysu'
    if osp.isdir(osp.join(root, 'Visible')) and osp.isdir(
            osp.join(root, 'Thermal')):
        return 'regdb'
    if osp.isdir(osp.join(root, 'test_vis')):
        return 'llcm'
    raise FileNotFoundError(
        f'{root}: not a SYSU-MM01, RegDB or LLCM layout (expected cam1/ and '
        f'exp/, Visible/ and Thermal/, or test_vis/)')


def _images_by_identity(root: str, layout: str) -> Dict[int, Tuple[list,
                                                                   list]]:
    """pid -> (visible paths, infrared paths), sorted."""
    from .parsing import list_images
    found: Dict[int, Tuple[list, list]] = {}

    def add(pid: int, modality: int, folder: str) -> None:
        files = [osp.join(folder, n) for n in list_images(folder)]
        found.setdefault(pid, ([], []))[modality].extend(files)

    if layout == 'sysu':
        for cam in range(1, 7):
            cam_dir = osp.join(root, f'cam{cam}')
            for name in sorted(os.listdir(cam_dir)):
                if name.isdigit():
                    add(int(name), int(cam in (3, 6)),
                        osp.join(cam_dir, name))
    elif layout == 'regdb':
        for modality, folder in enumerate(('Visible', 'Thermal')):
            for name in sorted(os.listdir(osp.join(root, folder))):
                if name.isdigit():
                    add(int(name), modality, osp.join(root, folder, name))
    else:
        for modality, folder in enumerate(('test_vis', 'test_nir')):
            base = osp.join(root, folder)
            for cam in sorted(os.listdir(base)):
                for name in sorted(os.listdir(osp.join(base, cam))):
                    if name.isdigit():
                        add(int(name), modality, osp.join(base, cam, name))
    return found


def save_sample_grid(root: str,
                     out_png: str,
                     num_ids: int = 6,
                     per_modality: int = 4,
                     upscale: int = 1) -> str:
    """Save a preview grid: one identity per row, visible | infrared.

    Each row shows ``per_modality`` visible images of an identity, a gap,
    then ``per_modality`` infrared images of the same identity (spread over
    its cameras), so that the cross-modal task can be judged by eye.

    Args:
        root (str): A SYSU-MM01, RegDB or LLCM layout (detected).
        out_png (str): The PNG to write.
        num_ids (int): Number of identities (rows).
        per_modality (int): Images per modality and row.
        upscale (int): Nearest-neighbour enlargement factor.

    Returns:
        str: ``out_png``.
    """
    layout = _detect_layout(root)
    found = _images_by_identity(root, layout)
    pids = [p for p in sorted(found) if found[p][0] and found[p][1]]
    if not pids:
        raise ValueError(f'{root}: no identity with images of both '
                         f'modalities')
    step = max(1, len(pids) // num_ids)
    pids = pids[::step][:num_ids]
    tiles_h = tiles_w = None
    rows = []
    for pid in pids:
        row = []
        for modality in (0, 1):
            files = found[pid][modality]
            pick = np.linspace(0, len(files) - 1, per_modality).round()
            for i in pick.astype(int):
                img = cv2.imread(files[i], cv2.IMREAD_COLOR)
                if tiles_h is None:
                    tiles_h, tiles_w = img.shape[:2]
                row.append(cv2.resize(img, (tiles_w, tiles_h)))
            if modality == 0:
                row.append(np.full((tiles_h, tiles_w // 4, 3), 255,
                                   np.uint8))
        rows.append(np.concatenate(row, axis=1))
        rows.append(np.full((4, rows[-1].shape[1], 3), 255, np.uint8))
    grid = np.concatenate(rows[:-1], axis=0)
    if upscale > 1:
        grid = cv2.resize(
            grid, (grid.shape[1] * upscale, grid.shape[0] * upscale),
            interpolation=cv2.INTER_NEAREST)
    folder = osp.dirname(out_png)
    if folder:
        os.makedirs(folder, exist_ok=True)
    params = [cv2.IMWRITE_PNG_COMPRESSION, 9] if out_png.lower().endswith(
        '.png') else []
    if not cv2.imwrite(out_png, grid, params):
        raise OSError(f'cannot write {out_png}')
    return out_png


def difficulty_from_dict(cfg: Optional[dict]) -> SyntheticDifficulty:
    """Build :class:`SyntheticDifficulty` from a (partial) dict.

    Args:
        cfg (dict, optional): Field overrides.

    Returns:
        SyntheticDifficulty: The knobs.
    """
    cfg = dict(cfg or {})
    unknown = set(cfg) - set(asdict(SyntheticDifficulty()))
    if unknown:
        raise ValueError(f'unknown difficulty fields {sorted(unknown)}; '
                         f'expected {sorted(asdict(SyntheticDifficulty()))}')
    return SyntheticDifficulty(**cfg)
