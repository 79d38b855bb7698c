"""Where `app.settings` reads the settings from, for a command that must know whether any
setting is given before paying for reading them: importing pydantic-settings (asyncio and
argparse come with it) is about 30 ms, an eighth of `icp-sync score -i` on a small file."""

from __future__ import annotations

import os
from pathlib import Path

ENV_PREFIX = "ICP_SYNC_"
ENV_FILE = ".env"
"""Read from the working directory."""


def anything_configured() -> bool:
    """Whether the settings could differ from their defaults: an `ICP_SYNC_*` variable is set
    (in any case, as the settings match names) or there is a `.env` file to read. When not,
    every setting has its default, which are all valid."""
    return Path(ENV_FILE).exists() or any(
        name.upper().startswith(ENV_PREFIX) for name in os.environ
    )
