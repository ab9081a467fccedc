# Copyright (c) vireid contributors. All rights reserved.
"""Several augmented views of one image, and the collate that groups them.

CAJ (Ye et al., ICCV 2021) turns every visible image into two views (the
original and an independently augmented channel-exchanged copy) and keeps
one view of every infrared image; the batch is ``[V; V_ce; I]``.
"""
import copy
from typing import Callable, Dict, List, Sequence

import torch

from vireid.registry import FUNCTIONS, TRANSFORMS
from .base import BaseVIReIDTransform


@TRANSFORMS.register_module()
class ModalityViews(BaseVIReIDTransform):
    """Run one or more view pipelines per modality on copies of an item.

    Each view pipeline starts from a deep copy of the incoming ``results``
    (so views are augmented independently: each draws its own crop, flip,
    erasing, ...) and must end with :class:`PackVIReIDInputs`. Before a
    view runs, ``results['view']`` is set to its index; the packed data
    sample keeps it in its metainfo. The output is
    ``dict(inputs=[...], data_samples=[...])``, one entry per view, with
    the same label and modality; :func:`multiview_collate` flattens such
    items into one batch grouped by ``(modality, view)``.

    CAJ::

        dict(type='ModalityViews',
             visible=[view_original, view_channel_exchanged],
             infrared=[view_infrared])

    Args:
        visible (Sequence[list[dict]]): View pipelines of visible items.
        infrared (Sequence[list[dict]]): View pipelines of infrared items.
    """

    def __init__(self, visible: Sequence[List[dict]],
                 infrared: Sequence[List[dict]]) -> None:
        super().__init__(modality=None)
        self.views: Dict[int, List[List[Callable]]] = {}
        for modality, name, views in ((0, 'visible', visible),
                                      (1, 'infrared', infrared)):
            if not isinstance(views, (list, tuple)) or not views or any(
                    not isinstance(v, (list, tuple)) or not v for v in views):
                raise ValueError(
                    f'ModalityViews: {name} must be a non-empty list of '
                    f'view pipelines (each a non-empty list of transform '
                    f'configs), got {views!r}')
            for i, v in enumerate(views):
                last = v[-1]
                last_type = (last.get('type') if isinstance(last, dict) else
                             type(last).__name__)
                if last_type != 'PackVIReIDInputs':
                    raise ValueError(
                        f'ModalityViews: {name} view {i} must end with '
                        f'PackVIReIDInputs, ends with {last_type!r}')
            self.views[modality] = [[
                TRANSFORMS.build(t) if isinstance(t, dict) else t for t in v
            ] for v in views]
        self._cfg = dict(visible=visible, infrared=infrared)

    @property
    def num_views(self) -> Dict[int, int]:
        """dict[int, int]: Views per modality (0 visible, 1 infrared)."""
        return {m: len(v) for m, v in self.views.items()}

    def transform(self, results: dict) -> dict:
        """Produce the views of one item.

        Args:
            results (dict): The item (needs ``modality``).

        Returns:
            dict: ``inputs`` (list of tensors) and ``data_samples`` (list of
            data samples), one per view.
        """
        if 'modality' not in results:
            raise KeyError(f'ModalityViews needs results["modality"]; got '
                           f'keys {sorted(results)}')
        modality = int(results['modality'])
        if modality not in self.views:
            raise ValueError(f'ModalityViews: modality must be 0 or 1, got '
                             f'{modality} for {results.get("img_path")}')
        inputs, samples = [], []
        for v, pipeline in enumerate(self.views[modality]):
            item = copy.deepcopy(results)
            item['view'] = v
            out = item
            for t in pipeline:
                out = t(out)
            if not isinstance(out, dict) or 'inputs' not in out:
                raise TypeError(f'ModalityViews: view {v} did not return a '
                                f'packed item (dict with inputs)')
            inputs.append(out['inputs'])
            samples.append(out['data_samples'])
        return dict(inputs=inputs, data_samples=samples)

    def _params(self) -> dict:
        return dict(num_views=self.num_views)


@FUNCTIONS.register_module()
def multiview_collate(data_batch: Sequence[dict]) -> dict:
    """Flatten multi-view items and group the batch by (modality, view).

    Items are dicts ``inputs`` / ``data_samples`` holding either one tensor
    and one data sample or lists of them (:class:`ModalityViews`). Every
    view becomes one row; rows are ordered by ``(modality, view)`` and keep
    the sampler's order inside each group. With the AGW sampler
    (``[V x P*K; I x P*K]``) and CAJ's views this is CAJ's batch
    ``[V; V_ce; I]``, labels ``[y; y; y_I]``: 96 rows from a loader
    ``batch_size`` of 64.

    Use it with ``train_dataloader = dict(collate_fn=dict(
    type='vireid.multiview_collate'))``: mmengine's runner looks collate
    functions up in its root registry, so the scope prefix is needed.

    Args:
        data_batch (Sequence[dict]): The items of one loader batch.

    Returns:
        dict: ``inputs`` (list of tensors) and ``data_samples`` (list).
    """
    rows = []
    for i, item in enumerate(data_batch):
        if not isinstance(item, dict) or 'inputs' not in item:
            raise TypeError(f'multiview_collate: item {i} is not a packed '
                            f'dict with inputs / data_samples')
        inputs, samples = item['inputs'], item['data_samples']
        if isinstance(inputs, torch.Tensor):
            inputs, samples = [inputs], [samples]
        if len(inputs) != len(samples):
            raise ValueError(f'multiview_collate: item {i} has '
                             f'{len(inputs)} inputs but {len(samples)} data '
                             f'samples')
        for v, (x, ds) in enumerate(zip(inputs, samples)):
            modality = int(ds.metainfo.get('modality', 0))
            view = int(ds.metainfo.get('view', v))
            rows.append(((modality, view), len(rows), x, ds))
    rows.sort(key=lambda r: (r[0], r[1]))
    return dict(inputs=[r[2] for r in rows],
                data_samples=[r[3] for r in rows])
