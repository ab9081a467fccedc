# Copyright (c) vireid contributors. All rights reserved.
"""Cosine distances from float32 products, certified against float64.

A float32 matrix product is about twice as fast as a float64 one, but its
rounding can reorder near-equal distances. The ranking metrics only depend on
how every query's own-identity gallery items (the true matches, kept or
removed by an exclusion rule) compare with the other items of its row: the
order among a query's own items does not change the set of their ranks, and
no other comparison enters CMC (plain or identity-de-duplicated), AP or INP.

For L2-normalised rows ``q``, ``g`` rounded to float32 and multiplied with
any summation order, the float32 result differs from the exact dot product by
at most ``gamma_n * sum_i |q_i g_i| + (2u + u^2) * sum_i |q_i g_i|`` with
``u = 2^-24`` and ``gamma_n = n u / (1 - n u)`` (Higham, *Accuracy and
Stability of Numerical Algorithms*, 2nd ed., Eq. 3.5), and ``sum_i |q_i g_i|
<= |q| |g| = 1``; the float64 product differs from the exact value by at most
``n 2^-53``. So with ``bound`` the sum of both, any two entries whose float32
values differ by more than ``2 * bound`` compare the same way in float64.

:func:`certified_cosine_distance` computes the float32 matrix, finds the
rows in which some own-identity item lies within ``2 * bound`` of an item of
another identity, and recomputes exactly those rows in float64 (whole rows,
so exact ties there break as ``np.argsort`` breaks them on the float64 row).
Every other row keeps its float32 values (as float64): the metrics of the
result equal those of the float64 matrix. Rows whose float32 values span no
more than ``2 * bound`` (collapsed features) are recomputed too, so the
degenerate-distance warning sees float64 values there.
"""
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Tuple, Union

import numpy as np

from .ranking import _count_less, _Groups

#: unit roundoff of float32 / float64
_U32 = 2.0**-24
_U64 = 2.0**-53


def float32_product_bound(dim: int) -> float:
    """Largest difference between a float32 and a float64 dot product of two
    unit vectors of length ``dim`` (rounded to float32, any summation order),
    including the rounding of both to float32 and the float64 product's own
    error.

    Args:
        dim (int): Feature dimension.

    Returns:
        float: The bound (``~dim * 6e-8``).
    """
    n = max(int(dim), 1)
    if n * _U32 >= 0.5:
        return float('inf')
    gamma = n * _U32 / (1.0 - n * _U32)
    # (1 + u)^2 on the float32 inputs' magnitudes, the inputs' own rounding,
    # float64 product error, norms of float64 unit rows (1 +- n 2^-53) and a
    # margin for float32 underflow
    return 1.001 * (gamma * (1 + _U32)**2 + 2 * _U32 + _U32**2) + \
        4 * n * _U64 + 1e-30


@contextmanager
def _ieee_float32_matmul() -> Iterator[None]:
    """Torch float32 matrix products in full IEEE float32 for the duration
    (no TF32 on CUDA, no reduced-precision oneDNN kernels on CPU), whatever
    the caller set; the settings are restored afterwards."""
    import torch
    flags = []
    for backend in (torch.backends.cuda.matmul,
                    getattr(getattr(torch.backends, 'mkldnn', None),
                            'matmul', None)):
        if backend is not None and hasattr(backend, 'fp32_precision'):
            flags.append((backend, 'fp32_precision', 'ieee'))
    if not flags:  # torch < 2.9: the legacy switch
        flags.append((torch.backends.cuda.matmul, 'allow_tf32', False))
    saved = [getattr(obj, name) for obj, name, _ in flags]
    try:
        for obj, name, value in flags:
            setattr(obj, name, value)
        yield
    finally:
        for (obj, name, _), value in zip(flags, saved):
            setattr(obj, name, value)


def float32_product(a32: np.ndarray,
                    b32: np.ndarray,
                    device: Optional[str] = None) -> np.ndarray:
    """``a32 @ b32.T`` in float32 arithmetic, as the bound of
    :func:`float32_product_bound` assumes (any summation order).

    Args:
        a32 (ndarray): ``(m, dim)`` float32.
        b32 (ndarray): ``(n, dim)`` float32.
        device (str, optional): ``None``: numpy (BLAS) on the CPU. A torch
            device (``'cuda'``, ``'cuda:1'``, ``'cpu'``): torch on that
            device, with TF32 and other reduced-precision float32 kernels
            switched off for the call.

    Returns:
        ndarray: ``(m, n)`` float32, on the CPU.
    """
    if device is None:
        return a32 @ b32.T
    import torch
    dev = torch.device(device)
    with _ieee_float32_matmul():
        a = torch.from_numpy(np.ascontiguousarray(a32)).to(dev)
        b = torch.from_numpy(np.ascontiguousarray(b32)).to(dev)
        out = (a @ b.T).cpu()
    return out.numpy()


#: up to this many own-identity items per query, :func:`uncertain_rows`
#: compares every row with each of them instead of sorting the rows
SMALL_OWN = 8


def _uncertain_by_passes(dist32: np.ndarray, r_idx: np.ndarray,
                         c_idx: np.ndarray, counts: np.ndarray,
                         width: float) -> np.ndarray:
    """:func:`uncertain_rows` by one pass over the matrix per own-item slot
    (for few own items per query)."""
    num_q = dist32.shape[0]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(r_idx.size) - starts[r_idx]
    t = dist32[r_idx, c_idx].astype(np.float64)
    # the window [t - width, t + width] of each own item, widened outwards
    # to float32 bounds (float32(x) is within half an ulp of x, so one
    # step outwards contains x): a superset of the exact window
    shape = (num_q, int(counts.max()))
    lo = np.full(shape, np.inf, dtype=np.float32)  # empty slots: never
    hi = np.full(shape, -np.inf, dtype=np.float32)
    lo[r_idx, slot] = np.nextafter((t - width).astype(np.float32),
                                   np.float32(-np.inf))
    hi[r_idx, slot] = np.nextafter((t + width).astype(np.float32),
                                   np.float32(np.inf))
    # (in the memory order of dist32, which may be a transposed view: the
    # compares then run along memory)
    near = np.zeros_like(dist32, dtype=bool)
    above = np.empty_like(dist32, dtype=bool)
    below = np.empty_like(dist32, dtype=bool)
    for k in range(shape[1]):
        np.greater_equal(dist32, lo[:, k:k + 1], out=above)
        np.less_equal(dist32, hi[:, k:k + 1], out=below)
        above &= below
        near |= above
    near[r_idx, c_idx] = False  # own items may be near each other
    return near.any(axis=1)


def uncertain_rows(dist32: np.ndarray, own: np.ndarray,
                   bound: float) -> np.ndarray:
    """Rows whose float32 distances may rank an own-identity item against
    another item differently from float64.

    Args:
        dist32 (ndarray): ``(num_query, num_gallery)`` float32 distances.
        own (ndarray): Same shape, bool: the gallery item has the query's
            identity.
        bound (float): :func:`float32_product_bound`.

    Returns:
        ndarray: Bool per row, True where the row must be recomputed.
    """
    r_idx, c_idx = np.nonzero(own)
    return _uncertain_rows(dist32, r_idx, c_idx, bound)


def _own_pairs(q_pids: np.ndarray,
               g_pids: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``np.nonzero(q_pids[:, None] == g_pids[None, :])`` from the
    per-identity column table (no dense matrix)."""
    groups = _Groups(np.asarray(q_pids), np.asarray(g_pids))
    # (each table row lists its identity's columns in ascending order)
    cols = groups.table[np.maximum(groups.q_codes, 0)]
    ok = (cols >= 0) & (groups.q_codes >= 0)[:, None]
    r_idx, k_idx = np.nonzero(ok)
    return r_idx, cols[r_idx, k_idx]


def _uncertain_rows(dist32: np.ndarray, r_idx: np.ndarray, c_idx: np.ndarray,
                    bound: float) -> np.ndarray:
    """:func:`uncertain_rows` from the own items' positions (row-major)."""
    num_q, num_g = dist32.shape
    width = 2.0 * bound * (1.0 + 1e-6)
    spread = dist32.max(axis=1).astype(np.float64) - dist32.min(axis=1)
    unsure = spread <= width  # (nearly) constant rows: exact values
    if r_idx.size == 0:
        return unsure
    counts = np.bincount(r_idx, minlength=num_q)
    width_max = int(counts.max())
    if width_max <= SMALL_OWN:
        return unsure | _uncertain_by_passes(dist32, r_idx, c_idx, counts,
                                             width)
    t = dist32[r_idx, c_idx].astype(np.float64)
    lo, hi = t - width, t + width
    srt = np.sort(dist32, axis=1)
    # items v with lo < v < hi ... counted as [lo, hi): every v within
    # `2 * bound` of t is in it
    in_window = (_count_less(srt, r_idx, hi.astype(np.float64)) -
                 _count_less(srt, r_idx, lo.astype(np.float64)))
    # own items in the same window (pairwise among the row's own items)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pad = np.full((num_q, width_max), np.nan)
    pad[r_idx, np.arange(r_idx.size) - starts[r_idx]] = t
    own_vals = pad[r_idx]  # (pairs, width_max)
    own_in = ((own_vals >= lo[:, None]) & (own_vals < hi[:, None])).sum(1)
    bad = in_window > own_in
    unsure[r_idx[bad]] = True
    return unsure


def certified_cosine_distance(
        q_unit: Union[np.ndarray, Callable[[np.ndarray], np.ndarray]],
        g_unit: Union[np.ndarray, Callable[[], np.ndarray]],
        q_pids: np.ndarray,
        g_pids: np.ndarray,
        dist32: Optional[np.ndarray] = None,
        q_unit32: Optional[np.ndarray] = None,
        g_unit32: Optional[np.ndarray] = None,
        device: Optional[str] = None) -> Tuple[np.ndarray, int]:
    """``-(q . g)`` of unit rows from a float32 product, with the rows that
    float32 could rank differently recomputed in float64 (see the module
    text): every ranking metric of the result equals that of
    ``-(q_unit @ g_unit.T)``.

    Args:
        q_unit (ndarray | callable): ``(num_query, dim)`` float64
            L2-normalised rows, or a function returning the rows of given
            row indices (then ``q_unit32`` is required).
        g_unit (ndarray | callable): ``(num_gallery, dim)`` float64
            L2-normalised rows, or a function returning them (called only
            when some row must be recomputed, or to make ``g_unit32`` when
            neither it nor ``dist32`` is given).
        q_pids, g_pids (ndarray): Identities (the true matches of a query
            are the gallery items of its identity).
        dist32 (ndarray, optional): The float32 distances, if already
            computed (e.g. columns of a product against a larger gallery;
            any memory layout).
        q_unit32, g_unit32 (ndarray, optional): float32 copies of the rows,
            if already made.
        device (str, optional): Where the float32 product is computed
            (:func:`float32_product`). The result does not depend on it.

    Returns:
        tuple: ``(distances, num_recomputed)``: float64 ``(num_query,
        num_gallery)`` distances and the number of rows computed in float64.
    """
    if callable(q_unit) and q_unit32 is None:
        raise ValueError('certified_cosine_distance: q_unit32 is required '
                         'when q_unit is a function')
    if dist32 is None:
        if q_unit32 is None:
            q_unit32 = q_unit.astype(np.float32)
        if g_unit32 is None:
            if callable(g_unit):
                g_unit = g_unit()
            g_unit32 = g_unit.astype(np.float32)
        dist32 = float32_product(q_unit32, g_unit32, device)
        np.negative(dist32, out=dist32)
    dim = q_unit32.shape[1] if q_unit32 is not None else q_unit.shape[1]
    bound = float32_product_bound(dim)
    r_idx, c_idx = _own_pairs(q_pids, g_pids)
    rows = np.flatnonzero(_uncertain_rows(dist32, r_idx, c_idx, bound))
    dist = dist32.astype(np.float64, order='C')
    if rows.size:
        if callable(g_unit):
            g_unit = g_unit()
        q_rows = q_unit(rows) if callable(q_unit) else q_unit[rows]
        dist[rows] = -(q_rows @ g_unit.T)
    return dist, int(rows.size)
