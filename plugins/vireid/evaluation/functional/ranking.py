# Copyright (c) vireid contributors. All rights reserved.
"""Vectorised ranking metrics for VI-ReID: CMC (plain or id-de-duplicated),
mAP and mINP with the exclusion rules of SYSU-MM01, LLCM and RegDB.

Semantics (``docs/protocols.md`` §1.4, §2.3, §3.3, §4), for one query ``q``:

* The gallery is ranked by ascending distance. **Ties** are broken exactly
  as ``np.argsort(distmat, axis=1)`` with numpy's default (non-stable) kind
  breaks them, i.e. like AGW's ``eval_sysu`` / ``eval_regdb`` / DEEN's
  ``eval_llcm`` on the same machine. (numpy's default kind is platform
  dependent, e.g. AVX-512 sorting networks; so are the reference codes.)
* Exclusion rules, applied to the ranked list:

  - ``'sysu'``: a query from camera 3 skips **every** gallery image of
    camera 2, whatever its identity (cam2 and cam3 share a room). Nothing
    is removed for other query cameras. With the protocol's cameras (query
    3/6, gallery 1/2/4/5) this equals SYSU-MM01's own location rule.
  - ``'pid_cam'``: gallery images with the same pid **and** the same camera
    as the query are removed (LLCM; Market-1501 / torchreid rule).
  - ``'none'``: nothing is removed (RegDB; AGW's ``eval_regdb`` uses camids
    1/2 internally so its same-pid-same-cam rule never fires).

* A query whose identity has no kept gallery image is **invalid** and is left
  out of every average (the reference codes ``continue``).
* ``CMC_q(k) = 1`` if the first true match is within the top ``k``. With
  ``dedup_cmc=True`` (SYSU, LLCM) the top ``k`` are the first ``k``
  *distinct identities* of the kept list (each identity counted at its first
  occurrence); with ``dedup_cmc=False`` (RegDB, torchreid) the first ``k``
  kept images.
* ``AP_q = (1/n) sum_j j / r_j`` with ``r_j`` the 1-based rank (in the kept
  list) of the ``j``-th true match; ``INP_q = n / r_n``.
* Reported: the means over valid queries. The CMC always has ``max_rank``
  entries: where the reference code would produce a ragged or truncated array
  (a kept list shorter than ``max_rank`` items / distinct identities,
  ``docs/protocols.md`` §5 pitfall 7), CMC beyond the end of the list keeps its
  last value, i.e. 1 for every valid query. Where AGW returns
  ``min(max_rank, num_gallery)`` entries, these equal vireid's first entries.
* All arithmetic is float64 (AGW's CMC is float32; differences < 1e-7).

Algorithm (no Python loop over queries; see ``benchmarks/eval_speed.py``):
for each query the kept true matches are looked up through a per-identity
column table. Each row is sorted **by value** (``np.sort`` of a float32 copy,
several times cheaper than ``np.argsort``) and the matches are located by a
row-wise binary search, which gives their ranks; pairs removed by the
exclusion rule are discounted (the SYSU rule removes a rectangular block of
(cam3 query, cam2 gallery) pairs, set to +inf in the float32 copy before it
is sorted; the LLCM rule only removes the query's own-identity images, whose
count is subtracted). The de-duplicated rank of the first match is one plus
the number of identities having a kept image closer than it (a boolean
"closer" matrix of the same copy, transposed so that OR-ing an identity's
columns is a few contiguous row operations).
float32 rounding is monotonic, so these counts are exact unless another item
rounds onto a match's value, which includes every float64 tie; such rows are
recomputed from ``np.argsort`` positions (tie-free values), so ties resolve
exactly as ``np.argsort`` resolves them. ``method='argsort'`` uses the argsort
positions for every row (about 3x slower, same results).
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .distance import DistanceRows

ArrayLike = Union[np.ndarray, Sequence]

EXCLUSION_RULES = ('sysu', 'pid_cam', 'none')

#: protocol name -> (exclusion rule, de-duplicated CMC)
PROTOCOL_RULES: Dict[str, Tuple[str, bool]] = {
    'sysu': ('sysu', True),
    'llcm': ('pid_cam', True),
    'regdb': ('none', False),
}

#: Query x gallery entries ranked at a time (about 15 bytes each).
CHUNK_ENTRIES = 1 << 23

#: The SYSU-MM01 location rule in camera numbers (AGW ``eval_sysu``).
SYSU_SKIP_QUERY_CAM = 3
SYSU_SKIP_GALLERY_CAM = 2


def _as_1d(name: str, value: ArrayLike, length: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.shape[0] != length:
        raise ValueError(f'{name} must be a 1-D array of length {length} '
                         f'(one entry per row/column of distmat), got shape '
                         f'{arr.shape}')
    return arr


class _Groups:
    """Compact identity codes and per-identity gallery column tables.

    Attributes:
        q_codes (ndarray): Code of each query identity, -1 where the identity
            has no gallery image.
        table (ndarray): ``(num_ids, cmax)`` gallery columns of each identity,
            padded with -1.
    """

    def __init__(self, q_pids: np.ndarray, g_pids: np.ndarray) -> None:
        uniq, g_codes = np.unique(g_pids, return_inverse=True)
        g_codes = g_codes.reshape(-1)
        num_ids = len(uniq)
        pos = np.minimum(np.searchsorted(uniq, q_pids), num_ids - 1)
        self.q_codes = np.where(uniq[pos] == q_pids, pos, -1).astype(np.intp)
        counts = np.bincount(g_codes, minlength=num_ids)
        order = np.argsort(g_codes, kind='stable')
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        sorted_codes = g_codes[order]
        within = np.arange(len(order)) - starts[sorted_codes]
        self.table = np.full((num_ids, int(counts.max())), -1, dtype=np.intp)
        self.table[sorted_codes, within] = order
        self.g_codes = g_codes
        self.num_ids = num_ids
        # the table with the padding pointing at an extra all-False row
        # (see _or_rows)
        self.slots = np.where(self.table < 0, len(order), self.table)


def _removed_mask(num_g: int, rule: str, q_codes: np.ndarray,
                  q_camids: Optional[np.ndarray],
                  g_camids: Optional[np.ndarray],
                  groups: _Groups) -> np.ndarray:
    """Dense ``(len(q_codes), num_g)`` mask of the pairs a rule removes."""
    removed = np.zeros((len(q_codes), num_g), dtype=bool)
    if rule == 'sysu':
        rows = np.flatnonzero(q_camids == SYSU_SKIP_QUERY_CAM)
        cols = np.flatnonzero(g_camids == SYSU_SKIP_GALLERY_CAM)
        removed[np.ix_(rows, cols)] = True
    elif rule == 'pid_cam':
        cols = groups.table[np.maximum(q_codes, 0)]
        same = (cols >= 0) & (q_codes >= 0)[:, None]
        same &= g_camids[np.maximum(cols, 0)] == q_camids[:, None]
        r, c = np.nonzero(same)
        removed[r, cols[r, c]] = True
    return removed


def exclusion_mask(protocol: str, q_pids: ArrayLike, g_pids: ArrayLike,
                   q_camids: ArrayLike, g_camids: ArrayLike) -> np.ndarray:
    """The gallery items a protocol removes for each query.

    The same rule :func:`evaluate_ranking` applies (SYSU-MM01: a cam3 query
    skips every cam2 image; LLCM: same pid and camera; RegDB: nothing), for
    callers that need the ranked list itself, e.g. ranked-list pictures.

    Args:
        protocol (str): A key of :data:`PROTOCOL_RULES`.
        q_pids, g_pids (ArrayLike): Query / gallery identities.
        q_camids, g_camids (ArrayLike): Real camera numbers.

    Returns:
        ndarray: ``(num_query, num_gallery)`` bool, True where removed.
    """
    if protocol not in PROTOCOL_RULES:
        raise ValueError(f'protocol must be one of {sorted(PROTOCOL_RULES)}, '
                         f'got {protocol!r}')
    q_pids, g_pids = np.asarray(q_pids), np.asarray(g_pids)
    groups = _Groups(q_pids, g_pids)
    return _removed_mask(len(g_pids), PROTOCOL_RULES[protocol][0],
                         groups.q_codes, np.asarray(q_camids),
                         np.asarray(g_camids), groups)


def _or_rows(rows_bool: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """``out[i] = OR_k rows_bool[slots[i, k]]`` (row gathers, no reduceat)."""
    out = rows_bool[slots[:, 0]]
    for k in range(1, slots.shape[1]):
        out |= rows_bool[slots[:, k]]
    return out


#: Fraction of (query, gallery) pairs closer than the first true match up to
#: which :func:`_closer_identities` lists the pairs instead of OR-ing rows
SPARSE_CLOSER = 1 / 16


def _closer_identities(closer: np.ndarray, groups: _Groups,
                       q_codes: np.ndarray) -> np.ndarray:
    """Per row of ``closer`` (bool, ``(num_q, num_gallery)``), the number of
    distinct identities other than the query's own among its True columns.

    With good features few items precede the first true match, so for large
    galleries the True pairs are listed and their distinct (row, identity)
    keys counted; otherwise the matrix is transposed so that OR-ing the rows
    of an identity's images is a handful of contiguous row operations
    (column gathers, a transposed float copy and ``np.minimum.reduceat`` are
    all slower).
    """
    num_q, num_g = closer.shape
    if num_g >= 1024 and \
            np.count_nonzero(closer) <= SPARSE_CLOSER * closer.size:
        # (1-D flatnonzero: several times faster than 2-D nonzero)
        r, c = np.divmod(np.flatnonzero(closer), num_g)
        codes = groups.g_codes[c]
        other = codes != q_codes[r]
        keys = np.unique(r[other] * groups.num_ids + codes[other])
        return np.bincount(keys // groups.num_ids, minlength=num_q)
    closer_t = np.zeros((num_g + 1, num_q), dtype=bool)  # last row: False
    closer_t[:num_g] = closer.T
    per_id = _or_rows(closer_t, groups.slots)
    count = per_id.view(np.uint8).sum(axis=0, dtype=np.intp)
    own_rows = np.flatnonzero(q_codes >= 0)
    count[own_rows] -= per_id[q_codes[own_rows], own_rows]
    return count


def _count_less(sorted_rows: np.ndarray, rows: np.ndarray,
                targets: np.ndarray) -> np.ndarray:
    """For each ``(rows[i], targets[i])``: how many entries of
    ``sorted_rows[rows[i]]`` are strictly smaller than ``targets[i]``
    (``np.searchsorted(..., side='left')`` for all pairs at once, by a
    branch-free binary search)."""
    length = sorted_rows.shape[1]
    pos = np.zeros(targets.shape, dtype=np.intp)
    if length == 0:
        return pos
    flat = sorted_rows.reshape(-1)
    base = rows * length
    step = 1 << (int(length).bit_length() - 1)
    while step:
        cand = pos + step
        probe = np.minimum(cand, length) - 1
        ok = (cand <= length) & (np.take(flat, base + probe) < targets)
        pos = np.where(ok, cand, pos)
        step >>= 1
    return pos


def _query_stats(values: np.ndarray,
                 groups: _Groups,
                 q_codes: np.ndarray,
                 dedup: bool,
                 rule: str,
                 q_camids: Optional[np.ndarray],
                 g_camids: Optional[np.ndarray],
                 check_finite: bool = False) -> Dict[str, np.ndarray]:
    """Per-query statistics (ranks of the kept true matches, AP, INP).

    ``values`` are distances (or tie-free argsort positions) of shape
    ``(len(q_codes), num_gallery)``; entries at ``+inf`` count as removed,
    and ``rule`` removes more pairs without touching ``values``. The ranks
    are exact wherever no kept true match ties with another item of its row
    (such rows are flagged in ``'tie'``, conservatively). ``check_finite``
    raises on NaN/inf in ``values`` (checked on the sorted rows' ends and
    on the removed SYSU block).
    """
    num_q, num_g = values.shape
    rows = np.arange(num_q)[:, None]
    has_code = q_codes >= 0
    cols = groups.table[np.maximum(q_codes, 0)]
    ok = (cols >= 0) & has_code[:, None]
    cols = np.maximum(cols, 0)
    own_vals = values[rows, cols]

    # pairs removed by the rule among the query's own-identity images, and
    # the block of pairs the SYSU rule removes
    block_rows = block_cols = None
    if rule == 'sysu':
        in_block = q_camids == SYSU_SKIP_QUERY_CAM
        block_rows = np.flatnonzero(in_block)
        block_cols = np.flatnonzero(g_camids == SYSU_SKIP_GALLERY_CAM)
        removed_own = in_block[:, None] & (g_camids[cols] ==
                                           SYSU_SKIP_GALLERY_CAM)
    elif rule == 'pid_cam':
        removed_own = g_camids[cols] == q_camids[:, None]
    else:
        removed_own = np.zeros(cols.shape, dtype=bool)
    removed_own &= ok

    match_vals = np.where(ok & ~removed_own, own_vals, np.inf)
    match_vals.sort(axis=1)
    finite = np.isfinite(match_vals)
    num_rel = finite.sum(axis=1)
    valid = num_rel > 0
    r_idx, c_idx = np.nonzero(finite)

    has_block = (block_rows is not None and block_rows.size > 0
                 and block_cols.size > 0)
    # A float32 copy of the rows (sorting it is twice as fast as float64),
    # the pairs of the SYSU block at +inf.
    # float32 rounding is monotonic, so ``count(v32 < t32)`` is the exact
    # ``count(v < t)`` unless another item rounds onto the target (a float32
    # collision, which includes every float64 tie); such rows are flagged
    # for the exact argsort path. Values beyond float32's range: float64.
    for dtype in (np.float32, np.float64):
        with np.errstate(over='ignore'):  # out of range -> inf, see below
            work = values.astype(dtype)
        if has_block:
            # flat indices: 1-D take/put are much faster than np.ix_
            block = (block_rows[:, None] * num_g + block_cols).reshape(-1)
            flat = work.reshape(-1)
            if check_finite and not np.isfinite(flat[block]).all():
                if dtype is np.float32 and np.isfinite(values).all():
                    continue  # finite, beyond float32's range
                raise ValueError('distmat contains NaN or infinite values')
            flat[block] = np.inf
        if dedup:
            # Identities with a kept image closer than the first true match
            # (removed SYSU pairs are +inf, never closer; the LLCM rule only
            # removes own-identity images, and the query's own identity
            # never counts).
            with np.errstate(over='ignore'):  # as above
                closer = work < match_vals[:, :1].astype(dtype)
            first_dedup = 1.0 + _closer_identities(closer, groups, q_codes)
        work.sort(axis=1)
        if not check_finite:
            break
        # the smallest and the largest kept value of each row are finite
        last = np.full(num_q, num_g - 1, dtype=np.intp)
        if has_block:
            last[block_rows] -= block_cols.size
        ends = work[np.arange(num_q), np.maximum(last, 0)]
        if np.isfinite(work[:, 0][last >= 0]).all() and \
                np.isfinite(ends[last >= 0]).all():
            break
        if dtype is np.float64 or not np.isfinite(values).all():
            raise ValueError('distmat contains NaN or infinite values')
        # finite but beyond float32's range: again in float64
    sorted_vals = work
    targets = match_vals[r_idx, c_idx].astype(sorted_vals.dtype)
    less = _count_less(sorted_vals, r_idx, targets)
    nxt = np.minimum(less + 1, num_g - 1)
    tie_flat = (less + 1 < num_g) & (
        sorted_vals.reshape(-1)[r_idx * num_g + nxt] == targets)
    if rule == 'pid_cam':
        removed_vals = np.where(removed_own, own_vals, np.inf)[r_idx]
        less -= np.count_nonzero(
            removed_vals < match_vals[r_idx, c_idx][:, None], axis=1)
    tie = np.zeros(num_q, dtype=bool)
    tie[r_idx[tie_flat]] = True

    ranks = np.ones(match_vals.shape, dtype=np.float64)
    ranks[r_idx, c_idx] = less + 1
    j = np.arange(1, match_vals.shape[1] + 1, dtype=np.float64)
    ap = np.where(finite, j / ranks, 0.0).sum(axis=1) / np.maximum(num_rel, 1)
    last = ranks[np.arange(num_q), np.maximum(num_rel - 1, 0)]
    inp = num_rel / last
    first = ranks[:, 0]
    if not dedup:
        first_dedup = first
    return dict(valid=valid, num_rel=num_rel, first=first,
                first_dedup=first_dedup, ap=ap, inp=inp, tie=tie)


def _argsort_positions(distmat_rows: np.ndarray,
                       removed_rows: np.ndarray) -> np.ndarray:
    """Tie-free values: each item's position in ``np.argsort`` order
    (default kind), removed items at ``+inf``."""
    order = np.argsort(distmat_rows, axis=1)
    pos = np.empty(order.shape, dtype=np.float64)
    np.put_along_axis(
        pos, order,
        np.broadcast_to(np.arange(order.shape[1], dtype=np.float64),
                        order.shape), axis=1)
    pos[removed_rows] = np.inf
    return pos


def _rank_rows(given: np.ndarray, groups: _Groups, q_codes: np.ndarray,
               exclusion: str, dedup_cmc: bool,
               q_camids: Optional[np.ndarray],
               g_camids: Optional[np.ndarray],
               method: str) -> Dict[str, np.ndarray]:
    """Per-query statistics of a block of query rows (every computation in
    :func:`_query_stats` is row-wise, so blocks give the same numbers as the
    whole matrix)."""
    num_g = given.shape[1]
    values = given if given.dtype == np.float64 else given.astype(np.float64)
    if method == 'argsort':
        if not np.isfinite(values).all():
            raise ValueError('distmat contains NaN or infinite values')
        removed = _removed_mask(num_g, exclusion, q_codes, q_camids, g_camids,
                                groups)
        return _query_stats(_argsort_positions(given, removed), groups,
                            q_codes, dedup_cmc, 'none', None, None)
    stats = _query_stats(values, groups, q_codes, dedup_cmc, exclusion,
                         q_camids, g_camids, check_finite=True)
    tie_rows = np.flatnonzero(stats['tie'])
    if tie_rows.size:
        sub_q_cams = None if q_camids is None else q_camids[tie_rows]
        removed = _removed_mask(num_g, exclusion, q_codes[tie_rows],
                                sub_q_cams, g_camids, groups)
        exact = _query_stats(
            _argsort_positions(given[tie_rows], removed), groups,
            q_codes[tie_rows], dedup_cmc, 'none', None, None)
        for key, val in exact.items():
            stats[key][tie_rows] = val
    return stats


def evaluate_ranking(distmat: ArrayLike,
                     q_pids: ArrayLike,
                     g_pids: ArrayLike,
                     q_camids: Optional[ArrayLike] = None,
                     g_camids: Optional[ArrayLike] = None,
                     protocol: Optional[str] = None,
                     exclusion: Optional[str] = None,
                     dedup_cmc: Optional[bool] = None,
                     max_rank: int = 20,
                     method: str = 'auto',
                     return_per_query: bool = False,
                     chunk_rows: Optional[int] = None) -> dict:
    """CMC, mAP and mINP of one query/gallery set.

    Args:
        distmat (array): ``(num_query, num_gallery)`` distances, smaller is
            closer; must be finite.
        q_pids (array): Query identities.
        g_pids (array): Gallery identities.
        q_camids (array, optional): Query REAL camera numbers; needed by the
            ``'sysu'`` and ``'pid_cam'`` rules.
        g_camids (array, optional): Gallery REAL camera numbers.
        protocol (str, optional): ``'sysu'`` | ``'llcm'`` | ``'regdb'``:
            presets of ``exclusion`` and ``dedup_cmc`` (see
            :data:`PROTOCOL_RULES`). Defaults to ``'sysu'`` when neither
            ``exclusion`` nor ``dedup_cmc`` is given.
        exclusion (str, optional): ``'sysu'`` | ``'pid_cam'`` | ``'none'``;
            overrides the preset.
        dedup_cmc (bool, optional): Identity-de-duplicated CMC; overrides the
            preset.
        max_rank (int): Length of the returned CMC. Defaults to 20.
        method (str): ``'auto'`` (sort by value, exact argsort positions for
            rows with ties) or ``'argsort'`` (argsort positions for all rows;
            slower, same results).
        return_per_query (bool): Also return per-query arrays under
            ``'per_query'`` (``valid``, ``first_rank``, ``ap``, ``inp``).
        chunk_rows (int, optional): Query rows ranked at a time; the
            working memory is about 15 bytes x ``chunk_rows`` x
            ``num_gallery``. Defaults to ``CHUNK_ENTRIES // num_gallery``.
            The results do not depend on it. ``distmat`` may also be a
            :class:`~vireid.evaluation.functional.DistanceRows`, which
            computes each chunk's distances when it is ranked, so the whole
            matrix never exists.

    Returns:
        dict: ``cmc`` (float64 array of length ``max_rank``, fractions),
        ``mAP`` and ``mINP`` (floats, fractions), ``num_valid_queries``,
        ``num_queries`` and ``num_gallery`` (ints).

    Raises:
        ValueError: On malformed input, or when no query has a true match in
            the gallery (AGW asserts the same).
    """
    if protocol is None and exclusion is None and dedup_cmc is None:
        protocol = 'sysu'
    if protocol is not None:
        if protocol not in PROTOCOL_RULES:
            raise ValueError(f'protocol must be one of '
                             f'{sorted(PROTOCOL_RULES)}, got {protocol!r}')
        preset_rule, preset_dedup = PROTOCOL_RULES[protocol]
        exclusion = preset_rule if exclusion is None else exclusion
        dedup_cmc = preset_dedup if dedup_cmc is None else dedup_cmc
    exclusion = 'none' if exclusion is None else exclusion
    dedup_cmc = bool(dedup_cmc)
    if exclusion not in EXCLUSION_RULES:
        raise ValueError(f'exclusion must be one of {EXCLUSION_RULES}, got '
                         f'{exclusion!r}')
    if method not in ('auto', 'argsort'):
        raise ValueError(f"method must be 'auto' or 'argsort', got "
                         f'{method!r}')
    if int(max_rank) < 1:
        raise ValueError(f'max_rank must be >= 1, got {max_rank}')
    max_rank = int(max_rank)

    lazy = isinstance(distmat, DistanceRows)
    if not lazy:
        distmat = np.asarray(distmat)
    if len(distmat.shape) != 2:
        raise ValueError(f'distmat must be 2-D (num_query, num_gallery), got '
                         f'shape {distmat.shape}')
    num_q, num_g = distmat.shape
    if num_q == 0:
        raise ValueError('distmat has no query rows')
    if num_g == 0:
        raise ValueError('distmat has no gallery columns (empty gallery)')
    if not np.issubdtype(distmat.dtype, np.number) or \
            np.issubdtype(distmat.dtype, np.complexfloating):
        raise ValueError(f'distmat must be real-valued, got {distmat.dtype}')
    # ties are broken by np.argsort on the matrix as given (its dtype picks
    # the sort kernel); the value computations run in float64, one chunk of
    # query rows at a time
    given = distmat
    q_pids = _as_1d('q_pids', q_pids, num_q)
    g_pids = _as_1d('g_pids', g_pids, num_g)
    if exclusion != 'none':
        if q_camids is None or g_camids is None:
            raise ValueError(f'exclusion {exclusion!r} needs q_camids and '
                             f'g_camids (real camera numbers)')
        q_camids = _as_1d('q_camids', q_camids, num_q)
        g_camids = _as_1d('g_camids', g_camids, num_g)

    else:
        q_camids = g_camids = None  # no rule reads them
    if chunk_rows is None:
        chunk_rows = max(1, CHUNK_ENTRIES // num_g)
    elif int(chunk_rows) != chunk_rows or chunk_rows < 1:
        raise ValueError(f'chunk_rows must be a positive integer, got '
                         f'{chunk_rows!r}')
    chunk_rows = int(chunk_rows)

    groups = _Groups(q_pids, g_pids)
    parts = []
    for start in range(0, num_q, chunk_rows):
        rows = slice(start, min(num_q, start + chunk_rows))
        block = np.asarray(given[rows]) if lazy else given[rows]
        parts.append(_rank_rows(
            block, groups, groups.q_codes[rows], exclusion, dedup_cmc,
            None if q_camids is None else q_camids[rows], g_camids, method))
    stats = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    valid = stats['valid']
    num_valid = int(valid.sum())
    if num_valid == 0:
        raise ValueError(
            f'no query has a true match in the gallery after the '
            f'{exclusion!r} exclusion rule ({num_q} queries, {num_g} gallery '
            f'items)')
    first = stats['first_dedup'] if dedup_cmc else stats['first']
    ks = np.arange(1, max_rank + 1, dtype=np.float64)
    cmc = (first[valid][:, None] <= ks[None, :]).mean(axis=0)
    out = dict(
        cmc=cmc,
        mAP=float(stats['ap'][valid].mean()),
        mINP=float(stats['inp'][valid].mean()),
        num_valid_queries=num_valid,
        num_queries=num_q,
        num_gallery=num_g)
    if return_per_query:
        out['per_query'] = dict(
            valid=valid,
            first_rank=np.where(valid, first, np.nan),
            ap=np.where(valid, stats['ap'], np.nan),
            inp=np.where(valid, stats['inp'], np.nan))
    return out

