"""Docstrings that teach: every public name of webgrad has one, and every example in them runs
(as Keras documents its API). The examples run here as doctests against the real device, with
``wg`` (``import webgrad as wg``) already imported, as a reader would have it."""
import doctest
import importlib
import inspect
import pkgutil

import pytest

import webgrad as wg

# Modules that only import where their runtime is: the browser's js, NumPy-free Pyodide.
ONLY_IN_THE_BROWSER = {"webgrad.devices.browser"}


def _modules():
    names = ["webgrad"] + [m.name for m in pkgutil.walk_packages(wg.__path__, "webgrad.")]
    return [importlib.import_module(n) for n in sorted(names) if n not in ONLY_IN_THE_BROWSER]


def _examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    seen = set()
    for module in _modules():
        for test in finder.find(module, module.__name__, globs={"wg": wg, **vars(module)}):
            if test.examples and test.name not in seen:
                seen.add(test.name)
                yield test


EXAMPLES = sorted(_examples(), key=lambda t: t.name)


@pytest.mark.parametrize("test", EXAMPLES, ids=[t.name for t in EXAMPLES])
def test_docstring_examples_run(test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)


PUBLIC_MODULES = ("activations", "callbacks", "datasets", "initializers", "layers", "losses", "metrics", "models",
                  "optimizers", "regularizers", "saving")


def _doc(cls, attr, member) -> str:
    """A method's own docstring, or its base class's (an override of ``call`` is documented where
    ``Layer.call`` says what every ``call`` does, as in Keras)."""
    doc = member.fget.__doc__ if isinstance(member, property) else getattr(member, "__doc__", None)
    if doc:
        return doc
    for base in cls.__mro__[1:]:
        inherited = vars(base).get(attr)
        if inherited is not None and _doc(base, attr, inherited):
            return _doc(base, attr, inherited)
    return ""


def public_names():
    """(dotted name, docstring) for every public function, class and public method of webgrad
    and its Keras-style modules, each once."""
    seen = set()
    for module in [wg] + [getattr(wg, m) for m in PUBLIC_MODULES]:
        for name in getattr(module, "__all__", None) or dir(module):
            obj = getattr(module, name)
            if name.startswith("_") or inspect.ismodule(obj) or not callable(obj) or id(obj) in seen:
                continue
            if not getattr(obj, "__module__", "").startswith("webgrad"):
                continue
            seen.add(id(obj))
            yield f"{module.__name__}.{name}", obj.__doc__ or ""
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not (callable(member) or isinstance(member, property)) \
                            or id(member) in seen:
                        continue
                    seen.add(id(member))
                    yield f"{module.__name__}.{name}.{attr}", _doc(obj, attr, member)


def test_every_public_name_has_a_docstring():
    names = list(public_names())
    assert len(names) > 400, len(names)          # the walk reaches methods, layers, callbacks, ...
    missing = [name for name, doc in names if not doc]
    assert not missing, f"{len(missing)} public names without a docstring:\n" + "\n".join(missing)


def test_every_public_name_has_an_example():
    # The examples themselves run in test_docstring_examples_run.
    missing = [name for name, doc in public_names() if ">>>" not in doc]
    assert not missing, f"{len(missing)} public names without an example:\n" + "\n".join(missing)
