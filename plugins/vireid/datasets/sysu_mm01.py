# Copyright (c) vireid contributors. All rights reserved.
"""SYSU-MM01 read from its official folder layout."""
import os.path as osp
from typing import List

from vireid.registry import DATASETS
from .base_vireid_dataset import INFRARED, VISIBLE, BaseVIReIDDataset
from .parsing import list_images, read_id_list


@DATASETS.register_module()
class SYSUMM01Dataset(BaseVIReIDDataset):
    """SYSU-MM01 (Wu et al., ICCV 2017), read from the official layout.

    Layout (``data_root`` is the folder AGW calls ``SYSU-MM01/ori_data``)::

        cam1/ ... cam6/<pid:04d>/<n:04d>.jpg
        exp/train_id.txt val_id.txt test_id.txt   one line "1,2,4,..."

    RGB cameras are 1, 2, 4, 5 (modality 0); infrared cameras 3, 6
    (modality 1). Camera numbers are kept as they are (1-6).

    - ``split='train'``: identities of ``train_id.txt`` + ``val_id.txt``
      (AGW's 395 identities), images of all six cameras. Labels are
      contiguous in sorted pid order. Identities whose images cover only one
      modality are excluded with a warning.
    - ``split='test'``: identities of ``test_id.txt``. Queries
      (``is_query=True``) are all cam3 + cam6 images; the gallery candidate
      pool (``is_query=False``) is all cam1, 2, 4, 5 images. The metric draws
      the single-/multi-shot galleries of each trial from the pool (indoor
      search uses cams 1, 2). ``gt_label`` is ``-1``.

    Items are ordered by pid, then camera, then file name (sorted), queries
    before the pool in the test split.

    ``metainfo``: ``dataset_name='sysu'``, ``data_root``, ``split``,
    ``num_ids``; train: ``num_classes``; test: ``num_query``, ``num_pool``,
    ``query_cams=(3, 6)``, ``gallery_cams=(1, 2, 4, 5)``,
    ``indoor_gallery_cams=(1, 2)``, ``test_ids``.

    Args:
        data_root (str): The SYSU-MM01 root holding ``cam1..cam6`` and
            ``exp/``.
        split (str): ``'train'`` or ``'test'``.
        pipeline (Sequence[dict | Callable]): The data pipeline.
        **kwargs: See :class:`BaseVIReIDDataset`.
    """

    DATASET_NAME = 'sysu'
    DISPLAY_NAME = 'SYSU-MM01'
    SYNTHETIC_LAYOUT = 'sysu'
    LAYOUT_HINT = ('<root>/cam1..cam6/<pid:04d>/<n:04d>.jpg, '
                   '<root>/exp/train_id.txt, <root>/exp/val_id.txt, '
                   '<root>/exp/test_id.txt (one line of comma-separated ids)')
    RGB_CAMS = (1, 2, 4, 5)
    IR_CAMS = (3, 6)
    INDOOR_CAMS = (1, 2)

    def load_data_list(self) -> List[dict]:
        """Read the split's identities and list their images.

        Returns:
            list[dict]: Items of the vireid schema.
        """
        self._check_root([f'cam{c}' for c in range(1, 7)] + ['exp'])
        exp = osp.join(self.data_root, 'exp')
        if self.split == 'train':
            train_ids = read_id_list(osp.join(exp, 'train_id.txt'))
            val_ids = read_id_list(osp.join(exp, 'val_id.txt'))
            test_ids = read_id_list(osp.join(exp, 'test_id.txt'))
            self._check_disjoint(
                dict(train_id=train_ids, val_id=val_ids, test_id=test_ids))
            pids = sorted(train_ids + val_ids)
            self._check_folders(pids, 'exp/train_id.txt + exp/val_id.txt')
            items = self._collect(pids, (1, 2, 3, 4, 5, 6), is_query=None)
            self._check_not_empty(
                items, f'cam1..cam6 of the {len(pids)} identities of '
                f'{exp}/train_id.txt + val_id.txt')
            items = self._finalize_train(items, key='pid')
            self._update_metainfo(
                num_classes=len({it['pid'] for it in items}),
                num_ids=len({it['pid'] for it in items}))
        else:
            pids = sorted(read_id_list(osp.join(exp, 'test_id.txt')))
            self._check_folders(pids, 'exp/test_id.txt')
            queries = self._collect(pids, self.IR_CAMS, is_query=True)
            pool = self._collect(pids, self.RGB_CAMS, is_query=False)
            where = f'the {len(pids)} identities of {exp}/test_id.txt'
            self._check_not_empty(queries + pool, f'cam1..cam6 of {where}')
            if not queries:
                raise ValueError(
                    f'SYSU-MM01 test split has no query: no cam3/cam6 image '
                    f'of {where}')
            if not pool:
                raise ValueError(
                    f'SYSU-MM01 test split has no gallery candidate: no '
                    f'cam1/2/4/5 image of {where}')
            items = queries + pool
            self._update_metainfo(
                num_ids=len({it['pid'] for it in items}),
                num_query=len(queries),
                num_pool=len(pool),
                query_cams=self.IR_CAMS,
                gallery_cams=self.RGB_CAMS,
                indoor_gallery_cams=self.INDOOR_CAMS,
                test_ids=pids)
        self._log_summary(items)
        return items

    def _collect(self, pids: List[int], cams, is_query) -> List[dict]:
        items = []
        for pid in pids:
            for cam in cams:
                folder = f'cam{cam}/{pid:04d}'
                modality = INFRARED if cam in self.IR_CAMS else VISIBLE
                for name in list_images(osp.join(self.data_root, folder)):
                    items.append(
                        self._make_item(
                            f'{folder}/{name}',
                            pid=pid,
                            camid=cam,
                            modality=modality,
                            is_query=bool(is_query)))
        return items

    def _check_folders(self, pids: List[int], lists: str) -> None:
        """Every listed identity needs a folder in at least one camera."""
        missing = [
            pid for pid in pids if not any(
                osp.isdir(osp.join(self.data_root, f'cam{c}', f'{pid:04d}'))
                for c in range(1, 7))
        ]
        # (none found at all: the 'split is empty' error below says so)
        if missing and len(missing) < len(pids):
            raise FileNotFoundError(
                f'SYSU-MM01: {len(missing)} identit'
                f'{"y" if len(missing) == 1 else "ies"} listed in {lists} '
                f'under {self.data_root} have no folder cam1..cam6/<pid:04d> '
                f'(e.g. {", ".join(f"{p:04d}" for p in missing[:5])}); an '
                f'incomplete copy of the data set?')

    def _check_disjoint(self, lists: dict) -> None:
        names = list(lists)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                common = sorted(set(lists[a]) & set(lists[b]))
                if common:
                    raise ValueError(
                        f'SYSU-MM01: exp/{a}.txt and exp/{b}.txt share '
                        f'{len(common)} identities (e.g. {common[:5]}); the '
                        f'official splits are disjoint')
