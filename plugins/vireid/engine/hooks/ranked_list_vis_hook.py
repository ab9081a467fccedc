# Copyright (c) vireid contributors. All rights reserved.
"""Save ranked-list pictures after a test (and optionally each validation)
epoch, to files and to the runner's visualizer backends."""
import copy
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.hooks import Hook

from vireid.registry import HOOKS

_MODALITY = {0: 'visible', 1: 'infrared'}
_DIST_TEXT = {'cosine': 'cosine distance -q.g', 'euclidean': 'euclidean'}


@HOOKS.register_module()
class RankedListVisHook(Hook):
    """Draw each of ``num_queries`` queries with its top-k gallery.

    The hook mirrors the first :class:`~vireid.evaluation.VIReIDMetric` of
    the evaluator: same protocol, direction, feature and trial-0 gallery,
    and the protocol's exclusion rule. Each row shows the query (pid,
    camera, modality), the rank number, pid, camera and distance of every
    gallery image, true matches framed green, a legend and the trial in the
    title.

    Pictures go to ``out_dir/rank_<i>_<query file>.png`` plus one
    ``ranked_lists.png`` stacking them all (when ``out_dir`` is set), and
    the stacked picture goes to the runner's visualizer as the image
    ``ranked_lists`` (TensorBoard's *Images* tab with
    ``TensorboardVisBackend``; ``vis_data/vis_image/`` with
    ``LocalVisBackend``) at step 0 after testing, or at the epoch after
    validation (``on_val=True``).

    Args:
        out_dir (str, optional): Output folder of the PNG files.
        num_queries (int): Queries drawn, evenly spaced over the query set.
        topk (int): Gallery images per row.
        tile_size (tuple[int, int]): (height, width) of each tile.
        on_val (bool): Also draw after every validation epoch (pictures of
            the training progress next to the loss and metric curves).
        to_visualizer (bool): Send the stacked picture to the visualizer.
    """

    priority = 'LOW'

    def __init__(self, out_dir: Optional[str] = None, num_queries: int = 8,
                 topk: int = 10, tile_size: Sequence[int] = (128, 64),
                 on_val: bool = False, to_visualizer: bool = True) -> None:
        if num_queries < 1 or topk < 1:
            raise ValueError(f'RankedListVisHook: num_queries and topk must '
                             f'be >= 1, got {num_queries} and {topk}')
        self.out_dir = out_dir
        self.num_queries = num_queries
        self.topk = topk
        self.tile_size = tuple(tile_size)
        self.on_val = on_val
        self.to_visualizer = to_visualizer
        self._shadow = None
        self.saved: List[str] = []
        self.last_image: Optional[np.ndarray] = None

    # ------------------------------------------------------------------ #
    def _start(self, evaluator, where: str) -> None:
        from vireid.evaluation import VIReIDMetric
        metrics = [m for m in evaluator.metrics
                   if isinstance(m, VIReIDMetric)]
        if not metrics:
            raise ValueError(f'RankedListVisHook needs a VIReIDMetric in '
                             f'{where}')
        self._shadow = copy.copy(metrics[0])
        self._shadow.results = []

    def _finish(self, runner, step: int) -> None:
        if self._shadow is None:
            return
        shadow, self._shadow = self._shadow, None
        if runner.rank != 0 or not shadow.results:
            return
        self.saved = self.draw(shadow, shadow.results, runner=runner,
                               step=step)
        if self.out_dir:
            runner.logger.info(f'ranked lists saved to {self.out_dir}')

    def before_test_epoch(self, runner) -> None:
        self._start(runner.test_evaluator, 'test_evaluator')

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        if self._shadow is not None and outputs is not None:
            self._shadow.process(data_batch, outputs)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._finish(runner, step=0)

    def before_val_epoch(self, runner) -> None:
        if self.on_val:
            self._start(runner.val_evaluator, 'val_evaluator')

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        if self.on_val:
            self.after_test_iter(runner, batch_idx, data_batch, outputs)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self.on_val:
            self._finish(runner, step=runner.epoch)

    # ------------------------------------------------------------------ #
    def draw(self, metric, records: List[dict], runner=None,
             step: int = 0) -> List[str]:
        """Rank trial 0's gallery for a few queries and save pictures.

        Args:
            metric (VIReIDMetric): Gives protocol, direction and draws.
            records (list[dict]): The metric's processed results.
            runner (Runner, optional): Its visualizer receives the stacked
                picture.
            step (int): Step of the visualizer image.

        Returns:
            list[str]: The saved files.
        """
        from vireid.evaluation.functional import (compute_distance,
                                                  exclusion_mask)
        from vireid.evaluation.protocols import split_query_pool
        from vireid.visualization import draw_ranked_list
        query, pool = split_query_pool(metric.protocol, metric.direction,
                                       records)
        gallery = metric.draw_galleries(records, pool)[0]
        trial = metric._trial_ids()[0]
        root = (metric.dataset_meta or {}).get('data_root', '')
        path = [osp.join(root, r['rel_path']) for r in records]
        feats = np.stack([r['feature'].numpy() for r in records])
        arr = {k: np.array([r[k] for r in records])
               for k in ('pid', 'camid', 'modality')}
        g = np.asarray(gallery)
        setting = ' '.join(str(x) for x in (metric.protocol, metric.mode,
                                            metric.direction) if x)
        where = (f'{setting}, trial {trial}' if trial is not None else
                 setting)
        picks = np.linspace(0, len(query) - 1,
                            min(self.num_queries, len(query))).round()
        if self.out_dir:
            os.makedirs(self.out_dir, exist_ok=True)
        rows, saved = [], []
        for qi in sorted(set(int(p) for p in picks)):
            q = query[qi]
            dist = compute_distance(feats[[q]], feats[g],
                                    metric.distance)[0]
            keep = ~exclusion_mask(metric.protocol, arr['pid'][[q]],
                                   arr['pid'][g], arr['camid'][[q]],
                                   arr['camid'][g])[0]
            order = [i for i in np.argsort(dist) if keep[i]][:self.topk]
            pid, cam = int(arr['pid'][q]), int(arr['camid'][q])
            mod = _MODALITY.get(int(arr['modality'][q]), '?')
            matches = [bool(arr['pid'][g[i]] == pid) for i in order]
            dist_name = _DIST_TEXT.get(metric.distance, metric.distance)
            title = (f'query {qi}: pid {pid}, cam {cam} ({mod}) | {where}, '
                     f'gallery of {len(g)} | d: {dist_name} | '
                     f'{sum(matches)} true match(es) in the top '
                     f'{len(order)}')
            img = draw_ranked_list(
                path[q], [path[g[i]] for i in order], matches,
                size=self.tile_size, query_label=[f'pid {pid} c{cam}'],
                gallery_labels=[[
                    f'pid {int(arr["pid"][g[i]])} c'
                    f'{int(arr["camid"][g[i]])}', f'd {dist[i]:.3f}'
                ] for i in order], title=title, legend=not rows)
            rows.append(img)
            if self.out_dir:
                name = osp.splitext(osp.basename(path[q]))[0]
                out = osp.join(self.out_dir, f'rank_{qi:05d}_{name}.png')
                _imwrite(out, img)
                saved.append(out)
        if rows:
            width = max(r.shape[1] for r in rows)
            pad = [np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)),
                          constant_values=255) for r in rows]
            stacked = np.concatenate(pad)
            self.last_image = stacked
            if self.out_dir:
                out = osp.join(self.out_dir, 'ranked_lists.png')
                _imwrite(out, stacked)
                saved.append(out)
            if self.to_visualizer and runner is not None and \
                    getattr(runner, 'visualizer', None) is not None:
                runner.visualizer.add_image('ranked_lists', stacked, step)
        return saved


def _imwrite(path: str, rgb: np.ndarray) -> None:
    import cv2
    if not cv2.imwrite(path, np.ascontiguousarray(rgb[:, :, ::-1])):
        raise OSError(f'cannot write {path}')
