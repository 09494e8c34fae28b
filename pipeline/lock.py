"""One build at a time into an output folder: a second build waits for the first instead of interleaving
writes to the same figures, .tex files and PDFs."""
import fcntl
import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(folder: Path, log=print):
    """Holds an exclusive flock on folder/.build.lock. The kernel releases it when the holder exits, even
    on SIGKILL, so a crashed build never leaves a stale lock behind."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".build.lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            log(f"another build into {folder} is running (pid {holder}); waiting…")
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
