# Copyright (c) vireid contributors. All rights reserved.
"""LLCM read from its official layout."""
import os.path as osp
import re
from typing import List, Optional

from vireid.registry import DATASETS
from .base_vireid_dataset import INFRARED, VISIBLE, BaseVIReIDDataset
from .parsing import (check_image_exists, list_images, parse_cam_folder,
                      read_id_list, read_index_file, sorted_cam_folders)

_NAME_CAM = re.compile(r'^\d+_c(\d+)(?:_|\.|$)')
_NAME_PID = re.compile(r'^(\d+)_')


@DATASETS.register_module()
class LLCMDataset(BaseVIReIDDataset):
    """LLCM (Zhang and Wang, CVPR 2023), read from the official layout.

    Layout::

        idx/train_vis.txt idx/train_nir.txt   lines "<relative path> <label>"
        idx/test_id.txt                       one line "3,7,12,..."
        vis/<pid:04d>/*.jpg nir/<pid:04d>/*.jpg          training images
        test_vis/cam1..cam9/<pid:04d>/*.jpg
        test_nir/cam1..cam9/<pid:04d>/*.jpg   (test_nir/cam3 is empty)

    Visible (VIS) images have ``modality=0``, near-infrared (NIR) images
    ``modality=1``. The nine cameras record both modalities, so ``camid``
    (1..9) is shared across modalities and kept as it is.

    - ``split='train'``: the two training index files. ``camid`` is parsed
      from a ``camK`` folder of the path, or else from the file name
      (``0003_c01_s185734_f3195_nir.jpg`` -> 1); ``pid`` from the identity
      folder or the file-name prefix, or else the label. Labels must be
      contiguous from 0 (0..712 for the real data); identities with images
      of one modality only are excluded with a warning and the rest
      re-labelled contiguously.
    - ``split='test'``: every ``test_vis`` and ``test_nir`` image of the
      identities in ``idx/test_id.txt``, found by listing the camera folders
      (cameras parsed from the folder name ``camK``, not by splitting the
      path on ``'cam'``). All items have ``is_query=False`` and
      ``gt_label=-1``: the query/gallery roles are decided by the metric
      from the search direction (IR-to-VIS: all NIR images are queries and
      the gallery is drawn from the VIS images, and conversely).

    ``metainfo``: ``dataset_name='llcm'``, ``data_root``, ``split``,
    ``num_ids``; train: ``num_classes``; test: ``vis_cams`` and ``nir_cams``
    (cameras with at least one test image), ``test_ids``.

    Args:
        data_root (str): The LLCM root holding ``idx/`` and the image
            folders.
        split (str): ``'train'`` or ``'test'``.
        pipeline (Sequence[dict | Callable]): The data pipeline.
        **kwargs: See :class:`BaseVIReIDDataset`.
    """

    DATASET_NAME = 'llcm'
    DISPLAY_NAME = 'LLCM'
    SYNTHETIC_LAYOUT = 'llcm'
    LAYOUT_HINT = ('<root>/idx/train_vis.txt, <root>/idx/train_nir.txt '
                   '(lines "<relative path> <label>"), <root>/idx/test_id.txt '
                   '(one line of comma-separated ids), '
                   '<root>/test_vis/camK/<pid:04d>/*.jpg, '
                   '<root>/test_nir/camK/<pid:04d>/*.jpg')

    def load_data_list(self) -> List[dict]:
        """Read the training index files or list the test folders.

        Returns:
            list[dict]: Items of the vireid schema.
        """
        if self.split == 'train':
            self._check_root(['idx'])
            items = self._load_train()
            self._update_metainfo(
                num_classes=len({it['gt_label'] for it in items}),
                num_ids=len({it['pid'] for it in items}))
        else:
            self._check_root(['idx', 'test_vis', 'test_nir'])
            items = self._load_test()
        self._log_summary(items)
        return items

    def _load_train(self) -> List[dict]:
        items, records = [], []
        for name, modality in (('vis', VISIBLE), ('nir', INFRARED)):
            index = osp.join(self.data_root, 'idx', f'train_{name}.txt')
            for entry in read_index_file(index):
                check_image_exists(self.data_root, entry.rel_path, index,
                                   entry.lineno)
                camid = self._parse_cam(entry.rel_path)
                if camid is None:
                    raise ValueError(
                        f'{index}, line {entry.lineno}: cannot read the '
                        f'camera of {entry.rel_path!r} (expected a camK '
                        f'folder or a file name such as '
                        f'0003_c01_s185734_f3195_{name}.jpg)')
                pid = self._parse_pid(entry.rel_path, entry.label)
                records.append((entry.label, pid, index, entry.lineno))
                items.append(
                    self._make_item(
                        entry.rel_path,
                        pid=pid,
                        camid=camid,
                        modality=modality,
                        gt_label=entry.label))
        self._check_not_empty(items, f'{self.data_root}/idx')
        self._check_train_labels(
            records, f'{self.data_root}/idx/train_{{vis,nir}}.txt')
        return self._finalize_train(items, key='gt_label')

    def _load_test(self) -> List[dict]:
        pids = sorted(
            read_id_list(osp.join(self.data_root, 'idx', 'test_id.txt')))
        items = []
        all_cams = {
            folder: sorted_cam_folders(osp.join(self.data_root, folder))
            for folder in ('test_vis', 'test_nir')
        }
        missing = [
            pid for pid in pids if not any(
                osp.isdir(osp.join(self.data_root, folder, name,
                                   f'{pid:04d}'))
                for folder, cams in all_cams.items() for _, name in cams)
        ]
        # (none found at all: the 'split is empty' error below says so)
        if missing and len(missing) < len(pids):
            raise FileNotFoundError(
                f'LLCM: {len(missing)} identit'
                f'{"y" if len(missing) == 1 else "ies"} listed in '
                f'{self.data_root}/idx/test_id.txt have no folder '
                f'test_vis|test_nir/camK/<pid:04d> (e.g. '
                f'{", ".join(f"{p:04d}" for p in missing[:5])}); an '
                f'incomplete copy of the data set?')
        for folder, modality in (('test_vis', VISIBLE), ('test_nir',
                                                         INFRARED)):
            cams = all_cams[folder]
            for pid in pids:
                for cam, cam_name in cams:
                    sub = f'{folder}/{cam_name}/{pid:04d}'
                    for name in list_images(osp.join(self.data_root, sub)):
                        items.append(
                            self._make_item(
                                f'{sub}/{name}',
                                pid=pid,
                                camid=cam,
                                modality=modality))
        where = (f'test_vis/camK/<pid>/ and test_nir/camK/<pid>/ for the '
                 f'{len(pids)} identities of {self.data_root}/idx/'
                 f'test_id.txt')
        self._check_not_empty(items, where)
        for modality, name in ((VISIBLE, 'test_vis'), (INFRARED, 'test_nir')):
            if not any(it['modality'] == modality for it in items):
                raise ValueError(
                    f'LLCM test split has no {name} image: nothing found in '
                    f'{where}')
        self._update_metainfo(
            num_ids=len({it['pid'] for it in items}),
            vis_cams=sorted({it['camid'] for it in items
                             if it['modality'] == VISIBLE}),
            nir_cams=sorted({it['camid'] for it in items
                             if it['modality'] == INFRARED}),
            test_ids=pids)
        return items

    @staticmethod
    def _parse_cam(rel_path: str) -> Optional[int]:
        parts = rel_path.split('/')
        for part in parts[:-1]:
            cam = parse_cam_folder(part)
            if cam is not None:
                return cam
        match = _NAME_CAM.match(parts[-1])
        return int(match.group(1)) if match else None

    @staticmethod
    def _parse_pid(rel_path: str, label: int) -> int:
        parts = rel_path.split('/')
        if len(parts) >= 2 and parts[-2].isdigit():
            return int(parts[-2])
        match = _NAME_PID.match(parts[-1])
        return int(match.group(1)) if match else label
