# Copyright (c) vireid contributors. All rights reserved.
"""Parameter-free middle images: grey replication and a random channel."""
from typing import List, Optional, Sequence

import torch

from vireid.registry import MODELS
from vireid.structures import VIReIDDataSample
from .base import BaseTransitionGenerator

#: ITU-R 601 luma weights (R, G, B), as CAJ and torchvision.
GRAY_WEIGHTS = (0.2989, 0.587, 0.114)


@MODELS.register_module()
class GrayscaleTransition(BaseTransitionGenerator):
    """Middle image = the luma of the visible image, replicated to 3 channels.

    Option (a) of the MTRL reconstruction (the MTRL README,
    **[RECON]**): ``M = 0.2989 R + 0.587 G + 0.114 B`` in every channel. It
    has no parameters, so an MTRL model with it has exactly the state dict
    of the plain backbone model.

    Args:
        weights (Sequence[float]): Channel weights (R, G, B). Defaults to
            the ITU-R 601 luma.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 weights: Sequence[float] = GRAY_WEIGHTS,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(weights) != 3:
            raise ValueError(f'GrayscaleTransition: weights must be 3 values '
                             f'(R, G, B), got {tuple(weights)}')
        self.weights = tuple(float(w) for w in weights)

    def forward(self, images: torch.Tensor,
                data_samples: Optional[List[VIReIDDataSample]] = None
                ) -> torch.Tensor:
        """See :meth:`BaseTransitionGenerator.forward`."""
        self._check('GrayscaleTransition', images)
        w = images.new_tensor(self.weights).view(1, 3, 1, 1)
        gray = (images * w).sum(dim=1, keepdim=True)
        return gray.expand(-1, 3, -1, -1).contiguous()

    def extra_repr(self) -> str:
        return f'weights={self.weights}'


@MODELS.register_module()
class RandomChannelTransition(BaseTransitionGenerator):
    """Middle image = one random colour channel copied to all three (CAJ).

    Option (b) of the MTRL reconstruction (**[RECON]**), the channel
    exchange of CAJ (Ye et al., ICCV 2021) applied per image: ``idx`` is
    drawn uniformly from ``{0, ..., gray}``; 0, 1, 2 copy R, G or B, and
    ``idx == 3`` (only with ``gray=3``) gives the luma. In training mode
    the draw uses torch's RNG (seeded by mmengine's ``randomness``); in eval
    mode (``deterministic_eval=True``) the luma is returned, so a picture
    or a test is reproducible.

    Args:
        gray (int): Largest index drawn, 2 (single channels only, CAJ's
            training setting) or 3. Defaults to 2.
        deterministic_eval (bool): Luma in eval mode. Defaults to True.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 gray: int = 2,
                 deterministic_eval: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if gray not in (2, 3):
            raise ValueError(f'RandomChannelTransition: gray must be 2 or 3, '
                             f'got {gray!r}')
        self.gray = int(gray)
        self.deterministic_eval = deterministic_eval

    def forward(self, images: torch.Tensor,
                data_samples: Optional[List[VIReIDDataSample]] = None
                ) -> torch.Tensor:
        """See :meth:`BaseTransitionGenerator.forward`."""
        self._check('RandomChannelTransition', images)
        n = images.shape[0]
        w = images.new_tensor(GRAY_WEIGHTS).view(1, 3, 1, 1)
        gray = (images * w).sum(dim=1, keepdim=True)
        if not self.training and self.deterministic_eval:
            return gray.expand(-1, 3, -1, -1).contiguous()
        idx = torch.randint(0, self.gray + 1, (n, ), device=images.device)
        # candidates: R, G, B, luma -> pick one per image
        cands = torch.cat([images, gray], dim=1)  # N x 4 x H x W
        picked = cands[torch.arange(n, device=images.device), idx]
        return picked.unsqueeze(1).expand(-1, 3, -1, -1).contiguous()

    def extra_repr(self) -> str:
        return (f'gray={self.gray}, '
                f'deterministic_eval={self.deterministic_eval}')
