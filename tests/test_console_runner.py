"""The console page's runner (webgrad.console), run here as the page's worker runs it."""
import asyncio

from webgrad.console import Console


def run(console, code):
    return asyncio.run(console.run(code))


def test_state_lasts_between_runs_and_the_last_expression_is_shown(capsys):
    console = Console()
    assert run(console, "import webgrad as wg\nt = wg.arange(6).reshape(2, 3)")
    assert run(console, "(t * 2).tolist()")
    assert run(console, "x = 1")                     # an assignment shows nothing
    assert run(console, "None")
    assert capsys.readouterr().out == "[[0, 2, 4], [6, 8, 10]]\n"


def test_top_level_await(capsys):
    console = Console()
    assert run(console, "import asyncio\nawait asyncio.sleep(0)\nvalue = await asyncio.sleep(0, 'slept')\nvalue")
    assert capsys.readouterr().out == "'slept'\n"


def test_a_traceback_starts_at_the_users_code_and_shows_its_lines(capsys):
    console = Console()
    assert not run(console, "def f(x):\n    return x / 0\n\nf(1)")
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n  File \"console.py\", line 4, in <module>\n    f(1)\n")
    assert 'File "console.py", line 2, in f\n    return x / 0' in err and err.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "webgrad" not in err                        # the runner's own frames are left out


def test_a_syntax_error_points_at_the_line(capsys):
    console = Console()
    assert run(console, "x = 1")
    assert not run(console, "x = 2\ny = (")
    err = capsys.readouterr().err
    assert 'File "console.py", line 2' in err and "SyntaxError" in err and "core/console.py" not in err
    assert run(console, "x") and capsys.readouterr().out == "1\n"     # nothing of the broken run ran


def test_errors_of_webgrad_name_the_op(capsys):
    console = Console()
    assert not run(console, "import webgrad as wg\nwg.ones(2, 3) @ wg.ones(2, 3)")
    err = capsys.readouterr().err
    assert 'File "console.py", line 2' in err and "ShapeError: matmul" in err
