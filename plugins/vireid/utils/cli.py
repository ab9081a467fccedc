# Copyright (c) vireid contributors. All rights reserved.
"""One-line errors for the command-line tools.

Every tool ends with::

    if __name__ == '__main__':
        run_cli(main)

:func:`run_cli` calls ``main(argv)``; when it raises, the tool prints one
line, ``error: <message>``, to stderr and exits with status 2 -- no
traceback, no Python internals. ``--debug`` anywhere on the command line
(or ``VIREID_DEBUG=1``) re-raises instead, so the full traceback shows.

Errors vireid raises on purpose (:class:`~vireid.utils.errors.
VIReIDUserError`, the data set readers' ``FileNotFoundError`` /
``ValueError``) and the common OS errors (missing file, permission denied,
a path that is a file or a folder) print their message as it is. Any other
exception prints its type too, plus a hint to rerun with ``--debug``.
"""
import os
import sys
from typing import Any, Callable, List, Optional, Sequence

__all__ = ['run_cli', 'format_error', 'DEBUG_FLAG', 'EXIT_USER_ERROR']

#: The flag that shows tracebacks.
DEBUG_FLAG = '--debug'
#: Exit status of a tool stopped by bad input (argparse uses 2 as well).
EXIT_USER_ERROR = 2

_MAX_LEN = 3000


def _plain_message(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and len(exc.args) == 1 and isinstance(
            exc.args[0], str):
        msg = exc.args[0]  # str(KeyError) quotes the message
    elif isinstance(exc, OSError) and exc.filename is not None and \
            exc.strerror:
        msg = f'{exc.filename}: {exc.strerror}'
        if exc.filename2 is not None:
            msg += f' ({exc.filename2})'
    else:
        msg = str(exc)
    msg = ' '.join(part.strip() for part in msg.strip().splitlines()
                   if part.strip())
    if len(msg) > _MAX_LEN:
        msg = msg[:_MAX_LEN] + ' ...'
    return msg or type(exc).__name__


def _is_expected(exc: BaseException) -> bool:
    """Whether ``exc`` is a deliberate user-facing error."""
    from .errors import VIReIDUserError
    if isinstance(exc, (VIReIDUserError, OSError)):
        return True
    # vireid's readers and checks raise ValueError / KeyError / TypeError
    # with a full message; recognise them by where they were raised.
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        tb = exc.__traceback__
        last = None
        while tb is not None:
            last = tb
            tb = tb.tb_next
        if last is not None:
            path = last.tb_frame.f_code.co_filename.replace('\\', '/')
            return '/vireid/' in path or '/tools/' in path
    return False


def format_error(exc: BaseException) -> str:
    """The one-line message printed for ``exc``.

    Args:
        exc (BaseException): The exception.

    Returns:
        str: ``<message>`` for expected errors, ``<Type>: <message> (rerun
        with --debug for the traceback)`` otherwise.
    """
    msg = _plain_message(exc)
    if _is_expected(exc):
        return msg
    return (f'{type(exc).__name__}: {msg} (rerun with {DEBUG_FLAG} for the '
            f'traceback)')


def run_cli(main: Callable[[List[str]], Any],
            argv: Optional[Sequence[str]] = None) -> Any:
    """Run a tool's ``main(argv)`` with one-line errors.

    Args:
        main (Callable): The tool's entry point, called with the argument
            list (without ``--debug``).
        argv (Sequence[str], optional): Defaults to ``sys.argv[1:]``.

    Returns:
        Any: What ``main`` returned.

    Raises:
        SystemExit: Status 2 after printing ``error: <message>`` (or the
            status argparse or ``main`` chose).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in args or os.environ.get('VIREID_DEBUG') == '1'
    args = [a for a in args if a != DEBUG_FLAG]
    try:
        from .config_check import check_cli_args
        check_cli_args(args)
        return main(args)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        if debug:
            raise
        print('error: interrupted', file=sys.stderr)
        raise SystemExit(130)
    except Exception as exc:  # noqa: BLE001 (the point of this function)
        if debug:
            raise
        sys.stdout.flush()
        print(f'error: {format_error(exc)}', file=sys.stderr)
        sys.stderr.flush()
        raise SystemExit(EXIT_USER_ERROR)
