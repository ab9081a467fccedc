# Copyright (c) vireid contributors. All rights reserved.
"""What the synthetic people and cameras look like: the shared palette,
textures and scenes, the difficulty knobs, and the seeded draws of one
identity and one camera."""
from dataclasses import asdict, dataclass
from typing import List, Optional

import numpy as np

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
