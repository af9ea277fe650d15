"""Run by test_ordinary_user.py as an ordinary user: a head and a worker node whose private mount
namespace (a user namespace too, since the user is not root) hides a folder of the driver. Prints one
JSON document: what the driver sees in that folder, and what a task on the worker node sees there."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from evopersona.testing.ray_cluster import LocalRayCluster


def look(folder: str) -> dict[str, object]:
    import ray

    return {"entries": sorted(os.listdir(folder)), "node": ray.get_runtime_context().get_node_id()}


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="epu"))
    hidden = root / "work"
    hidden.mkdir()
    (hidden / "run.toml").write_text("name = 'driver-only'\n")
    cluster = LocalRayCluster(root / "n")
    try:
        cluster.start_head()
        cluster.add_worker(num_cpus=1, hidden=[hidden])
        os.environ.update({k: v for k, v in cluster.env().items() if k.startswith("RAY_")})
        import ray  # after the cluster's token settings are in the environment: Ray reads them at import

        ray.init(address=cluster.address, logging_level="ERROR")
        seen = ray.get(ray.remote(num_cpus=1)(look).remote(str(hidden)), timeout=120)
        print(json.dumps({"driver": sorted(os.listdir(hidden)), "worker": seen["entries"],
                          "driver_node": ray.get_runtime_context().get_node_id(), "worker_node": seen["node"]}))
        ray.shutdown()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
