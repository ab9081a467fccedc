# Copyright (c) vireid contributors. All rights reserved.
"""Modality discriminator MLP (IDKL's ``D_special`` / ``D_shared_pseu``)."""
from typing import List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid.registry import MODELS


@MODELS.register_module()
class ModalityDiscriminator(BaseModule):
    """MLP ``C -> hidden -> hidden -> num_modalities`` on a feature vector.

    Each hidden layer is ``Linear`` (with bias) -> ``BatchNorm1d`` ->
    ``ReLU`` -> dropout; the last layer is a plain ``Linear``. IDKL uses
    ``C = 2048``, ``hidden = 100``, dropout 0.5 and PyTorch's default
    initialisation.

    Args:
        in_channels (int): Input feature size.
        hidden_channels (int): Hidden width. Defaults to 100.
        num_modalities (int): Output classes. Defaults to 2.
        dropout (float): Dropout probability after each hidden layer
            (active in training mode only). Defaults to 0.5.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int = 100,
                 num_modalities: int = 2,
                 dropout: float = 0.5,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f'ModalityDiscriminator: dropout must be in '
                             f'[0, 1), got {dropout}')
        self.in_channels = in_channels
        self.dropout = dropout
        self.fc1 = nn.Linear(in_channels, hidden_channels)
        self.bn1 = nn.BatchNorm1d(hidden_channels)
        self.fc2 = nn.Linear(hidden_channels, hidden_channels)
        self.bn2 = nn.BatchNorm1d(hidden_channels)
        self.fc3 = nn.Linear(hidden_channels, num_modalities)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Modality logits.

        Args:
            x (Tensor): ``B x in_channels``.

        Returns:
            Tensor: ``B x num_modalities``.
        """
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(f'ModalityDiscriminator: expected B x '
                             f'{self.in_channels}, got {tuple(x.shape)}')
        x = F.dropout(F.relu(self.bn1(self.fc1(x))), self.dropout,
                      self.training)
        x = F.dropout(F.relu(self.bn2(self.fc2(x))), self.dropout,
                      self.training)
        return self.fc3(x)
