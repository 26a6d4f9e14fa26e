"""Engine settings (one table, one-line errors), Ray start arguments, and no Ray at app start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from recexplore.engine.cluster import PACKAGE_DIR, init_arguments
from recexplore.engine.settings import SETTINGS, EngineSettings, SettingsError, settings_table
from recexplore.models.towers import TowerConfig
from recexplore.training.request import TrainRequest

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_let_two_jobs_run_at_once_on_two_cores() -> None:
    settings = EngineSettings.from_env({})
    assert settings.address is None and settings.job_cpus == 1.0 and 2 / settings.job_cpus >= 2
    assert settings.max_active_jobs >= 3  # Compare submits three presets at once


def test_settings_are_read_from_the_environment() -> None:
    env = {"RECEXPLORE_JOB_CPUS": "0.5", "RECEXPLORE_MAX_ACTIVE_JOBS": "5", "RAY_ADDRESS": "10.0.0.1:6379"}
    settings = EngineSettings.from_env(env)
    assert (settings.job_cpus, settings.max_active_jobs, settings.address) == (0.5, 5, "10.0.0.1:6379")
    ours = EngineSettings.from_env({**env, "RECEXPLORE_RAY_ADDRESS": "head:6379"})
    assert ours.address == "head:6379"  # ours wins over Ray's own variable


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RECEXPLORE_JOB_CPUS", "lots", "RECEXPLORE_JOB_CPUS must be a number, got 'lots'"),
        ("RECEXPLORE_JOB_CPUS", "0", "RECEXPLORE_JOB_CPUS (job_cpus) must be from 0.1 to 256, got 0"),
        ("RECEXPLORE_MAX_ACTIVE_JOBS", "2.5", "RECEXPLORE_MAX_ACTIVE_JOBS must be a whole number, got '2.5'"),
        ("RECEXPLORE_JOB_GPUS", "nan", "RECEXPLORE_JOB_GPUS (job_gpus) must be a finite number"),
        ("RECEXPLORE_WORKER_NICE", "20", "from 0 to 19"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as err:
        EngineSettings.from_env({variable: value})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_local_ray_has_no_dashboard_and_a_cluster_gets_the_package() -> None:
    local = init_arguments(EngineSettings(local_cpus=2))
    assert local["include_dashboard"] is False and local["num_cpus"] == 2 and "address" not in local
    assert "num_cpus" not in init_arguments(EngineSettings())  # sized by Ray to the machine (cgroups included)
    cluster = init_arguments(EngineSettings(address="head:6379"))
    assert cluster["address"] == "head:6379"
    assert cluster["runtime_env"]["py_modules"] == [str(PACKAGE_DIR)]


def test_the_readme_lists_every_setting_with_its_default() -> None:
    readme = (ROOT / "docs" / "class-server.md").read_text(encoding="utf-8")
    for row in settings_table():
        assert f"| `{row['variable']}` | {row['default']} |" in readme, row["variable"]
    assert len(settings_table()) == len(SETTINGS) + 1


def test_the_app_and_its_pages_start_without_importing_ray() -> None:
    code = (
        "import sys, recexplore.app.start_up, recexplore.app.training_jobs, recexplore.app.architecture_panel, "
        "recexplore.engine.jobs, recexplore.engine.cluster, recexplore.app.train_forms; "
        "print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_a_request_is_typed_and_checked() -> None:
    request = TrainRequest("towers", TowerConfig(epochs=3), "u1", 7, label="x", preset="1-layer")
    assert request.epochs == 3 and request.describe()["split"] == "u1"
    with pytest.raises(ValueError, match="config must be a DLRMConfig"):
        TrainRequest("dlrm", TowerConfig())
    with pytest.raises(ValueError, match="model family must be one of"):
        TrainRequest("svd", TowerConfig())
    with pytest.raises(ValueError, match="seed must be a whole number"):
        TrainRequest("towers", TowerConfig(), seed=-1)


def test_a_local_engine_listens_on_the_loopback_address_only(ray_engine: None) -> None:
    """Every socket the local Ray opened (GCS, raylet, object manager, agents, the workers, this
    driver's core worker) listens on 127.0.0.1: a laptop on a class network offers no Ray port."""
    import ipaddress
    import os

    import psutil
    import ray

    @ray.remote(num_cpus=0)
    def worker_pid() -> int:
        return os.getpid()

    assert ray.get(worker_pid.remote()) != os.getpid()  # a worker process is up
    ours = {p.pid for p in [psutil.Process(), *psutil.Process().children(recursive=True)]}
    listening = [
        (psutil.Process(c.pid).name(), c.laddr.ip, c.laddr.port)
        for c in psutil.net_connections("inet")
        if c.status == psutil.CONN_LISTEN and c.pid in ours
    ]
    names = {name for name, _, _ in listening}
    assert {"gcs_server", "raylet"} <= names, listening  # the check saw Ray's own servers

    def loopback(ip: str) -> bool:
        address = ipaddress.ip_address(ip.split("%")[0])
        mapped = getattr(address, "ipv4_mapped", None)
        return (mapped or address).is_loopback

    assert [s for s in listening if not loopback(s[1])] == [], listening


def test_only_a_local_ray_is_kept_on_loopback() -> None:
    from recexplore.engine.cluster import LOOPBACK

    assert init_arguments(EngineSettings(local_cpus=2))["_node_ip_address"] == LOOPBACK
    assert "_node_ip_address" not in init_arguments(EngineSettings(address="head:6379"))
