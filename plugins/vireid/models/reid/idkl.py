# Copyright (c) vireid contributors. All rights reserved.
"""IDKL (Ren et al., CVPR 2024): implicit discriminative knowledge learning."""
import inspect
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from vireid.registry import MODELS
from .vireid_model import SampleList, VIReIDModel, _build

Cfg = Optional[Union[dict, nn.Module]]

#: Loss keys of :meth:`IDKL.loss` in the order of the method
#: specification's table (L1..L9; L3 holds both streams' triplet terms).
IDKL_LOSS_KEYS = ('loss_id', 'loss_id_sp', 'loss_triplet', 'loss_mod_sp',
                  'loss_mod_sh', 'loss_iip', 'loss_tgsa', 'loss_csa_batch',
                  'loss_csa_sample')


@MODELS.register_module()
class IDKL(VIReIDModel):
    """IDKL: a shared and a specific stream, purified and distilled.

    Training forward (the official ``Baseline`` / ``embed_net``):

    1. ``backbone(x, specific=True)`` gives the layer4 maps of the shared
       stream ``x_sh`` and the specific stream ``F`` (e.g.
       :class:`~vireid.models.backbones.IDKLResNet`);
    2. ``purifier`` (:class:`~vireid.models.layers.IIPPurifier`) turns
       ``F`` into the purified map ``X_sp`` (without a purifier ``X_sp =
       F``);
    3. ``neck`` (GeM) pools both: ``f_sh``, ``f_sp``; ``head`` and
       ``sp_head`` (two :class:`~vireid.models.heads.BNNeckHead`) give
       BNNeck features and identity logits ``z_sh``, ``z_sp``;
    4. ``disc_sp`` / ``disc_sh``
       (:class:`~vireid.models.heads.ModalityDiscriminator`) predict the
       modality from the BN features.

    :meth:`loss` returns (each term already weighted, so that their sum is
    the official total): ``loss_id`` (L1, CE on ``z_sh``), ``loss_id_sp``
    (L2), ``loss_triplet`` (L3: both heads' triplet losses), ``loss_mod_sp``
    (L4), ``loss_mod_sh`` (L5), ``loss_iip`` (L6), ``loss_tgsa`` (L7),
    ``loss_csa_batch`` (L8), ``loss_csa_sample`` (L9), plus ``acc``
    (logged). A component configured as ``None`` removes its term.

    Inference (``predict`` / ``tensor``) runs the shared stream only:
    ``pred_feature = dict(bn=BN(GeM(x_sh)), pool=GeM(x_sh))``; the
    specific stream, the purifier and the discriminators are not run.

    Args:
        backbone (dict | nn.Module): Its ``forward(x, specific: bool)``
            returns ``(x_sh, F)`` or ``(x_sh,)``.
        head (dict | nn.Module): Shared-stream BNNeck head (L1 and the
            shared half of L3).
        neck (dict | nn.Module): Pooling of both streams (GeM p=3).
        sp_head (dict | nn.Module, optional): Specific-stream head (L2 and
            the specific half of L3). ``None``: no specific stream at all.
        purifier (dict | nn.Module, optional): IIP purifier.
        disc_sp (dict | nn.Module, optional): Modality discriminator on the
            specific BN feature; needs ``loss_mod_sp``.
        disc_sh (dict | nn.Module, optional): Discriminator on the shared
            BN feature; needs ``loss_mod_sh``.
        loss_mod_sp, loss_mod_sh (dict, optional): ``ModalityCELoss``
            configs (the code: ``target='true'`` / ``'pseudo'``).
        loss_iip (dict, optional): ``IIPLoss``; needs ``purifier``.
        loss_tgsa (dict, optional): ``TGSALoss``.
        loss_csa_batch (dict, optional): ``CSABatchLoss``.
        loss_csa_sample (dict, optional): ``CSASampleLoss``.
        data_preprocessor, flip_test, channels_last, init_cfg: As
            :class:`VIReIDModel`.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 head: Union[dict, nn.Module],
                 neck: Cfg = dict(type='GeMPooling', p=3.0),
                 sp_head: Cfg = None,
                 purifier: Cfg = None,
                 disc_sp: Cfg = None,
                 disc_sh: Cfg = None,
                 loss_mod_sp: Cfg = None,
                 loss_mod_sh: Cfg = None,
                 loss_iip: Cfg = None,
                 loss_tgsa: Cfg = None,
                 loss_csa_batch: Cfg = None,
                 loss_csa_sample: Cfg = None,
                 data_preprocessor: Cfg = None,
                 flip_test: bool = False,
                 channels_last: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(
            backbone=backbone,
            head=head,
            neck=neck,
            data_preprocessor=data_preprocessor,
            flip_test=flip_test,
            channels_last=channels_last,
            init_cfg=init_cfg)
        try:
            params = inspect.signature(self.backbone.forward).parameters
        except (TypeError, ValueError):  # pragma: no cover
            params = {}
        if 'specific' not in params:
            raise TypeError(
                f'IDKL: the backbone ({type(self.backbone).__name__}) must '
                f'take forward(x, specific: bool) and return (x_sh, x_sp) '
                f'(e.g. IDKLResNet)')
        self.sp_head = _build(sp_head)
        self.purifier = _build(purifier)
        self.disc_sp = _build(disc_sp)
        self.disc_sh = _build(disc_sh)
        self.loss_mod_sp = _build(loss_mod_sp)
        self.loss_mod_sh = _build(loss_mod_sh)
        self.loss_iip = _build(loss_iip)
        self.loss_tgsa = _build(loss_tgsa)
        self.loss_csa_batch = _build(loss_csa_batch)
        self.loss_csa_sample = _build(loss_csa_sample)
        self._check_components()

    def _check_components(self) -> None:
        needs_sp = dict(
            purifier=self.purifier,
            disc_sp=self.disc_sp,
            loss_iip=self.loss_iip,
            loss_tgsa=self.loss_tgsa,
            loss_csa_batch=self.loss_csa_batch,
            loss_csa_sample=self.loss_csa_sample)
        if self.sp_head is None:
            bad = [k for k, v in needs_sp.items() if v is not None]
            if bad:
                raise ValueError(f'IDKL: {bad} need the specific stream; set '
                                 f'sp_head (or set them to None)')
        pairs = (('disc_sp', 'loss_mod_sp'), ('disc_sh', 'loss_mod_sh'),
                 ('purifier', 'loss_iip'))
        for a, b in pairs[:2]:
            if (getattr(self, a) is None) != (getattr(self, b) is None):
                raise ValueError(f'IDKL: {a} and {b} go together; set both '
                                 f'or neither')
        if self.loss_iip is not None and self.purifier is None:
            raise ValueError('IDKL: loss_iip needs the purifier')

    @property
    def with_specific(self) -> bool:
        """bool: Whether training runs the specific stream."""
        return self.sp_head is not None

    def extract_feat(self,
                     inputs: torch.Tensor,
                     data_samples: Optional[SampleList] = None,
                     specific: bool = False) -> Tuple[torch.Tensor, ...]:
        """Backbone maps: ``(x_sh,)``, or ``(x_sh, F)`` with ``specific``.

        Args:
            inputs (Tensor): Normalised images.
            data_samples (list, optional): Unused (one stem for both
                modalities).
            specific (bool): Also run the specific stream.

        Returns:
            tuple[Tensor]: The layer4 maps.
        """
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        return tuple(self.backbone(inputs, specific=specific))

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Training losses; see the class docstring for the keys.

        Args:
            inputs (Tensor): Normalised images ``B x 3 x H x W``.
            data_samples (list[VIReIDDataSample]): With ``gt_label`` and
                ``metainfo['modality']``.

        Returns:
            dict[str, Tensor]: Weighted loss terms and ``acc``.
        """
        maps = self.extract_feat(inputs, data_samples,
                                 specific=self.with_specific)
        # labels and modalities on the host: the losses take their
        # decisions (row splits, chunk sizes) from host values and copy only
        # what the device needs (no host-device synchronisation)
        labels = self.head.gather_labels(data_samples, torch.device('cpu'))
        modality = self.get_modality(data_samples, inputs.shape[0])
        outs_sh = self.head(self.neck_forward(maps[0]))
        losses = self.head.loss_by_feat(outs_sh, data_samples)
        if not self.with_specific:
            if self.disc_sh is not None:
                losses['loss_mod_sh'] = self.loss_mod_sh(
                    self.disc_sh(outs_sh['bn']), modality)
            return losses
        if len(maps) < 2:
            raise ValueError('IDKL: the backbone returned no specific map')
        x_sp, pur = maps[1], None
        if self.purifier is not None:
            pur = self.purifier(x_sp)
            x_sp = pur['out']
        outs_sp = self.sp_head(self.neck_forward(x_sp))
        sp_losses = self.sp_head.loss_by_feat(outs_sp, data_samples)
        if 'loss_id' in sp_losses:
            losses['loss_id_sp'] = sp_losses['loss_id']
        if 'loss_triplet' in sp_losses:
            losses['loss_triplet'] = (
                losses.get('loss_triplet', 0.0) + sp_losses['loss_triplet'])
        if self.disc_sp is not None:
            losses['loss_mod_sp'] = self.loss_mod_sp(
                self.disc_sp(outs_sp['bn']), modality)
        if self.disc_sh is not None:
            losses['loss_mod_sh'] = self.loss_mod_sh(
                self.disc_sh(outs_sh['bn']), modality)
        if self.loss_iip is not None:
            losses['loss_iip'] = self.loss_iip(pur, labels, modality)
        if self.loss_tgsa is not None:
            losses['loss_tgsa'] = self.loss_tgsa(outs_sh['pool'],
                                                 outs_sp['pool'], modality)
        if self.loss_csa_batch is not None:
            losses['loss_csa_batch'] = self.loss_csa_batch(
                outs_sh['logits'], outs_sp['logits'], modality)
        if self.loss_csa_sample is not None:
            losses['loss_csa_sample'] = self.loss_csa_sample(
                outs_sh['logits'], outs_sp['logits'], modality, labels)
        return losses
