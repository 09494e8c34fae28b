"""What one build tells its reader besides errors: a context object each build creates and passes to the
stages that draw and render (no module-level lists carried from one build to the next)."""
from dataclasses import dataclass, field


@dataclass
class Notes:
    """What one build tells its reader besides errors, collected while it draws and renders and printed once at
    the end: warnings (e.g. a NaN shown as "—") and the marked texts the catalogue lacks. Each build makes its
    own; nothing is carried between builds in module state."""
    warnings: list = field(default_factory=list)
    missing: set = field(default_factory=set)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def all_warnings(self, catalogue) -> list[str]:
        """The warnings, with one for the untranslated texts (naming the catalogue) when there are any."""
        if self.missing:
            first = min(self.missing, key=len)
            self.warn(f"{len(self.missing)} text(s) have no translation in {catalogue} and are shown in Russian, "
                      f"e.g. {first[:80]!r}; see i18n/__init__.py to update it")
        return self.warnings


NAN_WARNING = "a number in the documents is NaN (an experiment produced no value); it is shown as —"


def is_nan(x) -> bool:
    return x is not None and x != x
