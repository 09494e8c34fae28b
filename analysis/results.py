"""results.json, the numbers of a build as data: how they are written and read back.

The numbers are nested mappings with their natural keys: names (init, method, model) and integers (a length T,
a sequence length L). JSON keys can only be strings, so dumps() writes an integer key as its decimal string, and
loads() turns the keys of a mapping back into integers when every key of that mapping is one (a mapping that
mixes names and numbers, e.g. tbptt's windows "5", "12", "full", is keyed by name throughout and stays so).
The claims and templates therefore read the same keys from a build's numbers and from results.json."""
import json


def dumps(obj) -> str:
    return json.dumps(obj, indent=1, sort_keys=True, default=str)


def _int_keys(pairs):
    keys = [k for k, _ in pairs]
    if keys and all(k.lstrip("-").isdigit() for k in keys):
        return {int(k): v for k, v in pairs}
    return dict(pairs)


def loads(text: str):
    return json.loads(text, object_pairs_hook=_int_keys)
