# Copyright (c) vireid contributors. All rights reserved.
"""The mmengine metric of the SYSU-MM01, RegDB and LLCM test protocols."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmengine.structures import BaseDataElement

from vireid.registry import METRICS
from ..functional.distance import (DISTANCES, DistanceRows, compute_distance,
                                   l2_normalize, nonnegative_distance)
from ..functional.certified import (certified_cosine_distance,
                                     float32_product)
from ..functional.ranking import evaluate_ranking
from ..protocols import (RAND_PERM_FILE, canonical_direction,
                         group_by_identity_camera, llcm_gallery,
                         load_rand_perm_cam, split_query_pool,
                         sysu_agw_gallery, sysu_official_gallery)

#: keys of one result set, in table order (all fractions in last_results)
RESULT_KEYS = ('rank1', 'rank5', 'rank10', 'rank20', 'mAP', 'mINP')
#: query x gallery entries above which a trial's distances are computed
#: chunk by chunk during ranking instead of as one matrix (SYSU 10-shot,
#: 3803 x 3010, stays below)
LAZY_DISTANCE_ENTRIES = 1 << 25
#: query x (union of the trials' galleries) entries up to which the distances
#: of every trial are taken from one product against the union of the trial
#: galleries (each pool image is multiplied once, however many trials draw
#: it); above, each trial's product is computed on its own
SHARED_DISTANCE_ENTRIES = 1 << 25
_DEFAULT_DIRECTION = {'sysu': 't2v', 'regdb': 'v2t', 'llcm': 't2v'}


@METRICS.register_module()
class VIReIDMetric(BaseMetric):
    """Rank-k, mAP and mINP of a visible-infrared re-identification test set,
    with the SYSU-MM01, RegDB or LLCM protocol (``docs/protocols.md``).

    The model runs **once** over the whole test split (queries and gallery
    candidate pool); :meth:`compute_metrics` selects the queries, draws each
    trial's gallery itself (:mod:`vireid.evaluation.protocols`), ranks with
    :func:`~vireid.evaluation.functional.evaluate_ranking` and averages over
    the trials:

    * ``'sysu'``: query = items with ``is_query`` (IR cam3 + cam6), gallery
      drawn per trial from the RGB pool (cams 1, 2, 4, 5; indoor: 1, 2) by
      ``gallery_draw='agw'`` (AGW's ``random.seed(trial)`` draw, trials
      ``0..num_trials-1``, single-shot) or ``'official'`` (the authors'
      ``exp/rand_perm_cam.mat``, rows ``0..num_trials-1``, ``shots`` 1 or
      10); a cam3 query skips every cam2 gallery image; id-de-duplicated
      CMC. Always infrared -> visible.
    * ``'llcm'``: ``direction='t2v'``: query = all NIR images, gallery = one
      random VIS image per (id, cam) per trial; ``'v2t'`` the reverse (the
      intended protocol, not DEEN's transposed ``[2, 1]`` branch); same pid
      and camera removed; id-de-duplicated CMC; trials ``0..num_trials-1``.
    * ``'regdb'``: query = all images of the query modality of the data
      set's trial, gallery = all of the other; nothing removed; plain CMC.
      There is one trial (the data set's split, ``dataset_meta['trial']``),
      whatever ``num_trials`` says.

    Returned (and logged) metrics are **percentages**: ``rank1``, ``rank5``,
    ``rank10``, ``rank20``, ``mAP``, ``mINP`` (means over trials) and the
    same names with ``_std`` (population standard deviation over trials,
    0 for one trial). With the default prefix they read e.g.
    ``sysu-all-t2v/rank1`` ... ``sysu-all-t2v/mINP_std``; the prefix also
    names multi-shot (``-10shot``) and the official draw (``-official``),
    so several metrics can share one evaluator (e.g. RegDB ``regdb-v2t`` and
    ``regdb-t2v`` from one feature pass).

    After :meth:`compute_metrics` (on the main process), ``last_results``
    holds a dict with the settings, ``'trials'`` (one dict of fractions per
    trial, in trial order, with ``trial``, ``num_query``, ``num_gallery``
    and ``num_valid_queries``), ``'mean'`` and ``'std'`` (fractions), for
    tools to write; mmengine only logs scalars. The per-trial table is
    logged through ``MMLogger.get_current_instance()`` unless the attribute
    ``log_table`` is set to False.

    Args:
        protocol (str): ``'sysu'`` | ``'regdb'`` | ``'llcm'``.
        mode (str): SYSU search mode, ``'all'`` or ``'indoor'``.
        direction (str, optional): ``'t2v'`` (infrared query; aliases
            ``'i2v'``) or ``'v2t'`` (visible query; ``'v2i'``). Defaults to
            ``'t2v'`` for SYSU (the only one) and LLCM, ``'v2t'`` for RegDB
            (AGW's default).
        gallery_draw (str): SYSU gallery draw, ``'agw'`` or ``'official'``.
            LLCM always uses the AGW/DEEN-style random draw.
        num_trials (int): Trials of SYSU / LLCM. Defaults to 10.
        shots (int): Gallery images per (id, camera): 1, or 10 with the SYSU
            official draw.
        feature (str): Key of ``pred_feature`` when it is a dict (e.g.
            ``'bn'`` or ``'pool'``); ignored when it is a tensor.
        distance (str): ``'cosine'`` (``-q.g`` on L2-normalised features,
            float64) or ``'euclidean'``.
        rerank (bool | dict): k-reciprocal re-ranking per trial; a dict
            gives ``k1``, ``k2``, ``lambda_value``. Defaults to False.
        max_rank (int): Length of the CMC curve. Defaults to 20.
        data_root (str, optional): SYSU root holding
            ``exp/rand_perm_cam.mat`` for the official draw; defaults to
            ``dataset_meta['data_root']``.
        rand_perm_file (str, optional): Explicit path of that file.
        prefix (str, optional): Metric name prefix; see above for the
            default.
        exact_distances (bool): Compute every cosine distance as a float64
            product. Defaults to False: float32 products, with the query rows
            whose ranking float32 rounding could change recomputed in float64
            (:mod:`vireid.evaluation.functional.certified`), which gives the
            same metrics about twice as fast. Euclidean distances,
            re-ranking and lazily computed (very large) trials always use
            float64.
        distance_device (str, optional): Where the float32 products of the
            certified path are computed: ``'auto'`` (the current CUDA device
            when there is one, else numpy on the CPU), ``None`` (numpy on
            the CPU) or a torch device such as ``'cuda:1'``. The metrics do
            not depend on it (the products are certified either way); TF32
            is switched off for them. Defaults to ``'auto'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        collect_dir (str, optional): mmengine's collect directory.
    """

    def __init__(self,
                 protocol: str = 'sysu',
                 mode: str = 'all',
                 direction: Optional[str] = None,
                 gallery_draw: str = 'agw',
                 num_trials: int = 10,
                 shots: int = 1,
                 feature: str = 'bn',
                 distance: str = 'cosine',
                 rerank: Union[bool, dict] = False,
                 max_rank: int = 20,
                 data_root: Optional[str] = None,
                 rand_perm_file: Optional[str] = None,
                 prefix: Optional[str] = None,
                 exact_distances: bool = False,
                 distance_device: Optional[str] = 'auto',
                 collect_device: str = 'cpu',
                 collect_dir: Optional[str] = None) -> None:
        if protocol not in _DEFAULT_DIRECTION:
            raise ValueError(f"VIReIDMetric: protocol must be 'sysu', "
                             f"'regdb' or 'llcm', got {protocol!r}")
        direction = canonical_direction(
            direction or _DEFAULT_DIRECTION[protocol])
        if protocol == 'sysu':
            if mode not in ('all', 'indoor'):
                raise ValueError(f"VIReIDMetric: SYSU mode must be 'all' or "
                                 f"'indoor', got {mode!r}")
            if direction != 't2v':
                raise ValueError("VIReIDMetric: SYSU-MM01 is evaluated "
                                 "infrared->visible only (direction='t2v')")
            if gallery_draw not in ('agw', 'official'):
                raise ValueError(f"VIReIDMetric: gallery_draw must be 'agw' "
                                 f"or 'official', got {gallery_draw!r}")
            if shots not in (1, 10):
                raise ValueError(f'VIReIDMetric: shots must be 1 or 10, got '
                                 f'{shots!r}')
            if shots != 1 and gallery_draw != 'official':
                raise ValueError(
                    "VIReIDMetric: the 'agw' draw is single-shot only (AGW "
                    "#8); use gallery_draw='official' for shots=10")
        else:
            if shots != 1:
                raise ValueError(f'VIReIDMetric: {protocol} has single-shot '
                                 f'galleries only, got shots={shots!r}')
            if gallery_draw != 'agw':
                raise ValueError(f"VIReIDMetric: gallery_draw={gallery_draw!r}"
                                 f" applies to SYSU-MM01 only")
            mode = None
        if not isinstance(num_trials, int) or num_trials < 1:
            raise ValueError(f'VIReIDMetric: num_trials must be a positive '
                             f'int, got {num_trials!r}')
        if distance not in DISTANCES:
            raise ValueError(f'VIReIDMetric: distance must be one of '
                             f'{DISTANCES}, got {distance!r}')
        if not isinstance(rerank, (bool, dict)):
            raise TypeError(f'VIReIDMetric: rerank must be a bool or a dict '
                            f'of k1/k2/lambda_value, got {rerank!r}')
        if max_rank < 1:
            raise ValueError(f'VIReIDMetric: max_rank must be >= 1, got '
                             f'{max_rank}')
        self.protocol = protocol
        self.mode = mode
        self.direction = direction
        self.gallery_draw = gallery_draw
        self.num_trials = 1 if protocol == 'regdb' else num_trials
        self.shots = shots
        self.feature = feature
        self.distance = distance
        self.rerank = rerank
        self.max_rank = int(max_rank)
        self.data_root = data_root
        self.rand_perm_file = rand_perm_file
        self.exact_distances = bool(exact_distances)
        self.distance_device = _check_device(distance_device)
        self.last_results: Optional[dict] = None
        self.log_table = True
        super().__init__(
            collect_device=collect_device,
            prefix=prefix or self._default_prefix(),
            collect_dir=collect_dir)

    def _default_prefix(self) -> str:
        parts = [self.protocol]
        if self.protocol == 'sysu':
            parts.append(self.mode)
        parts.append(self.direction)
        name = '-'.join(parts)
        if self.shots != 1:
            name += f'-{self.shots}shot'
        if self.gallery_draw == 'official':
            name += '-official'
        return name

    # ------------------------------------------------------------------
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep each sample's feature (CPU float32) and test labels.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs (dicts or
                :class:`~vireid.structures.VIReIDDataSample`) with
                ``pred_feature``, ``pid``, ``camid``, ``modality``,
                ``is_query`` and ``rel_path`` / ``img_path``.
        """
        feats, items = [], []
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            if 'pred_feature' not in sample:
                raise KeyError(
                    'VIReIDMetric: data sample has no pred_feature; the '
                    "model's predict() must write it (keys: "
                    f'{sorted(sample)})')
            feat = sample['pred_feature']
            if isinstance(feat, dict):
                if self.feature not in feat:
                    raise KeyError(
                        f'VIReIDMetric: pred_feature has no {self.feature!r} '
                        f'entry (has {sorted(feat)}); set feature= to one '
                        f'of them')
                feat = feat[self.feature]
            feats.append(torch.as_tensor(feat).detach().reshape(-1))
            item = dict()
            for key in ('pid', 'camid', 'modality', 'is_query'):
                if key not in sample:
                    raise KeyError(f'VIReIDMetric: data sample has no '
                                   f'{key!r} (keys: {sorted(sample)})')
                item[key] = _scalar(sample[key])
            path = sample.get('rel_path') or sample.get('img_path')
            if path is None:
                raise KeyError('VIReIDMetric: data sample has neither '
                               'rel_path nor img_path')
            item['rel_path'] = str(path)
            items.append(item)
        if not items:
            return
        # one device->host copy per batch, not one per image
        if len({f.shape for f in feats}) == 1:
            batch = torch.stack(feats).to(device='cpu', dtype=torch.float32)
            feats = list(batch.unbind(0))
        else:
            feats = [f.to(device='cpu', dtype=torch.float32) for f in feats]
        for item, feat in zip(items, feats):
            item['feature'] = feat
            self.results.append(item)

    # ------------------------------------------------------------------
    def _rand_perm_path(self) -> str:
        if self.rand_perm_file:
            return self.rand_perm_file
        root = self.data_root
        if root is None and self.dataset_meta:
            root = self.dataset_meta.get('data_root')
        if not root:
            raise ValueError(
                "VIReIDMetric: gallery_draw='official' needs the SYSU-MM01 "
                'root (data_root=, or dataset_meta["data_root"]) or '
                'rand_perm_file=')
        return osp.join(root, RAND_PERM_FILE)

    def draw_galleries(self, records: Sequence[dict],
                       pool: Sequence[int]) -> List[List[int]]:
        """The gallery (record indices) of every trial.

        Args:
            records (Sequence[dict]): The processed results.
            pool (Sequence[int]): Indices of the gallery candidate pool.

        Returns:
            list[list[int]]: One gallery per trial.
        """
        trials = range(self.num_trials)
        if self.protocol == 'regdb':
            return [list(pool)]
        if self.protocol == 'llcm' or self.gallery_draw == 'agw':
            # group the pool once, draw every trial from it
            groups = group_by_identity_camera(records, pool)
        if self.protocol == 'llcm':
            return [llcm_gallery(records, t, pool, groups) for t in trials]
        if self.gallery_draw == 'agw':
            return [sysu_agw_gallery(records, self.mode, t, pool, groups)
                    for t in trials]
        perm = load_rand_perm_cam(self._rand_perm_path())
        return [
            sysu_official_gallery(records, perm, self.mode, t, self.shots,
                                  pool) for t in trials
        ]

    def _trial_ids(self) -> List[Optional[int]]:
        if self.protocol == 'regdb':
            trial = (self.dataset_meta or {}).get('trial')
            return [None if trial is None else int(trial)]
        return list(range(self.num_trials))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Draw the trial galleries, rank, and average over trials.

        Args:
            results (list): The per-sample dicts of :meth:`process`.

        Returns:
            dict: Percentages ``rank1 ... mINP`` and their ``_std``.
        """
        if not results:
            raise ValueError('VIReIDMetric: no results to evaluate')
        self._check_dataset_protocol()
        query, pool = split_query_pool(self.protocol, self.direction, results)
        if not query:
            raise ValueError(
                f'VIReIDMetric[{self.prefix}]: the test set has no query '
                f'images ({self._query_hint()})')
        if not pool:
            raise ValueError(
                f'VIReIDMetric[{self.prefix}]: the test set has no gallery '
                f'candidates ({self._query_hint()})')
        galleries = self.draw_galleries(results, pool)
        feats = _stack_features([r['feature'] for r in results])
        # (float32 -> float64 keeps NaN/inf: check before converting)
        if not np.isfinite(feats).all():
            bad = int(np.flatnonzero(~np.isfinite(feats).all(axis=1))[0])
            raise ValueError(
                f'VIReIDMetric[{self.prefix}]: the feature of '
                f"{results[bad]['rel_path']!r} has NaN/inf values")
        # feats stay float32: every distance function converts its input
        # rows to float64 (exactly). Cosine: normalise in float64 (row-wise,
        # so identical to compute_distance on any row subset) only the rows
        # some trial uses. ``fast``: float32 products, certified (cosine
        # only; not for re-ranking)
        fast = self.distance == 'cosine' and not self.rerank and \
            not self.exact_distances
        unit = unit32 = None
        if self.distance == 'cosine':
            used = np.unique(np.concatenate(
                [np.asarray(query, dtype=np.intp)] +
                [np.asarray(g, dtype=np.intp) for g in galleries]))
            if fast:
                # float32 rows, each rounded from its float64 unit row (what
                # the certification assumes); float64 rows are made only
                # for the rows it recomputes (l2_normalize is row-wise, so
                # they equal those of normalising everything)
                unit32 = _RowSubset(
                    l2_normalize(feats[used], dtype=np.float64,
                                 out_dtype=np.float32), used, len(results))
            else:
                unit = _RowSubset(
                    l2_normalize(feats[used], dtype=np.float64), used,
                    len(results))
        pids = np.array([r['pid'] for r in results], dtype=np.int64)
        cams = np.array([r['camid'] for r in results], dtype=np.int64)
        q = np.asarray(query)
        # the query side is the same in every trial: index it once
        q_unit = None if unit is None else unit[q]

        def unit64(idx: np.ndarray) -> np.ndarray:
            return l2_normalize(feats[idx], dtype=np.float64)

        def q_unit64(rows: np.ndarray) -> np.ndarray:
            return unit64(q[rows])
        rerank_kwargs = dict(self.rerank) if isinstance(self.rerank,
                                                        dict) else {}
        if self.rerank:
            # the query-query distances are the same in every trial
            rerank_kwargs['query_dist'] = nonnegative_distance(
                feats[q], feats[q], self.distance)

        q_unit32 = unit32[q] if fast else None
        shared = None if self.rerank else self._shared_distances(
            feats, unit32 if fast else unit, q_unit, q_unit32, q, galleries)

        per_trial = []
        for trial_id, gallery in zip(self._trial_ids(), galleries):
            g = np.asarray(gallery)
            if g.size == 0:
                raise ValueError(
                    f'VIReIDMetric[{self.prefix}]: trial {trial_id} drew an '
                    f'empty gallery')
            num_exact = None
            if shared is not None:
                # this trial's part of the product against the union
                union, union_dist = shared
                cols = np.searchsorted(union, g)
                if fast:
                    # float32, gallery-major: the trial's rows are copied,
                    # the transpose is a view
                    distmat = union_dist[cols].T
                    distmat, num_exact = certified_cosine_distance(
                        q_unit64, lambda: unit64(g), pids[q], pids[g],
                        dist32=distmat, q_unit32=q_unit32)
                else:
                    distmat = np.take(union_dist, cols, axis=1)
            elif fast and q.size * g.size <= LAZY_DISTANCE_ENTRIES:
                distmat, num_exact = certified_cosine_distance(
                    q_unit64, lambda: unit64(g), pids[q], pids[g],
                    q_unit32=q_unit32, g_unit32=unit32[g],
                    device=self._product_device())
            elif self.rerank:
                from ..functional.rerank import k_reciprocal_rerank
                distmat = k_reciprocal_rerank(feats[q], feats[g],
                                              self.distance, **rerank_kwargs)
            elif q.size * g.size > LAZY_DISTANCE_ENTRIES:
                # large: distances computed chunk by chunk while ranking
                distmat = DistanceRows(feats[q], feats[g], self.distance)
            elif unit is not None:
                distmat = -(q_unit @ unit[g].T)
            else:
                distmat = compute_distance(feats[q], feats[g], self.distance)
            self._check_degenerate(distmat, trial_id)
            res = evaluate_ranking(
                distmat, pids[q], pids[g], cams[q], cams[g],
                protocol=self.protocol, max_rank=self.max_rank)
            row = {f'rank{k}': float(res['cmc'][k - 1])
                   for k in (1, 5, 10, 20) if k <= self.max_rank}
            row.update(mAP=res['mAP'], mINP=res['mINP'])
            row.update(trial=trial_id, num_query=int(q.size),
                       num_gallery=int(g.size),
                       num_valid_queries=res['num_valid_queries'])
            if num_exact is not None:
                # query rows whose distances float32 could not certify
                row['num_float64_rows'] = num_exact
            per_trial.append(row)

        keys = [k for k in RESULT_KEYS if k in per_trial[0]]
        mean = {k: float(np.mean([r[k] for r in per_trial])) for k in keys}
        std = {k: float(np.std([r[k] for r in per_trial])) for k in keys}
        self.last_results = dict(
            prefix=self.prefix,
            protocol=self.protocol,
            mode=self.mode,
            direction=self.direction,
            gallery_draw=(self.gallery_draw
                          if self.protocol == 'sysu' else
                          ('agw' if self.protocol == 'llcm' else 'none')),
            shots=self.shots,
            num_trials=len(per_trial),
            feature=self.feature,
            distance=self.distance,
            rerank=bool(self.rerank),
            exact_distances=self.exact_distances,
            trials=per_trial,
            mean=mean,
            std=std)
        if self.log_table:
            MMLogger.get_current_instance().info(
                '\n' + format_results_table(self.last_results))
        metrics = {k: 100.0 * v for k, v in mean.items()}
        metrics.update({f'{k}_std': 100.0 * v for k, v in std.items()})
        return metrics

    def _shared_distances(self, feats: np.ndarray,
                          unit: Optional['_RowSubset'],
                          q_unit: Optional[np.ndarray],
                          q_unit32: Optional[np.ndarray], q: np.ndarray,
                          galleries: Sequence[Sequence[int]]):
        """``(union, distances)``: the distances of the queries to the union
        of all trial galleries, when the trials share gallery images and the
        matrix is small enough; ``None`` otherwise. With ``q_unit32`` (the
        certified float32 path) the distances are the float32 product,
        transposed (``(len(union), num_query)``).

        Each entry is the same dot product (or Euclidean formula) as in a
        per-trial matrix, so a trial's columns of it equal that trial's own
        matrix up to the blocking of the matrix product (identical with
        OpenBLAS, which never splits the feature dimension by output size).
        """
        sizes = [len(g) for g in galleries]
        if len(galleries) < 2 or min(sizes) == 0 or any(
                q.size * n > LAZY_DISTANCE_ENTRIES for n in sizes):
            return None
        union = np.unique(np.concatenate(
            [np.asarray(g, dtype=np.intp) for g in galleries]))
        if (union.size >= sum(sizes)
                or q.size * union.size > SHARED_DISTANCE_ENTRIES):
            return None  # no image is drawn twice, or too large
        if q_unit32 is not None:  # (``unit``: the float32 rows)
            dist32 = float32_product(unit[union], q_unit32,
                                     self._product_device())
            return union, np.negative(dist32, out=dist32)
        if unit is not None:
            return union, -(q_unit @ unit[union].T)
        return union, compute_distance(feats[q], feats[union],
                                       self.distance)

    def _product_device(self) -> Optional[str]:
        """The torch device of the float32 products (None: numpy)."""
        if self.distance_device != 'auto':
            return self.distance_device
        return 'cuda' if torch.cuda.is_available() else None

    #: What a degenerate distance matrix (every distance tied) does:
    #: ``'warn'`` (log a loud warning; training goes on) or ``'error'``.
    on_degenerate = 'warn'

    def _check_dataset_protocol(self) -> None:
        name = (self.dataset_meta or {}).get('dataset_name', None)
        if name in ('sysu', 'regdb', 'llcm') and name != self.protocol:
            raise ValueError(
                f'VIReIDMetric[{self.prefix}]: protocol={self.protocol!r}, '
                f'but the test data is {name!r}; set protocol={name!r}')

    def _check_degenerate(self, distmat: np.ndarray, trial_id) -> None:
        message = degenerate_distances(distmat)
        if message is None:
            return
        message = (f'VIReIDMetric[{self.prefix}] trial {trial_id}: '
                   f'{message}')
        if self.on_degenerate == 'error':
            raise ValueError(message)
        if not getattr(self, '_warned_degenerate', False):
            import warnings
            warnings.warn(message, stacklevel=2)
            self._warned_degenerate = True
        MMLogger.get_current_instance().warning('!' * 8 + ' ' + message)

    def _query_hint(self) -> str:
        if self.protocol == 'sysu':
            return 'queries are the items with is_query=True'
        return ('queries are the ' +
                ('infrared (modality 1)' if self.direction == 't2v' else
                 'visible (modality 0)') + ' images')


def degenerate_distances(distmat: np.ndarray) -> Optional[str]:
    """Describe a distance matrix whose rankings are ties, or ``None``.

    When all distances are equal (constant or collapsed features), or every
    query's distances to the gallery are equal, the ranking is the gallery
    order and the metrics measure nothing.

    Args:
        distmat (np.ndarray | DistanceRows): ``num_query x num_gallery``
            distances.

    Returns:
        str | None: The problem, or ``None`` if the matrix is fine.
    """
    if isinstance(distmat, DistanceRows):
        # computed a chunk of rows at a time; only row extremes are kept
        num_q, num_g = distmat.shape
        step = max(1, (1 << 23) // max(num_g, 1))
        blocks = [distmat[a:a + step] for a in range(0, num_q, step)]
        row_max = np.concatenate([b.max(axis=1) for b in blocks])
        row_min = np.concatenate([b.min(axis=1) for b in blocks])
    else:
        d = np.asarray(distmat, dtype=np.float64)
        num_q, num_g = d.shape if d.ndim == 2 else (0, 0)
        if d.size == 0 or num_g < 2:
            return None
        row_max, row_min = d.max(axis=1), d.min(axis=1)
    if num_q == 0 or num_g < 2:
        return None
    scale = max(1.0, float(np.abs(row_max).max()),
                float(np.abs(row_min).max()))
    spread = row_max - row_min
    tied = spread <= 1e-9 * scale
    if tied.all():
        what = ('all distances are equal' if float(row_max.max() -
                                                   row_min.min()) <=
                1e-9 * scale else 'every query is equally far from all '
                'gallery images')
        return (f'{what} ({num_q} x {num_g}): the features are '
                f'constant or collapsed, every ranking is a tie and the '
                f'metrics are meaningless')
    if tied.mean() > 0.5:
        return (f'{int(tied.sum())} of {tied.size} queries are equally far '
                f'from all gallery images (collapsed features?): their '
                f'rankings are ties')
    return None


def describe_protocol(results: dict) -> str:
    """One line naming a result set's protocol settings.

    Args:
        results (dict): ``VIReIDMetric.last_results``.

    Returns:
        str: E.g. ``'sysu all t2v | draw agw, 1-shot, 10 trials | feature
        bn, cosine'``.
    """
    name = ' '.join(str(x) for x in (results['protocol'], results['mode'],
                                      results['direction']) if x)
    draw = (f"draw {results['gallery_draw']}, {results['shots']}-shot, "
            f"{results['num_trials']} trial"
            f"{'s' if results['num_trials'] != 1 else ''}")
    feat = f"feature {results['feature']}, {results['distance']}"
    if results.get('rerank'):
        feat += ' + k-reciprocal re-ranking'
    return f'{name} | {draw} | {feat}'


def format_results_table(results: dict) -> str:
    """A plain-text table of per-trial and mean results (percentages).

    Args:
        results (dict): ``VIReIDMetric.last_results``.

    Returns:
        str: The table, title line first.
    """
    keys = [k for k in RESULT_KEYS if k in results['mean']]
    head = ['trial'] + [k.replace('rank', 'R') for k in keys] + [
        '#query', '#valid', '#gallery']
    rows = []
    for r in results['trials']:
        rows.append(['-' if r['trial'] is None else str(r['trial'])] +
                    [f'{100 * r[k]:.2f}' for k in keys] +
                    [str(r['num_query']), str(r['num_valid_queries']),
                     str(r['num_gallery'])])
    rows.append(['mean'] + [f"{100 * results['mean'][k]:.2f}" for k in keys]
                + [''] * 3)
    if results['num_trials'] > 1:
        rows.append(['std'] + [f"{100 * results['std'][k]:.2f}"
                               for k in keys] + [''] * 3)
    widths = [max(len(h), *(len(r[i]) for r in rows))
              for i, h in enumerate(head)]

    def line(cells):
        return ' | '.join(c.rjust(w) for c, w in zip(cells, widths))

    sep = '-+-'.join('-' * w for w in widths)
    title = f'[{results["prefix"]}] {describe_protocol(results)}'
    body = [line(head), sep] + [line(r) for r in rows[:len(results['trials'])]]
    body += [sep] + [line(r) for r in rows[len(results['trials']):]]
    return '\n'.join([title] + body)


class _RowSubset:
    """Rows ``rows`` of an ``(n, dim)`` array, stored compactly and indexed
    by their row numbers in the full array."""

    def __init__(self, values: np.ndarray, rows: np.ndarray, n: int) -> None:
        self.values = values
        self.slot = np.full(n, -1, dtype=np.intp)
        self.slot[rows] = np.arange(len(rows))

    def __getitem__(self, idx: np.ndarray) -> np.ndarray:
        slot = self.slot[idx]
        if (slot < 0).any():
            raise IndexError('row not among the stored rows')
        return self.values[slot]


def _stack_features(feats: list) -> np.ndarray:
    """``(N, dim)`` float32 array of the results' features (tensors or
    arrays). CPU tensors of one shape are stacked by torch into a
    preallocated array (about 3x faster than ``torch.stack`` allocating
    its own result or ``np.stack`` of ten thousand views); anything else
    goes through numpy."""
    first = feats[0]
    if isinstance(first, torch.Tensor):
        out = np.empty((len(feats), ) + tuple(first.shape), dtype=np.float32)
        try:
            torch.stack(feats, out=torch.from_numpy(out))
            return out
        except (TypeError, RuntimeError):
            pass  # mixed types, shapes or devices: numpy below
    return np.stack([
        f.detach().cpu().numpy() if isinstance(f, torch.Tensor) else
        np.asarray(f) for f in feats
    ]).astype(np.float32, copy=False)


def _check_device(device: Optional[str]) -> Optional[str]:
    """Validate ``distance_device`` at build time."""
    if device is None or device == 'auto':
        return device
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"VIReIDMetric: distance_device must be None, "
                         f"'auto' or a torch device such as 'cuda:0', got "
                         f'{device!r} ({exc})') from None
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise ValueError(f'VIReIDMetric: distance_device={device!r} but '
                         f"CUDA is not available (use 'auto' or None)")
    return str(dev)


def _scalar(value):
    """Python scalar of an int/bool/0-d or 1-element tensor/array."""
    if isinstance(value, torch.Tensor):
        return value.reshape(-1)[0].item() if value.numel() == 1 else \
            _bad_scalar(value)
    if isinstance(value, np.ndarray):
        return value.reshape(-1)[0].item() if value.size == 1 else \
            _bad_scalar(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _bad_scalar(value):
    raise ValueError(f'VIReIDMetric: expected a scalar label, got an array '
                     f'of shape {tuple(value.shape)}')
