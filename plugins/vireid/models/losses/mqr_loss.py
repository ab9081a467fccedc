# Copyright (c) vireid contributors. All rights reserved.
"""MTRL's modality-query regularisation loss (reconstruction)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid.registry import MODELS
from .transition_utils import (INFRARED, TRANSITION, VISIBLE,
                               check_grouped_inputs, group_centres)
from .utils import rows_where, to_device

_MODES = ('query', 'posterior')
_QUERIES = ('center', 'classifier')


def _sym_kl(p_log: torch.Tensor, q_log: torch.Tensor) -> torch.Tensor:
    """Row-wise ``(KL(p || q) + KL(q || p)) / 2`` from log-probabilities."""
    p, q = p_log.exp(), q_log.exp()
    return ((p * (p_log - q_log)).sum(dim=1) +
            (q * (q_log - p_log)).sum(dim=1)) / 2


@MODELS.register_module()
class MQRLoss(BaseModule):
    """``L_mqr``: modality-query regularisation (a pluggable reading).

    MTRL (arXiv 2511.02685) names a "modality-query regularization loss"
    and nothing more is known; the MTRL README gives two readings,
    both **[RECON]**, selected by ``mode``. Rows carry ``groups`` (0
    visible, 1 infrared, 2 middle); ``c_g^y`` is the (L2-normalised) mean
    feature of identity ``y`` in group ``g``.

    - ``mode='query'`` (default): each identity ``y`` of the batch that has
      V, M and I rows sends a *query* ``q_y`` -- its middle centre
      ``c_M^y`` (``query='center'``) or its classifier weight ``W_y``
      (``query='classifier'``, pass ``class_weights`` and use features in
      the classifier's space, e.g. the BN feature) -- to the visible centres
      and to the infrared centres of those identities:
      ``p_V(y'|y) = softmax_{y'}(cos(q_y, c_V^{y'}) / tau)``, ``p_I`` alike;
      ``loss = mean_y SKL(p_V(.|y), p_I(.|y))`` (symmetric KL). The query
      sees the two modalities the same way.
    - ``mode='posterior'``: the class posteriors of V, M and I rows of the
      same identity agree: ``P_g^y = mean_{rows of y in g}
      softmax(logits / tau)``, and for each pair ``(a, b)`` of ``pairs``
      ``mean_y SKL(P_a^y, P_b^y)`` over identities having both; the terms
      are summed. Pass ``logits``.

    Zero (with a zero gradient) when no identity qualifies (or only one, in
    ``'query'`` mode, where a distribution over one identity is constant).

    Args:
        mode (str): ``'query'`` or ``'posterior'``. Defaults to
            ``'query'`` [RECON].
        query (str): ``'center'`` or ``'classifier'`` (``'query'`` mode).
        temperature (float): ``tau``. Defaults to 0.1 [RECON].
        pairs (Sequence[tuple[int, int]]): Group pairs of ``'posterior'``
            mode. Defaults to ``((0, 2), (2, 1))`` (V-M, M-I).
        detach_query (bool): Stop the gradient through the query. Defaults
            to False.
        normalize (bool): L2-normalise features (and centres, queries).
            Defaults to True.
        loss_weight (float): Multiplier. Defaults to 0.5 [RECON].
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 mode: str = 'query',
                 query: str = 'center',
                 temperature: float = 0.1,
                 pairs: Sequence[Tuple[int, int]] = ((VISIBLE, TRANSITION),
                                                     (TRANSITION, INFRARED)),
                 detach_query: bool = False,
                 normalize: bool = True,
                 loss_weight: float = 0.5,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if mode not in _MODES:
            raise ValueError(f'MQRLoss: mode must be one of {_MODES}, got '
                             f'{mode!r}')
        if query not in _QUERIES:
            raise ValueError(f'MQRLoss: query must be one of {_QUERIES}, got '
                             f'{query!r}')
        if temperature <= 0:
            raise ValueError(f'MQRLoss: temperature must be > 0, got '
                             f'{temperature}')
        pairs = tuple(tuple(int(g) for g in p) for p in pairs)
        if any(len(p) != 2 or p[0] == p[1] or not set(p) <= {0, 1, 2}
               for p in pairs):
            raise ValueError(f'MQRLoss: pairs must be distinct group pairs '
                             f'from 0 (V), 1 (I), 2 (M), got {pairs}')
        self.mode = mode
        self.query = query
        self.temperature = float(temperature)
        self.pairs = pairs
        self.detach_query = bool(detach_query)
        self.normalize = bool(normalize)
        self.loss_weight = float(loss_weight)
        if mode == 'query':
            self.required_groups = (VISIBLE, INFRARED) + (
                (TRANSITION, ) if query == 'center' else ())
        else:
            self.required_groups = tuple(sorted({g for p in pairs
                                                 for g in p}))

    def _norm(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(x, dim=-1) if self.normalize else x

    def _query_mode(self, x, labels, groups, class_weights):
        uniq, centres, present = group_centres(x, labels, groups)
        need = present[:, VISIBLE] & present[:, INFRARED]
        if self.query == 'center':
            need = need & present[:, TRANSITION]
        zero = x.sum() * 0.0
        if int(need.sum()) < 2:  # (host values: no sync)
            return zero
        rows = rows_where(need, centres.device)
        if self.query == 'center':
            q = centres[rows, TRANSITION]
        else:
            if class_weights is None:
                raise ValueError("MQRLoss(query='classifier') needs "
                                 'class_weights (num_classes x D)')
            ids = uniq[need]
            if int(ids.max()) >= class_weights.shape[0]:
                raise ValueError(f'MQRLoss: label {int(ids.max())} but only '
                                 f'{class_weights.shape[0]} class weights')
            if class_weights.shape[1] != x.shape[1]:
                raise ValueError(f'MQRLoss: class_weights have '
                                 f'{class_weights.shape[1]} dims, features '
                                 f'{x.shape[1]}')
            q = class_weights[to_device(ids, class_weights.device)].float()
        if self.detach_query:
            q = q.detach()
        q = self._norm(q)
        kv = self._norm(centres[rows, VISIBLE])
        ki = self._norm(centres[rows, INFRARED])
        log_pv = F.log_softmax(q @ kv.t() / self.temperature, dim=1)
        log_pi = F.log_softmax(q @ ki.t() / self.temperature, dim=1)
        return _sym_kl(log_pv, log_pi).mean()

    def _posterior_mode(self, logits, labels, groups):
        if logits is None:
            raise ValueError("MQRLoss(mode='posterior') needs logits")
        if logits.dim() != 2 or logits.shape[0] != labels.numel():
            raise ValueError(f'MQRLoss: logits must be N x C with N = '
                             f'{labels.numel()}, got {tuple(logits.shape)}')
        probs = F.softmax(logits.float() / self.temperature, dim=1)
        _, post, present = group_centres(probs, labels, groups)
        total = probs.sum() * 0.0
        for a, b in self.pairs:
            both = present[:, a] & present[:, b]
            if not bool(both.any()):  # (host values: no sync)
                continue
            rows = rows_where(both, post.device)
            pa = post[rows, a].clamp(min=1e-12).log()
            pb = post[rows, b].clamp(min=1e-12).log()
            total = total + _sym_kl(pa, pb).mean()
        return total

    def forward(self,
                feats: torch.Tensor,
                labels: torch.Tensor,
                groups: torch.Tensor,
                logits: Optional[torch.Tensor] = None,
                class_weights: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        """Compute the loss.

        Args:
            feats (Tensor): ``N x D`` features.
            labels (Tensor): ``[N]`` identity labels.
            groups (Tensor): ``[N]`` groups (0 V, 1 I, 2 M).
            logits (Tensor, optional): ``N x C`` class logits
                (``'posterior'`` mode).
            class_weights (Tensor, optional): ``C x D`` classifier weights
                (``query='classifier'``).

        Returns:
            Tensor: Scalar loss (float32).
        """
        x, labels, groups = check_grouped_inputs('MQRLoss', feats, labels,
                                                 groups)
        if x.shape[0] == 0:
            return x.sum() * 0.0
        if self.mode == 'query':
            loss = self._query_mode(self._norm(x), labels, groups,
                                    class_weights)
        else:
            loss = self._posterior_mode(logits, labels, groups)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'mode={self.mode!r}, query={self.query!r}, temperature='
                f'{self.temperature}, pairs={self.pairs}, detach_query='
                f'{self.detach_query}, normalize={self.normalize}, '
                f'loss_weight={self.loss_weight}')
