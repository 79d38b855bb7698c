"""The app one `icp-sync serve` process runs. With `--workers N` uvicorn spawns N fresh
interpreters, each building its app from an import string (`app_from_environment`); the
command's options reach them in the environment variable `OPTIONS_VARIABLE`, which the spawned
processes inherit."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from fastapi import FastAPI

from app.api.app import create_app
from app.api.deps import Resources
from app.election import Background, Elected, group_lock_name
from app.rubric import Rubric
from app.settings import Settings

OPTIONS_VARIABLE = "_ICP_SYNC_SERVE_PROCESS"
FACTORY = "app.api.process:app_from_environment"


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    workers: int
    run_worker: bool
    run_schedules: bool
    rubric_file: str
    """The rubric's path, resolved by the command (its option, else the setting or default)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        return cls(**json.loads(text))


def build_app(options: ServeOptions, settings: Settings, rubric: Rubric) -> FastAPI:
    """The service with its background work: in this process with one worker; with several,
    in whichever process wins the election (app.election)."""
    from app.gc_policy import apply_gc_policy
    from app.runtime import Runtime

    def runtime(resources: Resources) -> Background:
        def make() -> Runtime:
            return Runtime(
                settings,
                rubric,
                resources.engine,
                resources.session_factory,
                run_worker=options.run_worker,
                run_schedules=options.run_schedules,
            )

        if options.workers == 1 or not (options.run_worker or options.run_schedules):
            return make()
        return Elected(resources.engine, group_lock_name(options.host, options.port), make)

    app = create_app(settings, runtime=runtime)
    apply_gc_policy()  # in each process that serves, once its app is built
    return app


def app_from_environment() -> FastAPI:
    """uvicorn's factory in each worker process."""
    from app.log_setup import configure_logging
    from app.rubric import load_rubric
    from app.settings import get_settings

    options = ServeOptions.from_json(os.environ[OPTIONS_VARIABLE])
    settings = get_settings()
    configure_logging(settings.log_format)
    return build_app(options, settings, load_rubric(Path(options.rubric_file)))
