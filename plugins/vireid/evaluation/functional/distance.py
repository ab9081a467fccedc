# Copyright (c) vireid contributors. All rights reserved.
"""Query-gallery distance matrices."""
from typing import Union

import numpy as np

try:  # torch is optional here: features may come as numpy arrays
    import torch
except ImportError:  # pragma: no cover
    torch = None

ArrayOrTensor = Union[np.ndarray, 'torch.Tensor']

DISTANCES = ('cosine', 'euclidean')


def _to_numpy(name: str, feats: ArrayOrTensor, dtype) -> np.ndarray:
    if torch is not None and isinstance(feats, torch.Tensor):
        feats = feats.detach().cpu().numpy()
    arr = np.asarray(feats, dtype=dtype)
    if arr.ndim != 2:
        raise ValueError(f'{name} must be a 2-D (num, dim) feature array, '
                         f'got shape {arr.shape}')
    if not np.isfinite(arr).all():
        bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        raise ValueError(f'{name} has NaN/inf values in {bad.size} rows '
                         f'(first row {int(bad[0])})')
    return arr


def l2_normalize(feats: np.ndarray,
                 eps: float = 1e-12,
                 dtype=None,
                 out_dtype=None) -> np.ndarray:
    """Rows divided by their L2 norm (``max(norm, eps)``, as
    ``torch.nn.functional.normalize``).

    Args:
        feats (ndarray): ``(num, dim)`` features.
        eps (float): Lower bound of the norm.
        dtype (optional): Convert the rows to this dtype first (block by
            block, without a full-size copy). Defaults to their own.
        out_dtype (optional): Store the result in this dtype (each block
            rounded once computed, e.g. float32 copies of float64 unit rows
            without a full-size float64 matrix). Defaults to the computed
            dtype.

    Returns:
        ndarray: The normalised rows.
    """
    feats = np.asarray(feats)
    if feats.ndim != 2 or feats.shape[0] <= _NORMALIZE_ROWS:
        out = _l2_normalize(feats if dtype is None else
                            feats.astype(dtype), eps)
        return out if out_dtype is None else out.astype(out_dtype)
    # blocks of rows: the temporaries stay in cache (every row's numbers are
    # computed exactly as in one call)
    out = None
    for start in range(0, feats.shape[0], _NORMALIZE_ROWS):
        rows = slice(start, start + _NORMALIZE_ROWS)
        block = feats[rows] if dtype is None else feats[rows].astype(dtype)
        block = _l2_normalize(block, eps)
        if out is None:
            out = np.empty(feats.shape, dtype=out_dtype or block.dtype)
        out[rows] = block
    return out


#: rows normalised at a time by :func:`l2_normalize`
_NORMALIZE_ROWS = 256


def _l2_normalize(feats: np.ndarray, eps: float) -> np.ndarray:
    # the same sum as np.linalg.norm (add.reduce of the squares), without
    # its extra copy
    norms = np.sqrt(np.add.reduce(feats * feats, axis=-1, keepdims=True))
    return feats / np.maximum(norms, eps)


def compute_distance(query_feats: ArrayOrTensor,
                     gallery_feats: ArrayOrTensor,
                     metric: str = 'cosine',
                     dtype=np.float64) -> np.ndarray:
    """Distance matrix between query and gallery features.

    ``'cosine'`` is AGW/DEEN's distance: ``-(q . g)`` on L2-normalised
    features, so it lies in ``[-1, 1]`` and smaller is closer (the ranking
    equals that of ``1 - cos``). ``'euclidean'`` is the plain Euclidean
    distance on the raw features (SYSU-MM01's MATLAB demo, ``pdist2``);
    it ranks like torchreid's squared Euclidean distance.

    Args:
        query_feats (ndarray | Tensor): ``(num_query, dim)``.
        gallery_feats (ndarray | Tensor): ``(num_gallery, dim)``.
        metric (str): ``'cosine'`` or ``'euclidean'``.
        dtype: Computation dtype. Defaults to float64.

    Returns:
        ndarray: ``(num_query, num_gallery)`` distances of ``dtype``.
    """
    if metric not in DISTANCES:
        raise ValueError(f'metric must be one of {DISTANCES}, got '
                         f'{metric!r}')
    qf = _to_numpy('query features', query_feats, dtype)
    gf = _to_numpy('gallery features', gallery_feats, dtype)
    if qf.shape[1] != gf.shape[1]:
        raise ValueError(f'query and gallery features differ in dimension: '
                         f'{qf.shape[1]} vs {gf.shape[1]}')
    if metric == 'cosine':
        return -(l2_normalize(qf) @ l2_normalize(gf).T)
    sq = (np.einsum('ij,ij->i', qf, qf)[:, None] +
          np.einsum('ij,ij->i', gf, gf)[None, :] - 2.0 * (qf @ gf.T))
    return np.sqrt(np.maximum(sq, 0.0))


def nonnegative_distance(query_feats: ArrayOrTensor,
                         gallery_feats: ArrayOrTensor,
                         metric: str = 'cosine',
                         dtype=np.float64) -> np.ndarray:
    """Like :func:`compute_distance` but never negative: ``1 - cos`` for
    ``'cosine'`` (same ranking as ``-cos``), Euclidean otherwise. Needed by
    k-reciprocal re-ranking, which squares the distances.

    Args:
        query_feats (ndarray | Tensor): ``(num_query, dim)``.
        gallery_feats (ndarray | Tensor): ``(num_gallery, dim)``.
        metric (str): ``'cosine'`` or ``'euclidean'``.
        dtype: Computation dtype. Defaults to float64.

    Returns:
        ndarray: ``(num_query, num_gallery)`` non-negative distances.
    """
    dist = compute_distance(query_feats, gallery_feats, metric, dtype)
    if metric == 'cosine':
        dist = np.maximum(1.0 + dist, 0.0)
    return dist


class DistanceRows:
    """Query-gallery distances computed a block of query rows at a time.

    Behaves as the ``(num_query, num_gallery)`` float64 matrix of
    :func:`compute_distance` for ``shape``, ``dtype`` and row slicing
    (``rows[a:b]`` returns that block as an array), so
    :func:`~vireid.evaluation.functional.evaluate_ranking` can rank a
    problem whose full matrix would not fit in memory. Each block equals the
    same rows of :func:`compute_distance` up to floating-point rounding of
    the matrix product (BLAS may block a sub-product differently).

    Args:
        query_feats (ndarray | Tensor): ``(num_query, dim)``.
        gallery_feats (ndarray | Tensor): ``(num_gallery, dim)``.
        metric (str): ``'cosine'`` or ``'euclidean'``.
    """

    dtype = np.dtype(np.float64)

    def __init__(self, query_feats: ArrayOrTensor,
                 gallery_feats: ArrayOrTensor,
                 metric: str = 'cosine') -> None:
        if metric not in DISTANCES:
            raise ValueError(f'metric must be one of {DISTANCES}, got '
                             f'{metric!r}')
        qf = _to_numpy('query features', query_feats, np.float64)
        gf = _to_numpy('gallery features', gallery_feats, np.float64)
        if qf.shape[1] != gf.shape[1]:
            raise ValueError(f'query and gallery features differ in '
                             f'dimension: {qf.shape[1]} vs {gf.shape[1]}')
        self.metric = metric
        if metric == 'cosine':
            self._q, self._g = l2_normalize(qf), l2_normalize(gf)
        else:
            self._q, self._g = qf, gf
            self._q_sq = np.einsum('ij,ij->i', qf, qf)
            self._g_sq = np.einsum('ij,ij->i', gf, gf)
        self.shape = (qf.shape[0], gf.shape[0])

    def __getitem__(self, rows: slice) -> np.ndarray:
        if not isinstance(rows, slice):
            raise TypeError('DistanceRows supports row slices only')
        q = self._q[rows]
        if self.metric == 'cosine':
            return -(q @ self._g.T)
        sq = self._q_sq[rows][:, None] + self._g_sq[None, :] - 2.0 * (
            q @ self._g.T)
        return np.sqrt(np.maximum(sq, 0.0))
