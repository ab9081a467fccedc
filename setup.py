# Copyright (c) vireid contributors. All rights reserved.
import os.path as osp

from setuptools import find_packages, setup


def readme() -> str:
    with open(osp.join(osp.dirname(__file__), 'README.md'),
              encoding='utf-8') as f:
        return f.read()


def get_version() -> str:
    ns: dict = {}
    with open(osp.join('plugins', 'vireid', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), ns)
    return ns['__version__']


def parse_requirements(fname: str) -> list:
    """Read one requirement per line, skipping comments and blank lines."""
    reqs = []
    with open(osp.join('requirements', fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


setup(
    name='vireid',
    version=get_version(),
    description='Visible-Infrared person re-identification toolbox on '
    'mmengine',
    long_description=readme(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    package_dir={'': 'plugins'},
    packages=find_packages('plugins'),
    include_package_data=True,
    python_requires='>=3.10',
    install_requires=parse_requirements('runtime.txt'),
    extras_require={
        'tests': parse_requirements('tests.txt'),
        'onnx': parse_requirements('onnx.txt'),
        'all': sorted(set(parse_requirements('tests.txt') +
                          parse_requirements('onnx.txt'))),
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    zip_safe=False,
)
