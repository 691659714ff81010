"""The command line: ``gradwork lab list`` and ``gradwork lab run NAME --quick --out DIR``."""

import json
import subprocess
import sys

import pytest

from gradwork.__main__ import main


def gradwork_command(*arguments, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "gradwork", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_lab_list_names_mnist1d():
    result = gradwork_command("lab", "list")
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert "mnist1d" in names and names == sorted(names)
    assert "MNIST-1D" in result.stdout


def test_lab_run_quick_prints_the_table_and_writes_the_report(tmp_path):
    out = tmp_path / "report"
    result = gradwork_command("lab", "run", "mnist1d", "--quick", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "| model | parameters | test accuracy (ours) | published |" in result.stdout
    for label in ("Logistic regression", "MLP", "CNN", "GRU"):
        assert f"| {label} |" in result.stdout
    assert "%|" in result.stderr  # the tqdm progress bars
    assert sorted(path.name for path in out.iterdir()) == [
        "curves.png",
        "metrics.json",
        "report.md",
    ]
    assert json.loads((out / "metrics.json").read_text())["config"]["quick"] is True


def test_lab_run_passes_config_flags(tmp_path, capsys):
    main(
        [
            "lab",
            "run",
            "mnist1d",
            "--models",
            "logistic",
            "mlp",
            "--total-steps",
            "12",
            "--eval-every",
            "6",
            "--no-progress",
            "--out",
            str(tmp_path),
        ]
    )
    printed = capsys.readouterr().out
    assert "| MLP |" in printed and "CNN" not in printed and "12 steps per model" in printed
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["config"]["models"] == ["logistic", "mlp"]
    assert metrics["models"]["mlp"]["eval_steps"] == [0, 6, 12]


def test_lab_run_rejects_unknown_labs_and_bad_values(capsys):
    with pytest.raises(SystemExit, match="unknown lab 'nope'"):
        main(["lab", "run", "nope"])
    with pytest.raises(SystemExit) as error:
        main(["lab", "run", "mnist1d", "--models", "resnet"])
    assert error.value.code == 2
    assert "subset" in capsys.readouterr().err


def test_demo_command_still_exists():
    with pytest.raises(SystemExit) as error:
        main(["--help"])
    assert error.value.code == 0
