"""Where the project's data lives: the folders beside the ``skill`` package.

The skill reads its templates and interaction models from the checkout (or the Lambda zip's
root, which has the same layout), so every module finds them through here.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
MODEL_DIR = ROOT / "interaction_model"
