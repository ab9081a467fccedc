# Copyright (c) vireid contributors. All rights reserved.
"""The README's Python API example runs as written (in a tree laid out like
a checkout after `make demo`), and training never imports the generator."""
import glob
import os
import os.path as osp
import re

import torch

from .helpers import ROOT


def readme_example() -> str:
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    section = text.split('## Python API', 1)[1]
    return re.search(r'```python\n(.*?)```', section, re.S).group(1)


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    from vireid.apis import init_model
    from vireid.synthetic import make_synthetic_sysu
    code = readme_example()
    assert 'init_model' in code and 'extract_features' in code
    for name in ('projects', 'configs'):
        os.symlink(osp.join(ROOT, name), tmp_path / name)
    make_synthetic_sysu(str(tmp_path / 'data/synthetic/SYSU-MM01'),
                        num_train_ids=3, num_test_ids=1, img_size=(64, 32),
                        images_per_cam=(2, 2), seed=0)
    ckpt = re.search(r"'(work_dirs/[^']+\.pth)'", code).group(1)
    os.makedirs(tmp_path / osp.dirname(ckpt))
    config = re.search(r"init_model\('([^']+)'", code).group(1)
    model = init_model(osp.join(ROOT, config))
    torch.save(dict(state_dict=model.state_dict()), tmp_path / ckpt)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, 'README.md', 'exec'), {'__name__': 'readme'})
    out = capsys.readouterr().out
    n_cam1 = len(glob.glob(
        str(tmp_path / 'data/synthetic/SYSU-MM01/cam1/*/*')))
    assert n_cam1 >= 3
    assert 'cam3/' in out and out.count('cam1/') == 3


def test_training_imports_no_generator():
    """No module outside vireid/synthetic imports it at module level (the
    old names in vireid.datasets resolve lazily, inside __getattr__)."""
    import ast
    pkg = osp.join(ROOT, 'plugins', 'vireid')
    offenders = []
    for path in glob.glob(osp.join(pkg, '**', '*.py'), recursive=True):
        if osp.join(pkg, 'synthetic') in path:
            continue
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read())
        for node in tree.body:  # module level only
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [('.' * node.level) + (node.module or '')]
            if any('synthetic' in n for n in names):
                offenders.append(osp.relpath(path, ROOT))
    assert not offenders
