"""The build owns only what it writes. Each build into an --out folder keeps a manifest of the files it wrote
there (`.build-manifest-LANG.json`); it writes only its own output names, never through a symbolic link, and
removes only files that an earlier build wrote and this one no longer writes. A folder that is the project
itself, inside its sources, or a home folder is refused before any work, as is a file of ours that someone
else put there (the build would overwrite it)."""
import json
import os
from pathlib import Path

MANIFEST = ".build-manifest-{lang}.json"


class OutputError(Exception):
    """An --out the build must not write into, or a file there it must not touch: one line."""


def refusal(out: Path, root: Path) -> str | None:
    """Why out (resolved) may not be an output folder, or None. Inside the project only report/ and folders an
    earlier build made are allowed, so that `--out templates` cannot overwrite a source file."""
    home = Path.home().resolve()
    if out == root:
        return f"--out {out} is the project's own folder; its outputs would overwrite its sources. Pass --out with a new folder (default: report/)"
    if out == Path(out.anchor) or out == home or out.parent in (Path("/home"), Path("/Users")) or out == Path("/root"):
        return f"--out {out} is a home or root folder; the build would mix its files with yours. Pass --out with a folder of its own"
    if root in out.parents:
        top = root / out.relative_to(root).parts[0]
        ours = top == root / "report" or not top.exists() or any(
            owned_by_a_build(folder) for folder in [out, *out.parents] if folder == top or top in folder.parents)
        if not ours:
            return (f"--out {out} is inside the project's {top.name}/ (sources, not outputs); "
                    f"pass --out with a folder outside it (default: report/)")
    return None


def owned_by_a_build(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob(".build-manifest-*.json")) or any(folder.glob(".build-stamp-*.json"))


class Outputs:
    """The files one build writes into out (paths relative to out, with / separators)."""

    def __init__(self, out: Path, lang: str):
        self.out, self.lang = out, lang
        self.written: set[str] = set()   # written (or confirmed unchanged) by this build
        self.kept: set[str] = set()      # earlier outputs this build keeps although it did not write them
        self.previous = self._manifest(lang)
        self.others = set().union(*(self._read(f) for f in out.glob(".build-manifest-*.json")
                                    if f.name != MANIFEST.format(lang=lang)))
        if not any(out.glob(".build-manifest-*.json")):   # a folder from before manifests: adopt what its stamps list
            self.others |= self._legacy()

    def _manifest(self, lang) -> set[str]:
        return self._read(self.out / MANIFEST.format(lang=lang))

    @staticmethod
    def _read(path: Path) -> set[str]:
        try:
            names = json.loads(path.read_text()).get("files", [])
            return {n for n in names if isinstance(n, str) and ".." not in Path(n).parts and not Path(n).is_absolute()}
        except (OSError, ValueError, AttributeError):
            return set()

    def _legacy(self) -> set[str]:
        names = set()
        for stamp in self.out.glob(".build-stamp-*.json"):
            try:
                names |= set(json.loads(stamp.read_text()).get("outputs", {}))
            except (OSError, ValueError, AttributeError):
                pass
        if names and (self.out / "build").is_dir() and not (self.out / "build").is_symlink():
            names |= {str(f.relative_to(self.out)) for f in (self.out / "build").iterdir() if f.is_file()}
        return names

    @property
    def owned(self) -> set[str]:
        return self.previous | self.others | self.written

    def planned(self, page, figures, documents, report_lang) -> set[str]:
        """Every file name a build in self.lang may write (relative to out): the figures in both languages' folders,
        the page and its images, results.json, and each document's PDF and .tex (LaTeX's other files of a
        document are ours when its .tex is; a link among them is refused all the same)."""
        from pipeline.documents import figures_folder, image_folder
        names = {"results.json", page}
        for lang in {self.lang, report_lang}:
            names |= {f"{figures_folder(lang)}/{f}.{ext}" for f in figures for ext in ("pdf", "png")}
        names |= {f"images/{image_folder(self.lang)}/{f}.png" for f in figures}
        for name in documents:
            names |= {f"{name}.pdf", f"build/{name}.tex"}
            names |= {f"build/{f.name}" for f in (self.out / "build").glob(f"{name}.*") if f.is_symlink()}
        return names

    def check(self, planned) -> None:
        """Before any work: refuses a planned name that is a symbolic link (or lies under one) or a file that no
        build wrote. Then records the plan in the manifest, so that a build killed halfway still owns what it
        wrote."""
        foreign, links = [], []
        for name in sorted(planned):
            path = self.out / name
            if self._link_on_the_way(name):
                links.append(name)
            elif (path.exists() or path.is_symlink()) and name not in self.owned:
                foreign.append(name)
        if links:
            raise OutputError(f"--out {self.out}: {links[0]} is (or lies under) a symbolic link; the build writes "
                              f"through no link: remove it or pass another --out")
        if foreign:
            more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
            raise OutputError(f"--out {self.out} already holds {foreign[0]}{more}, which no build wrote there; "
                              f"move it away or pass another --out")
        self._save(self.previous | set(planned))

    def _link_on_the_way(self, name: str) -> bool:
        path = self.out
        for part in Path(name).parts:
            path = path / part
            if path.is_symlink():
                return True
        return False

    def path(self, name: str) -> Path:
        """out/name for writing, recorded as this build's; refuses a path through a symbolic link."""
        if self._link_on_the_way(name):
            raise OutputError(f"{self.out / name} is (or lies under) a symbolic link; the build writes through no "
                              f"link: remove it or pass another --out")
        self.written.add(name)
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def folder(self, name: str) -> Path:
        """out/name as a folder to write into (made when missing); refuses one that is, or lies under, a link."""
        if self._link_on_the_way(name):
            raise OutputError(f"{self.out / name} is (or lies under) a symbolic link; the build writes through no "
                              f"link: remove it or pass another --out")
        path = self.out / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def write_text(self, name: str, text: str) -> bool:
        """Writes out/name unless it already holds text (its mtime then stays: latexmk sees no change)."""
        return self.write_bytes(name, text.encode())

    def write_bytes(self, name: str, data: bytes) -> bool:
        path = self.path(name)
        try:
            if path.is_file() and path.read_bytes() == data:
                return False
        except OSError:
            pass
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)   # replaces the name itself: never writes through whatever it pointed to
        finally:
            if tmp.exists():
                tmp.unlink()
        return True

    def record(self, name: str) -> None:
        self.written.add(name)

    def keep(self, name: str) -> None:
        """An earlier output this build did not write (or failed to) but must not remove (e.g. a PDF under --no-pdf,
        the last good PDF of a document that failed)."""
        self.written.discard(name)
        if name in self.previous:
            self.kept.add(name)

    def remove_stale(self) -> list[str]:
        """Removes the files an earlier build in this language wrote and this one no longer writes (never one
        another language's build wrote, never a link); returns their names."""
        removed = []
        for name in sorted(self.previous - self.written - self.kept - self.others):
            path = self.out / name
            if path.is_file() and not self._link_on_the_way(name):
                path.unlink()
                removed.append(name)
        return removed

    def settle(self, no_pdf: bool) -> list[str]:
        """The end of a build: keeps LaTeX's work folder (build/) and, when no PDF was asked for, the last PDFs
        (not built this time is not "no longer written"); removes the stale rest; writes the manifest."""
        for name in self.previous:
            if name.startswith("build/") or no_pdf and name.endswith(".pdf") and "/" not in name:
                self.keep(name)
        removed = self.remove_stale()
        self.finish()
        return removed

    def finish(self) -> None:
        """The manifest of this build: what it wrote and what it kept."""
        self._save(self.written | self.kept)

    def _save(self, names) -> None:
        path = self.out / MANIFEST.format(lang=self.lang)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"files": sorted(names)}, indent=0))
        os.replace(tmp, path)
