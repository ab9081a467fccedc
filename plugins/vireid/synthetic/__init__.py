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

The package is not imported by training or testing (``vireid.datasets``
only reads the layouts); ``tools/make_synthetic.py`` and ``tools/demo.py``
use it. Modules, by concern:

- :mod:`.appearance`: palette, textures, scenes, :class:`SyntheticDifficulty`
  and the seeded draws of identities and cameras;
- :mod:`.rendering`: one image from (identity, camera, seed), and batches of
  images written by worker processes;
- :mod:`.layouts`: the SYSU-MM01, RegDB and LLCM folder writers;
- :mod:`.preview`: the visible | infrared preview grid.
"""
from .appearance import SyntheticDifficulty, difficulty_from_dict
from .layouts import (LAYOUT_DIRS, MARKER, make_synthetic,
                      make_synthetic_llcm, make_synthetic_regdb,
                      make_synthetic_sysu)
from .preview import save_sample_grid
from .rendering import render_person

__all__ = [
    'SyntheticDifficulty', 'make_synthetic_sysu', 'make_synthetic_regdb',
    'make_synthetic_llcm', 'make_synthetic', 'save_sample_grid',
    'render_person', 'difficulty_from_dict', 'LAYOUT_DIRS', 'MARKER'
]
