"""The README's tour of bpkit is code a reader will paste: it must run as written."""
import re
from pathlib import Path

import matplotlib

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_python_examples_in_the_readme_run():
    matplotlib.use("Agg")
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "the README should show bpkit in use"
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["history"].loss[-1] < 0.01          # the XOR example really trains
    assert namespace["dW"].shape == (4, 3) and namespace["db"].shape == (4, 1)
    import matplotlib.pyplot as plt
    plt.close("all")


def test_the_error_shown_in_the_readme_is_the_real_one():
    import numpy as np
    import bpkit as bp
    shown = re.search(r"ValueError: (C\(a\^L, Y\).*?)\n```", README, flags=re.S).group(1)
    X, _ = bp.datasets.xor()
    try:
        bp.Network([2, 3, 1], seed=0).loss(X, np.array([0.0, 1.0, 1.0, 0.0]))
    except ValueError as e:
        assert " ".join(str(e).split()) == " ".join(shown.split())
    else:
        raise AssertionError("a 1-D Y should be refused")
