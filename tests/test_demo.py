"""The quickstart demo trains: its loss falls and the spirals are learned."""

import subprocess
import sys

from gradwork import demo


def test_demo_loss_falls():
    history = demo.train(steps=300, log_every=0)
    assert history[-1] < 0.5 * history[0]


def test_demo_command_prints_falling_loss():
    result = subprocess.run(
        [sys.executable, "-m", "gradwork", "demo"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "loss fell from" in result.stdout
