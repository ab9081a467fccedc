# Copyright (c) vireid contributors. All rights reserved.
"""Generalised-mean pooling."""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from vireid.registry import MODELS


@MODELS.register_module()
class GeMPooling(BaseModule):
    """Generalised-mean (GeM) pooling: ``(mean(clamp(x, eps)^p))^(1/p)``.

    ``p = 1`` is average pooling and ``p -> inf`` max pooling; AGW and IDKL
    use a fixed ``p = 3``. The pooling is computed in float32 and returns
    float32, also under autocast, because low precision is lossy here:
    ``x^3`` overflows float16 above ``x = 40``, and in bfloat16 (8
    significant bits) the cubes span several orders of magnitude, so their
    sum over the ``H x W`` positions drops the small terms and every value
    is rounded to about 3 decimal digits, an error that goes straight into
    the final feature (it feeds the triplet loss and the BNNeck; a learnable
    ``p`` would also get a coarse gradient). The cost is one element-wise
    pass over the last feature map, negligible next to the backbone.

    Reference: Radenovic et al., "Fine-tuning CNN Image Retrieval with No
    Human Annotation", TPAMI 2019.

    Args:
        p (float): The exponent. Defaults to 3.0.
        learnable (bool): Learn ``p`` as a parameter. Defaults to False.
        eps (float): Lower clamp of the inputs. Defaults to 1e-6.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 p: float = 3.0,
                 learnable: bool = False,
                 eps: float = 1e-6,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if p <= 0:
            raise ValueError(f'GeMPooling: p must be positive, got {p}')
        if learnable:
            self.p = nn.Parameter(torch.tensor([float(p)]))
        else:
            self.register_buffer('p', torch.tensor([float(p)]),
                                 persistent=False)
        self.learnable = learnable
        self.eps = eps

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f'GeMPooling: expected B x C x H x W, got '
                             f'{tuple(x.shape)}')
        with torch.autocast(device_type=x.device.type, enabled=False):
            p = self.p.float()
            return x.float().clamp(min=self.eps).pow(p).mean(
                dim=(-2, -1)).pow(1.0 / p)

    def forward(
        self, inputs: Union[torch.Tensor, Tuple[torch.Tensor, ...]]
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        """Pool each map.

        Args:
            inputs (Tensor | tuple[Tensor]): ``B x C x H x W`` map(s).

        Returns:
            Tensor | tuple[Tensor]: ``B x C`` float32 vector(s), with the
            same structure as ``inputs``.
        """
        if isinstance(inputs, (tuple, list)):
            return tuple(self._pool(x) for x in inputs)
        return self._pool(inputs)

    def extra_repr(self) -> str:
        return (f'p={float(self.p.detach()[0]):.4g}, '
                f'learnable={self.learnable}, eps={self.eps}')
