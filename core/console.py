"""The console page's runner: console input runs like a script named ``console.py`` in one
namespace kept between runs, with top-level ``await``, and the value of a last bare expression
printed as the REPL prints it. A traceback starts at the user's code and shows its lines (the
frames of the runner are left out). The page's worker (web/js/worker.js) calls ``Console.run``;
it is plain Python, so it runs and is tested on the desktop too.

    >>> import asyncio
    >>> console = Console()
    >>> asyncio.run(console.run("x = 6 * 7\\nx"))
    42
    True
    >>> asyncio.run(console.run("x + undefined"))
    False
"""
from __future__ import annotations

import ast
import inspect
import linecache
import sys
import traceback

FILENAME = "console.py"
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


class Console:
    """A namespace and the runs typed into it, one after another."""

    def __init__(self):
        self.namespace: dict = {"__name__": "__main__"}
        self.runs = 0

    async def run(self, code: str) -> bool:
        """Run ``code``; True when it raised nothing. Output and tracebacks go to stdout and stderr."""
        self.runs += 1
        linecache.cache[FILENAME] = (len(code), None, code.splitlines(keepends=True), FILENAME)
        try:
            tree = ast.parse(code, FILENAME, "exec")
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            await _maybe_await(eval(compile(tree, FILENAME, "exec", flags=_FLAGS), self.namespace))
            if last is not None:
                expression = ast.Expression(last.value)
                value = await _maybe_await(eval(compile(expression, FILENAME, "eval", flags=_FLAGS), self.namespace))
                if value is not None:
                    print(repr(value))
            return True
        except BaseException as e:        # the user's error, shown as Python shows it; the console lives on
            tb = e.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename != FILENAME:
                tb = tb.tb_next
            if tb is None and not isinstance(e, SyntaxError):   # not raised in the user's code: show all
                tb = e.__traceback__
            traceback.print_exception(type(e), e, tb)
            return False
        finally:
            sys.stdout.flush()
            sys.stderr.flush()


async def _maybe_await(value):
    return await value if inspect.iscoroutine(value) else value
