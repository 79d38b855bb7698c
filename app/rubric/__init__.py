"""The rubric: the ICP as config (YAML validated by pydantic)."""

from app.rubric.loader import DEFAULT_RUBRIC_PATH, load_rubric, parse_rubric
from app.rubric.model import Rubric

__all__ = ["DEFAULT_RUBRIC_PATH", "Rubric", "load_rubric", "parse_rubric"]
