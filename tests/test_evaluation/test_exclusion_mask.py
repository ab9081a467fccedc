# Copyright (c) vireid contributors. All rights reserved.
import numpy as np
import pytest

from vireid.evaluation.functional import exclusion_mask


def test_exclusion_mask_rules():
    q_pids, q_cams = [1, 1, 2], [3, 6, 3]
    g_pids, g_cams = [1, 2, 1, 3], [2, 2, 6, 1]
    sysu = exclusion_mask('sysu', q_pids, g_pids, q_cams, g_cams)
    # cam3 queries skip every cam2 image whatever its pid; cam6 skip nothing
    assert sysu.tolist() == [[True, True, False, False],
                             [False, False, False, False],
                             [True, True, False, False]]
    llcm = exclusion_mask('llcm', q_pids, g_pids, q_cams, g_cams)
    # same pid AND same camera only
    assert llcm.tolist() == [[False, False, False, False],
                             [False, False, True, False],
                             [False, False, False, False]]
    regdb = exclusion_mask('regdb', q_pids, g_pids, q_cams, g_cams)
    assert not regdb.any() and regdb.shape == (3, 4)
    with pytest.raises(ValueError, match='protocol'):
        exclusion_mask('market', q_pids, g_pids, q_cams, g_cams)
    assert isinstance(sysu, np.ndarray) and sysu.dtype == bool
