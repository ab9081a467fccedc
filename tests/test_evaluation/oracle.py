# Copyright (c) vireid contributors. All rights reserved.
"""A slow per-query reference written from the protocol text.

``docs/protocols.md`` §1.4 (SYSU), §2.3 (RegDB), §3.3 (LLCM) and §4: for every
query, rank the gallery with ``np.argsort`` (default kind), drop the items
the data set's exclusion rule removes, skip the query if no true match is
left, then compute CMC (on distinct identities for SYSU/LLCM, on images for
RegDB), AP = mean_j(j / r_j) and INP = n / r_n. Kept deliberately naive.
"""
import numpy as np


def oracle_evaluate(distmat, q_pids, g_pids, q_camids, g_camids, protocol,
                    max_rank=20):
    """Return (cmc list of length max_rank, mAP, mINP, num_valid)."""
    cmc_sum = [0.0] * max_rank
    ap_list = []
    inp_list = []
    for i in range(len(q_pids)):
        order = np.argsort(distmat[i])
        kept = []
        for g in order:
            if protocol == 'sysu':
                # a cam3 query skips every cam2 gallery image
                if q_camids[i] == 3 and g_camids[g] == 2:
                    continue
            elif protocol == 'llcm':
                # same pid AND same camera number is removed
                if g_pids[g] == q_pids[i] and g_camids[g] == q_camids[i]:
                    continue
            kept.append(g)
        match_ranks = [r + 1 for r, g in enumerate(kept)
                       if g_pids[g] == q_pids[i]]
        if not match_ranks:
            continue  # no true match left: the query is skipped
        if protocol in ('sysu', 'llcm'):
            distinct = []
            for g in kept:
                if g_pids[g] not in distinct:
                    distinct.append(g_pids[g])
            first = distinct.index(q_pids[i]) + 1
        else:
            first = match_ranks[0]
        for k in range(1, max_rank + 1):
            if first <= k:
                cmc_sum[k - 1] += 1
        n = len(match_ranks)
        ap_list.append(sum((j + 1) / r for j, r in enumerate(match_ranks)) / n)
        inp_list.append(n / match_ranks[-1])
    num_valid = len(ap_list)
    cmc = [c / num_valid for c in cmc_sum]
    return cmc, sum(ap_list) / num_valid, sum(inp_list) / num_valid, num_valid
