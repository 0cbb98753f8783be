"""The Colab notebooks: valid JSON, Python cells that compile, and the library cell runs."""

import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "colab").glob("*.ipynb"))


def _python_cells(path: pathlib.Path) -> list[str]:
    notebook = json.loads(path.read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    # Shell (!) and magic (%) lines only run under IPython.
    return ["\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("!", "%"))) for source in sources]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_cells_compile(path):
    cells = _python_cells(path)
    assert cells
    for index, source in enumerate(cells):
        compile(source, f"{path.name}[cell {index}]", "exec")


def test_quickstart_library_cell_runs(capsys):
    cells = _python_cells(pathlib.Path(NOTEBOOKS[0]).with_name("quickstart.ipynb"))
    exec(cells[-1], {})
    output = capsys.readouterr().out
    assert "parity of 3 of 12 bits: 3.0" in output
