# Copyright (c) vireid contributors. All rights reserved.
"""RegDB read from its official index files."""
import os.path as osp
from typing import List

from vireid.registry import DATASETS
from .base_vireid_dataset import INFRARED, VISIBLE, BaseVIReIDDataset
from .parsing import check_image_exists, read_index_file


@DATASETS.register_module()
class RegDBDataset(BaseVIReIDDataset):
    """RegDB (Nguyen et al., Sensors 2017), read from the official index.

    Layout::

        Visible/<pid>/<female|male>_<front|back>_v_<frame:05d>_<pid>.bmp
        Thermal/<pid>/<female|male>_<front|back>_t_<frame:05d>_<pid>.bmp
        idx/{train,test}_{visible,thermal}_{trial}.txt
            lines "<path relative to the root> <integer label>"

    Visible images get ``camid=1, modality=0``; thermal images ``camid=2,
    modality=1``. ``pid`` is the identity folder (``Visible/<pid>/...``); if
    the folder is not a number, the index label is used.

    - ``split='train'``: ``train_visible_<trial>`` + ``train_thermal_<trial>``.
      The labels are used as given (0..205 for the real data); they must be
      contiguous from 0 and name the same identity in both files, otherwise
      an error is raised. Identities with images of one modality only are
      excluded with a warning and the rest re-labelled contiguously.
    - ``split='test'``: ``test_visible_<trial>`` + ``test_thermal_<trial>``
      with ``gt_label=-1`` and ``is_query=False`` for all: the metric picks
      the query modality from the search direction (visible-to-thermal or
      thermal-to-visible). The test-file labels are not used.

    A model must be trained and tested on the same trial (AGW #19).

    ``metainfo``: ``dataset_name='regdb'``, ``data_root``, ``split``,
    ``trial``, ``num_ids``; train: ``num_classes``.

    Args:
        data_root (str): The RegDB root holding ``Visible/``, ``Thermal/``
            and ``idx/``.
        split (str): ``'train'`` or ``'test'``.
        trial (int): The split trial, 1..10.
        pipeline (Sequence[dict | Callable]): The data pipeline.
        **kwargs: See :class:`BaseVIReIDDataset`.
    """

    DATASET_NAME = 'regdb'
    DISPLAY_NAME = 'RegDB'
    SYNTHETIC_LAYOUT = 'regdb'
    LAYOUT_HINT = ('<root>/Visible/<pid>/*.bmp, <root>/Thermal/<pid>/*.bmp, '
                   '<root>/idx/{train,test}_{visible,thermal}_<trial>.txt '
                   '(lines "<relative path> <label>")')
    VISIBLE_CAM = 1
    THERMAL_CAM = 2

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 trial: int = 1,
                 pipeline=(),
                 **kwargs) -> None:
        if isinstance(trial, bool) or not isinstance(trial, int) or trial < 1:
            raise ValueError(
                f'RegDBDataset: trial must be an integer in 1..10, got '
                f'{trial!r}')
        self.trial = trial
        super().__init__(data_root, split=split, pipeline=pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the trial's visible and thermal index files.

        Returns:
            list[dict]: Items of the vireid schema.
        """
        self._check_root(['idx'])
        items: List[dict] = []
        records = []  # (label, pid, index file, line) for the checks
        for name, modality, cam in (('visible', VISIBLE, self.VISIBLE_CAM),
                                    ('thermal', INFRARED, self.THERMAL_CAM)):
            index = osp.join(self.data_root, 'idx',
                             f'{self.split}_{name}_{self.trial}.txt')
            for entry in read_index_file(index):
                check_image_exists(self.data_root, entry.rel_path, index,
                                   entry.lineno)
                pid = self._parse_pid(entry.rel_path, entry.label)
                records.append((entry.label, pid, index, entry.lineno))
                items.append(
                    self._make_item(
                        entry.rel_path,
                        pid=pid,
                        camid=cam,
                        modality=modality,
                        gt_label=entry.label if self.split == 'train' else -1))
        self._check_not_empty(items, f'{self.data_root}/idx')
        if self.split == 'train':
            self._check_train_labels(
                records, f'{self.data_root}/idx/train_{{visible,thermal}}_'
                f'{self.trial}.txt')
            items = self._finalize_train(items, key='gt_label')
            self._update_metainfo(
                trial=self.trial,
                num_classes=len({it['gt_label'] for it in items}),
                num_ids=len({it['pid'] for it in items}))
        else:
            self._update_metainfo(
                trial=self.trial, num_ids=len({it['pid'] for it in items}))
        self._log_summary(items)
        return items

    @staticmethod
    def _parse_pid(rel_path: str, label: int) -> int:
        parts = rel_path.split('/')
        if len(parts) >= 2 and parts[-2].isdigit():
            return int(parts[-2])
        return label
