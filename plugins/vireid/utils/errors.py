# Copyright (c) vireid contributors. All rights reserved.
"""User-facing error types.

Everything vireid raises because of *what the user gave it* (a config, a
command-line option, a checkpoint, a data folder) is a
:class:`VIReIDUserError`. The command-line tools print such an error as one
line, ``error: <message>``, and exit with status 2 (see
:mod:`vireid.utils.cli`); library users catch it like the built-in type it
also derives from.
"""

__all__ = [
    'VIReIDUserError', 'ConfigError', 'CheckpointError',
    'CheckpointMismatchError', 'TrainingDivergedError'
]


class VIReIDUserError(Exception):
    """Base class of the errors caused by bad user input."""


class ConfigError(VIReIDUserError, ValueError):
    """A config key, value or command-line override is wrong."""


class CheckpointError(VIReIDUserError, RuntimeError):
    """A checkpoint cannot be used (missing, truncated, refused)."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint's weights do not fit the model of the config."""


class TrainingDivergedError(VIReIDUserError, FloatingPointError):
    """The training loss became NaN or infinite."""
