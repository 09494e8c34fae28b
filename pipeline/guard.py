"""What build.py checks and guards at the level of the process: the folders it is given (before any work),
SIGTERM (unwound like Ctrl-C, so worker processes and their semaphores are released), a closed output pipe
(not an error) and a disk that fills or vanishes (one line)."""
import errno
import os
import signal
import sys
from pathlib import Path

from pipeline import outputs


class UsageError(Exception):
    """Something the user asked for cannot work: one line, exit 2, before any work starts."""


def check_out(out: Path, root: Path):
    """Raises UsageError unless out is (or can be made) a folder this build can write to and may own."""
    if why := outputs.refusal(out, root):
        raise UsageError(why)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder; pass --out with a folder path")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise UsageError(f"cannot write to --out {out} ({e.strerror or e}); make it writable or pass another --out") from None


def die_with_parent():
    """In the LaTeX child: a killed build takes its latexmk along (Linux), so no orphan writes into build/
    while the next build starts that document afresh."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def check_writable(folder: Path, size: int = 1 << 20) -> None:
    """Raises the OSError (e.g. ENOSPC) when folder cannot take another `size` bytes."""
    probe = folder / f".space-probe-{os.getpid()}"
    try:
        with open(probe, "wb") as f:
            f.write(b"\0" * size)
            f.flush()
            os.fsync(f.fileno())
    finally:
        try:
            probe.unlink()
        except OSError:
            pass


def check_data_dir(data_dir: Path | None):
    """--data-dir must be an existing folder: a typo is not silently created (nor MNIST downloaded into it)."""
    if data_dir is None:
        return
    if not data_dir.exists():
        raise UsageError(f"--data-dir {data_dir} does not exist; pass the folder that holds the four MNIST files "
                         f"(or leave --data-dir out to use the default places)")
    if not data_dir.is_dir():
        raise UsageError(f"--data-dir {data_dir} is a file, not a folder; pass the folder that holds the four MNIST files")


class Terminated(Exception):
    """SIGTERM: unwinds like Ctrl-C, so that worker processes and their semaphores are released cleanly."""


def terminate(signum, frame):
    raise Terminated()


class ClosedPipeSafe:
    """stdout/stderr that a reader going away (`build.py | head -1`) cannot break: as `git log | head` does,
    the build goes on silently, finishes its work and writes its stamp."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self._closed()
            return len(text)

    def flush(self):
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._closed()

    def _closed(self):
        devnull = os.open(os.devnull, os.O_WRONLY)   # later writes (and the final flush at exit) go nowhere
        os.dup2(devnull, self.stream.fileno())
        os.close(devnull)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def disk_error(e: OSError, out=None) -> str:
    """One line for a write that failed: the file (else the output folder), why, what to do."""
    where = f" {e.filename}" if e.filename else f" in {out}" if out else ""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write{where}: {e.strerror}; free some space there or pass another --out (every finished job is cached)"
    if e.errno in (errno.ENOENT, errno.ESTALE, errno.EIO, errno.EROFS):
        return f"cannot write{where}: {e.strerror} (did the output folder or its disk go away?); pass a usable --out and run again"
    return f"cannot write{where}: {e.strerror or e}"


def guarded(body, usage_errors, out=None) -> int:
    """Runs body() as the build's process and returns its exit code: usage_errors are one line and 2, Ctrl-C
    130, SIGTERM 143 (both after the workers were stopped), a write that failed mid-build (full or vanished
    disk) one line and 1; stdout and stderr survive a closed pipe."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ClosedPipeSafe(sys.stdout), ClosedPipeSafe(sys.stderr)
    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:   # not the main thread (build.main called from a thread): no handler
        previous = None
    try:
        return body()
    except usage_errors as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted: every job that finished is cached; run the same command again to continue.", file=sys.stderr)
        return 130
    except Terminated:
        print("\nTerminated: every job that finished is cached; run the same command again to continue.", file=sys.stderr)
        return 143
    except OSError as e:   # a full or vanished output disk, mid-build
        print(f"build.py: error: {disk_error(e, out)}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = streams
