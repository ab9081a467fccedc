# Copyright (c) vireid contributors. All rights reserved.
"""The base class of vireid's visible-infrared data sets."""
import logging
import os.path as osp
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from vireid.registry import TRANSFORMS
from vireid.structures.vireid_data_sample import INFRARED, VISIBLE

__all__ = ['BaseVIReIDDataset', 'VISIBLE', 'INFRARED']

#: Folder of each layout under the synthetic root (as ``vireid.synthetic``
#: writes them).
_SYNTHETIC_DIRS = dict(sysu='SYSU-MM01', regdb='RegDB', llcm='LLCM')
_SYNTHETIC_HINT = ('generate a synthetic one with `python tools/'
                   'make_synthetic.py --out data/synthetic --layout {layout}` '
                   '(written to data/synthetic/{folder})')


class BaseVIReIDDataset(BaseDataset):
    """Base class of the SYSU-MM01, RegDB and LLCM data sets.

    Subclasses read an official folder layout in :meth:`load_data_list` and
    return items with exactly these keys (the vireid data schema):

    - ``img_path`` (str): the absolute image path;
    - ``rel_path`` (str): the path relative to ``data_root``, ``/``-separated;
    - ``gt_label`` (int): the contiguous training label ``0..N-1`` in the
      train split, ``-1`` in the test split;
    - ``pid`` (int): the identity as numbered by the data set;
    - ``camid`` (int): the real camera number;
    - ``modality`` (int): ``0`` visible, ``1`` infrared;
    - ``is_query`` (bool): in the test split, whether the image is a query
      (``False`` in the train split).

    The class also keeps compact numpy arrays of ``gt_label``, ``pid``,
    ``camid`` and ``modality`` (see :meth:`get_sampling_info`) so that
    samplers need not unpickle every item.

    Args:
        data_root (str): The data set root (the folder of the official
            layout).
        split (str): ``'train'`` or ``'test'``.
        pipeline (Sequence[dict | Callable]): The data pipeline; dicts are
            built from ``vireid.registry.TRANSFORMS``.
        test_mode (bool, optional): mmengine's test mode (no re-fetching of
            failed items). Defaults to ``split == 'test'``.
        **kwargs: Further :class:`mmengine.dataset.BaseDataset` arguments
            (``metainfo``, ``indices``, ``serialize_data``, ``lazy_init``,
            ``max_refetch``).
    """

    #: Short name written to ``metainfo['dataset_name']``.
    DATASET_NAME: str = ''
    #: Human-readable data set name used in messages.
    DISPLAY_NAME: str = ''
    #: Description of the expected on-disk layout used in messages.
    LAYOUT_HINT: str = ''
    #: ``--layout`` value of ``tools/make_synthetic.py`` for this layout.
    SYNTHETIC_LAYOUT: str = ''
    SPLITS = ('train', 'test')

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: Optional[bool] = None,
                 **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'{type(self).__name__}: split must be one of '
                             f'{self.SPLITS}, got {split!r}')
        if not isinstance(data_root, str) or not data_root:
            raise ValueError(f'{type(self).__name__}: data_root must be a '
                             f'non-empty path, got {data_root!r}')
        for key in ('ann_file', 'data_prefix'):
            if key in kwargs:
                raise TypeError(
                    f'{type(self).__name__} reads the official layout under '
                    f'data_root and does not take {key!r}')
        self.split = split
        self._sampling_info: Optional[Dict[str, np.ndarray]] = None
        if test_mode is None:
            test_mode = split == 'test'
        # build dict transforms from vireid's registry (which falls back to
        # mmengine's), so no default scope is needed
        transforms = [
            TRANSFORMS.build(t) if isinstance(t, dict) else t
            for t in pipeline
        ]
        super().__init__(
            ann_file='',
            data_root=osp.abspath(osp.expanduser(data_root)),
            data_prefix=dict(img_path=''),
            pipeline=transforms,
            test_mode=test_mode,
            **kwargs)

    # ------------------------------------------------------------------ #
    # helpers for subclasses
    # ------------------------------------------------------------------ #
    def _layout_error(self, missing: str) -> FileNotFoundError:
        """Build the error for a missing root or a missing layout part."""
        hint = _SYNTHETIC_HINT.format(
            layout=self.SYNTHETIC_LAYOUT,
            folder=_SYNTHETIC_DIRS[self.SYNTHETIC_LAYOUT])
        return FileNotFoundError(
            f'{self.DISPLAY_NAME}: {missing} not found; expected '
            f'{self.DISPLAY_NAME} layout: {self.LAYOUT_HINT}; {hint}')

    def _check_root(self, required: Sequence[str] = ()) -> None:
        """Check that ``data_root`` and the ``required`` sub-paths exist."""
        if not osp.isdir(self.data_root):
            raise self._layout_error(f'data root {self.data_root}')
        for rel in required:
            path = osp.join(self.data_root, rel)
            if not osp.exists(path):
                raise self._layout_error(path)

    def _make_item(self, rel_path: str, pid: int, camid: int, modality: int,
                   gt_label: int = -1, is_query: bool = False) -> dict:
        """Build one data item of the vireid schema."""
        rel_path = rel_path.replace('\\', '/')
        return dict(
            img_path=osp.join(self.data_root, *rel_path.split('/')),
            rel_path=rel_path,
            gt_label=int(gt_label),
            pid=int(pid),
            camid=int(camid),
            modality=int(modality),
            is_query=bool(is_query))

    def _check_not_empty(self, items: List[dict], where: str) -> None:
        if not items:
            raise ValueError(
                f'{self.DISPLAY_NAME} {self.split} split is empty: no image '
                f'found in {where}')

    def _finalize_train(self, items: List[dict], key: str) -> List[dict]:
        """Drop one-modality identities and assign contiguous labels.

        Args:
            items (list[dict]): Train items; ``item[key]`` identifies the
                identity (``'pid'`` or the raw index label ``'gt_label'``).
            key (str): The identity key.

        Returns:
            list[dict]: The kept items, ``gt_label`` set to the rank of
            ``item[key]`` among the kept identities (sorted order).
        """
        modalities = defaultdict(set)
        pid_of = {}
        for item in items:
            modalities[item[key]].add(item['modality'])
            pid_of[item[key]] = item['pid']
        single = sorted(k for k, m in modalities.items() if len(m) < 2)
        if single:
            names = {VISIBLE: 'visible', INFRARED: 'infrared'}
            shown = ', '.join(
                f'{pid_of[k]}({"/".join(names[m] for m in modalities[k])} '
                f'only)' for k in single[:10])
            more = ' ...' if len(single) > 10 else ''
            print_log(
                f'{self.DISPLAY_NAME} train: {len(single)} identities have '
                f'training images of only one modality and are excluded '
                f'(pid: {shown}{more})',
                logger='current',
                level=logging.WARNING)
        keep = sorted(k for k, m in modalities.items() if len(m) == 2)
        label_of = {k: i for i, k in enumerate(keep)}
        out = []
        for item in items:
            if item[key] in label_of:
                item = dict(item)
                item['gt_label'] = label_of[item[key]]
                out.append(item)
        if not out:
            raise ValueError(
                f'{self.DISPLAY_NAME} train split is empty: no identity has '
                f'images of both modalities under {self.data_root}')
        return out

    @staticmethod
    def _check_train_labels(records: List[tuple], files: str) -> None:
        """Check index-file training labels against identities.

        Each label must name one identity, each identity carry one label,
        and the labels must be contiguous from 0.

        Args:
            records (list[tuple]): ``(label, pid, index file, line)``.
            files (str): The index files, for the contiguity message.
        """
        pid_of, label_of = {}, {}
        for label, pid, index, lineno in records:
            seen = pid_of.setdefault(label, (pid, index, lineno))
            if seen[0] != pid:
                raise ValueError(
                    f'{index}, line {lineno}: label {label} is given to '
                    f'identity {pid}, but {seen[1]}, line {seen[2]} gives it '
                    f'to identity {seen[0]}')
            seen = label_of.setdefault(pid, (label, index, lineno))
            if seen[0] != label:
                raise ValueError(
                    f'{index}, line {lineno}: identity {pid} has label '
                    f'{label}, but {seen[1]}, line {seen[2]} gives it label '
                    f'{seen[0]}')
        labels = sorted(pid_of)
        if labels != list(range(len(labels))):
            missing = sorted(set(range(labels[-1] + 1)) - set(labels))
            raise ValueError(
                f'{files}: training labels must be contiguous from 0 (found '
                f'{len(labels)} labels in 0..{labels[-1]}, missing '
                f'{missing[:10]}{" ..." if len(missing) > 10 else ""})')

    def _update_metainfo(self, **kwargs) -> None:
        self._metainfo.update(
            dataset_name=self.DATASET_NAME,
            data_root=self.data_root,
            split=self.split,
            **kwargs)

    def _log_summary(self, items: List[dict]) -> None:
        num_vis = sum(1 for it in items if it['modality'] == VISIBLE)
        num_ids = len({it['pid'] for it in items})
        print_log(
            f'{self.DISPLAY_NAME} {self.split}: {num_ids} identities, '
            f'{num_vis} visible + {len(items) - num_vis} infrared images',
            logger='current',
            level=logging.INFO)

    # ------------------------------------------------------------------ #
    # compact per-item arrays for samplers
    # ------------------------------------------------------------------ #
    def full_init(self) -> None:
        """Load the data list, then build the per-item arrays.

        Same steps as :meth:`mmengine.dataset.BaseDataset.full_init`, with
        :meth:`get_sampling_info`'s arrays built before serialisation.
        """
        if self._fully_initialized:
            return
        self.data_list = self.load_data_list()
        self.data_list = self.filter_data()
        if self._indices is not None:
            self.data_list = self._get_unserialized_subset(self._indices)
        self._sampling_info = self._arrays_from(self.data_list)
        if self.serialize_data:
            self.data_bytes, self.data_address = self._serialize_data()
        self._fully_initialized = True

    @staticmethod
    def _arrays_from(infos) -> Dict[str, np.ndarray]:
        keys = ('gt_label', 'pid', 'camid', 'modality')
        cols = {k: [] for k in keys}
        for info in infos:
            for k in keys:
                cols[k].append(info[k])
        return {k: np.asarray(v, dtype=np.int64) for k, v in cols.items()}

    def get_sampling_info(self) -> Dict[str, np.ndarray]:
        """Per-item ``gt_label``, ``pid``, ``camid`` and ``modality``.

        Returns:
            dict[str, np.ndarray]: int64 arrays of length ``len(self)``.
        """
        if not self._fully_initialized:
            self.full_init()
        if self._sampling_info is None:
            self._sampling_info = self._arrays_from(
                self.get_data_info(i) for i in range(len(self)))
        return {k: v.copy() for k, v in self._sampling_info.items()}

    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        """In-place subset; see :meth:`mmengine.dataset.BaseDataset`."""
        super().get_subset_(indices)
        self._sampling_info = None

    def get_subset(self, indices: Union[Sequence[int],
                                        int]) -> 'BaseVIReIDDataset':
        """Subset copy; see :meth:`mmengine.dataset.BaseDataset`."""
        sub = super().get_subset(indices)
        sub._sampling_info = None
        return sub

    def prepare_data(self, idx: int):
        """Run the pipeline on item ``idx``.

        When ``idx`` is a :class:`~vireid.datasets.samplers.SeededIndex`
        (what :class:`CrossModalIdentitySampler` yields), the pipeline runs
        with torch's CPU generator seeded from ``idx.aug_seed`` and its state
        restored afterwards, so the random augmentation of this draw is
        reproducible and leaves the process-wide RNG untouched. Only the CPU
        generator is touched (the transforms draw from it):
        ``torch.manual_seed`` would also queue seeds for every accelerator
        backend, which costs ~20x more per item.

        Args:
            idx (int): Index of the item.

        Returns:
            Any: The pipeline's output.
        """
        seed = getattr(idx, 'aug_seed', None)
        if seed is None:
            return super().prepare_data(int(idx))
        import torch
        gen = torch.default_generator
        state = gen.get_state()
        try:
            gen.manual_seed(seed)
            return super().prepare_data(int(idx))
        finally:
            gen.set_state(state)

    def get_cat_ids(self, idx: int) -> List[int]:
        """The training label of item ``idx`` as a one-element list."""
        return [int(self.get_data_info(idx)['gt_label'])]
