# Copyright (c) vireid contributors. All rights reserved.
"""Save ranked-list pictures at the end of a test run."""
import copy
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.hooks import Hook

from vireid.registry import HOOKS


@HOOKS.register_module()
class RankedListVisHook(Hook):
    """Draw each of ``num_queries`` queries with its top-k gallery.

    The hook mirrors the first :class:`~vireid.evaluation.VIReIDMetric` of
    the test evaluator: same protocol, direction, feature and trial-0
    gallery, and the protocol's exclusion rule. Pictures go to
    ``out_dir/rank_<i>_<query file>.png`` plus one ``ranked_lists.png``
    stacking them all.

    Args:
        out_dir (str): Output folder.
        num_queries (int): Queries drawn, evenly spaced over the query set.
        topk (int): Gallery images per row.
        tile_size (tuple[int, int]): (height, width) of each tile.
    """

    priority = 'LOW'

    def __init__(self, out_dir: str, num_queries: int = 8, topk: int = 10,
                 tile_size: Sequence[int] = (128, 64)) -> None:
        self.out_dir = out_dir
        self.num_queries = num_queries
        self.topk = topk
        self.tile_size = tuple(tile_size)
        self._shadow = None
        self.saved: List[str] = []

    def before_test_epoch(self, runner) -> None:
        from vireid.evaluation import VIReIDMetric
        metrics = [m for m in runner.test_evaluator.metrics
                   if isinstance(m, VIReIDMetric)]
        if not metrics:
            raise ValueError('RankedListVisHook needs a VIReIDMetric in '
                             'test_evaluator')
        self._shadow = copy.copy(metrics[0])
        self._shadow.results = []

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        if self._shadow is not None and outputs is not None:
            self._shadow.process(data_batch, outputs)

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self._shadow is None or runner.rank != 0:
            return
        self.saved = self.draw(self._shadow, self._shadow.results)
        runner.logger.info(f'ranked lists saved to {self.out_dir}')

    def draw(self, metric, records: List[dict]) -> List[str]:
        """Rank trial 0's gallery for a few queries and save pictures.

        Args:
            metric (VIReIDMetric): Gives protocol, direction and draws.
            records (list[dict]): The metric's processed results.

        Returns:
            list[str]: The saved files.
        """
        import cv2

        from vireid.evaluation.functional import (compute_distance,
                                                  exclusion_mask)
        from vireid.evaluation.protocols import split_query_pool
        from vireid.visualization import draw_ranked_list
        query, pool = split_query_pool(metric.protocol, metric.direction,
                                       records)
        gallery = metric.draw_galleries(records, pool)[0]
        root = (metric.dataset_meta or {}).get('data_root', '')
        path = [osp.join(root, r['rel_path']) for r in records]
        feats = np.stack([r['feature'].numpy() for r in records])
        arr = {k: np.array([r[k] for r in records])
               for k in ('pid', 'camid')}
        g = np.asarray(gallery)
        picks = np.linspace(0, len(query) - 1,
                            min(self.num_queries, len(query))).round()
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
            img = draw_ranked_list(
                path[q], [path[g[i]] for i in order],
                [bool(arr['pid'][g[i]] == arr['pid'][q]) for i in order],
                size=self.tile_size)
            name = osp.splitext(osp.basename(path[q]))[0]
            out = osp.join(self.out_dir, f'rank_{qi:05d}_{name}.png')
            cv2.imwrite(out, img[:, :, ::-1])
            rows.append(img)
            saved.append(out)
        if rows:
            width = max(r.shape[1] for r in rows)
            pad = [np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)),
                          constant_values=255) for r in rows]
            out = osp.join(self.out_dir, 'ranked_lists.png')
            cv2.imwrite(out, np.concatenate(pad)[:, :, ::-1])
            saved.append(out)
        return saved
