# Copyright (c) vireid contributors. All rights reserved.
"""MTRL: Modality-Transition Representation Learning (reconstruction)."""
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from vireid.registry import MODELS
from vireid.structures import VIReIDDataSample
from ..heads.bnneck_head import BNNeckHead
from ..losses.transition_utils import INFRARED, TRANSITION, VISIBLE
from .vireid_model import VIReIDModel, _build

SampleList = List[VIReIDDataSample]

#: Attribute names of MTRL's train-only modules: dropped by
#: :meth:`MTRL.deploy_state_dict` (only the generator can hold weights).
TRAIN_ONLY_MODULES = ('generator', 'loss_mtc', 'loss_center', 'loss_mqr')
_FEATURES = ('pool', 'bn')


@MODELS.register_module()
class MTRL(VIReIDModel):
    """MTRL: a middle image bridges visible and infrared, at training only.

    Yuan et al., "Modality-Transition Representation Learning for
    Visible-Infrared Person Re-Identification", arXiv 2511.02685. Known
    ([PAPER], abstract): a generated middle image, fully aligned with the
    visible image and close to infrared, trained with a modality-transition
    contrastive loss and a modality-query regularisation loss; no extra
    parameters, the inference speed of the backbone. Everything else is a
    **[RECON]** (the MTRL README), behind the switches below.

    **Training** (``'loss'`` mode). The loader gives the usual ``[V; I]``
    batch (8 ids x (4 V + 4 I)). The model takes the *augmented* visible
    rows, maps them with ``generator`` to middle images ``M`` (on the 0-1
    pixel scale, un-normalising and re-normalising with the data
    preprocessor's mean/std), so ``M_i`` shares ``V_i``'s crop, flip and
    erasing, and runs the shared backbone on ``[V; M; I]`` (8 ids x 4 x 3
    = 96). ``M`` rows get ``V``'s labels and are routed through the stem of
    ``transition_modality`` (a two-stream backbone; default 0, the visible
    stem, as CAJ routes its channel-exchanged copy). Losses:

    - the head's (BNNeck: ID on all rows, triplet over ``V u M u I``);
    - ``loss_mtc`` (:class:`~vireid.models.losses.MTCLoss`), ``loss_center``
      (:class:`~vireid.models.losses.TransitionCenterLoss`) and
      ``loss_mqr`` (:class:`~vireid.models.losses.MQRLoss`) on the
      ``aux_feature`` (pre-BN ``'pool'`` or ``'bn'``) with groups
      0 V / 1 I / 2 M; ``None`` switches a loss off (its weight is the
      loss's ``loss_weight``).

    With ``generator=None`` the model is the plain backbone model
    (``[V; I]`` only) and only losses that need no middle rows are allowed.

    **Inference** (``'predict'`` / ``'tensor'``): exactly
    :class:`VIReIDModel`'s path (backbone -> neck -> head), no generator.
    :meth:`deploy_state_dict` drops the train-only modules (names in
    :data:`TRAIN_ONLY_MODULES`; with a parameter-free generator nothing is
    dropped) so the weights load **strictly** into a plain
    :class:`VIReIDModel` with the same backbone, neck and head.

    Args:
        backbone (dict | nn.Module): Backbone (may take ``modality``).
        head (dict | nn.Module): BNNeck head.
        neck (dict | nn.Module, optional): Pooling, e.g. GeM.
        generator (dict | nn.Module, optional): Middle-image generator
            (``GrayscaleTransition`` default, ``RandomChannelTransition``,
            ``ChannelMixerTransition``, ``OfflineTransition``); None: no
            middle images.
        loss_mtc (dict | nn.Module, optional): ``L_mtc``.
        loss_center (dict | nn.Module, optional): ``L_center``.
        loss_mqr (dict | nn.Module, optional): ``L_mqr``.
        aux_feature (str): Feature of the three MTRL losses: ``'pool'``
            (default) or ``'bn'``.
        transition_modality (int): Stem of the middle rows (0 visible, 1
            infrared). Defaults to 0 [RECON].
        data_preprocessor (dict | nn.Module, optional): See
            :class:`VIReIDModel`; its ``mean`` / ``std`` (0-255 scale) are
            used to un-normalise the visible rows.
        flip_test (bool): Flip test-time augmentation.
        channels_last (bool): channels_last memory format.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 head: Union[dict, nn.Module],
                 neck: Optional[Union[dict, nn.Module]] = None,
                 generator: Optional[Union[dict, nn.Module]] = dict(
                     type='GrayscaleTransition'),
                 loss_mtc: Optional[Union[dict, nn.Module]] = dict(
                     type='MTCLoss'),
                 loss_center: Optional[Union[dict, nn.Module]] = dict(
                     type='TransitionCenterLoss'),
                 loss_mqr: Optional[Union[dict, nn.Module]] = dict(
                     type='MQRLoss'),
                 aux_feature: str = 'pool',
                 transition_modality: int = VISIBLE,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 flip_test: bool = False,
                 channels_last: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(
            backbone=backbone,
            head=head,
            neck=neck,
            data_preprocessor=data_preprocessor,
            flip_test=flip_test,
            channels_last=False,
            init_cfg=init_cfg)
        self.channels_last = channels_last
        self.generator = _build(generator)
        self.loss_mtc = _build(loss_mtc)
        self.loss_center = _build(loss_center)
        self.loss_mqr = _build(loss_mqr)
        if aux_feature not in _FEATURES:
            raise ValueError(f'MTRL: aux_feature must be one of {_FEATURES}, '
                             f'got {aux_feature!r}')
        if transition_modality not in (VISIBLE, INFRARED):
            raise ValueError(f'MTRL: transition_modality must be 0 (visible '
                             f'stem) or 1 (infrared stem), got '
                             f'{transition_modality!r}')
        self.aux_feature = aux_feature
        self.transition_modality = int(transition_modality)
        for name in ('loss_mtc', 'loss_center', 'loss_mqr'):
            loss = getattr(self, name)
            if loss is None or self.generator is not None:
                continue
            needs = getattr(loss, 'required_groups', (TRANSITION, ))
            if TRANSITION in needs:
                raise ValueError(
                    f'MTRL: {name} ({type(loss).__name__}) needs the middle '
                    f'images but generator=None; give a generator (e.g. '
                    f"dict(type='GrayscaleTransition')) or set {name}=None")
        for attr in ('mean', 'std'):
            if not isinstance(getattr(self.data_preprocessor, attr, None),
                              torch.Tensor):
                raise TypeError(
                    f'MTRL: the data preprocessor '
                    f'({type(self.data_preprocessor).__name__}) needs a '
                    f'`{attr}` tensor (0-255 scale) to un-normalise the '
                    f'visible images, e.g. VIReIDDataPreprocessor')
        if channels_last:
            self.to(memory_format=torch.channels_last)

    # ------------------------------------------------------------------ #
    # deployment
    # ------------------------------------------------------------------ #
    @property
    def train_only_modules(self) -> Tuple[str, ...]:
        """tuple[str]: Train-only submodules that hold state (dropped at
        deployment); empty with a parameter-free generator."""
        names = []
        for name in TRAIN_ONLY_MODULES:
            module = getattr(self, name)
            if module is not None and len(module.state_dict()):
                names.append(name)
        return tuple(names)

    def deploy_state_dict(self) -> Dict[str, torch.Tensor]:
        """The state dict without the train-only modules.

        Returns:
            dict[str, Tensor]: Loads strictly into a :class:`VIReIDModel`
            with the same backbone, neck and head.
        """
        return strip_train_only(self.state_dict())

    # ------------------------------------------------------------------ #
    # the [V; M; I] batch
    # ------------------------------------------------------------------ #
    def _to_unit(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.data_preprocessor
        return (x * pre.std + pre.mean) / 255.0

    def _from_unit(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.data_preprocessor
        return (x * 255.0 - pre.mean) / pre.std

    def build_vmi(self, inputs: torch.Tensor, data_samples: SampleList
                  ) -> Tuple[torch.Tensor, SampleList, torch.Tensor]:
        """Reorder a ``[V; I]`` batch to ``[V; M; I]``.

        Args:
            inputs (Tensor): Normalised images (any order of modalities).
            data_samples (list[VIReIDDataSample]): With ``modality``.

        Returns:
            tuple: ``images`` (normalised ``[V; M; I]``), their samples
            (``M`` samples are clones of the ``V`` ones with ``modality =
            transition_modality`` and ``is_transition=True``) and ``groups``
            (LongTensor on the host, 0 V / 2 M / 1 I).
        """
        # the split is read from the samples on the host; only the row
        # indices go to the device (no host-device synchronisation)
        modality = self.get_modality(data_samples, inputs.shape[0])
        vis = torch.nonzero(modality == VISIBLE).flatten()
        ir = torch.nonzero(modality == INFRARED).flatten()
        v_samples = [data_samples[i] for i in vis.tolist()]
        x_v = inputs[vis.to(inputs.device, non_blocking=True)]
        if len(vis):
            x_m = self._from_unit(
                self.generator(self._to_unit(x_v), v_samples))
        else:
            x_m = x_v
        m_samples = []
        for ds in v_samples:
            m = ds.clone()
            m.set_metainfo(dict(modality=self.transition_modality,
                                is_transition=True))
            m_samples.append(m)
        images = torch.cat([
            x_v,
            x_m.to(x_v.dtype), inputs[ir.to(inputs.device, non_blocking=True)]
        ])
        samples = v_samples + m_samples + [data_samples[i]
                                           for i in ir.tolist()]
        groups = torch.cat([
            torch.full((len(vis), ), VISIBLE, dtype=torch.long),
            torch.full((len(vis), ), TRANSITION, dtype=torch.long),
            torch.full((len(ir), ), INFRARED, dtype=torch.long)
        ])
        return images, samples, groups

    # ------------------------------------------------------------------ #
    # modes
    # ------------------------------------------------------------------ #
    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """``'loss'`` mode on ``[V; M; I]``.

        Args:
            inputs (Tensor): Normalised ``[V; I]`` images.
            data_samples (list[VIReIDDataSample]): With ``gt_label`` and
                ``modality``.

        Returns:
            dict[str, Tensor]: ``loss_id``, ``loss_triplet``, ``acc`` (head)
            and ``loss_mtc``, ``loss_center``, ``loss_mqr`` (as enabled).
        """
        if self.generator is None:
            images, samples = inputs, data_samples
            groups = self.get_modality(data_samples, inputs.shape[0])
        else:
            images, samples, groups = self.build_vmi(inputs, data_samples)
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        feats = self.extract_feat(images, samples)
        outs = self.head(self.neck_forward(feats))
        losses = self.head.loss_by_feat(outs, samples)
        aux = outs[self.aux_feature]
        # labels and groups stay on the host: the MTRL losses take their
        # decisions from host values (no host-device synchronisation)
        labels = BNNeckHead.gather_labels(samples, torch.device('cpu'))
        if self.loss_mtc is not None:
            losses['loss_mtc'] = self.loss_mtc(aux, labels, groups)
        if self.loss_center is not None:
            losses['loss_center'] = self.loss_center(aux, labels, groups)
        if self.loss_mqr is not None:
            weight = getattr(getattr(self.head, 'classifier', None), 'weight',
                             None)
            losses['loss_mqr'] = self.loss_mqr(
                aux, labels, groups, logits=outs['logits'],
                class_weights=weight)
        return losses


def strip_train_only(state_dict: Dict[str, torch.Tensor],
                     names=TRAIN_ONLY_MODULES) -> Dict[str, torch.Tensor]:
    """Drop the keys of MTRL's train-only modules from a state dict.

    Args:
        state_dict (dict[str, Tensor]): An MTRL state dict (or a checkpoint's
            ``state_dict``).
        names (Sequence[str]): Module names to drop. Defaults to
            :data:`TRAIN_ONLY_MODULES`.

    Returns:
        dict[str, Tensor]: A new dict without ``<name>.*`` keys.
    """
    prefixes = tuple(f'{n}.' for n in names)
    return {k: v for k, v in state_dict.items() if not k.startswith(prefixes)}
