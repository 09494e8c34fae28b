"""Tables as data (analysis/tables.py): every table of the documents is a pandas frame built from the results, saved
as OUT/tables/NAME.csv, and rendered into the documents from that same frame. The paper's side of a protocol table
comes from analysis/papers.py, ours from the results."""
import pandas as pd
import pytest

import i18n
from analysis import results as results_json, tables
from analysis.papers import LE_ADDING_SETUP, PASCANU_CODE, PASCANU_SETUP
from pipeline import documents


def pathological(**changes) -> dict:
    """Made-up numbers of analysis/pathological.py, as much as its protocol table reads."""
    p = dict(n_hidden=64, batch=8, lr=0.05, clip=2.0, omega=3.0, lengths=[50, 100], updates=[10000, 20000],
             updates_per_step=200, table_updates={20: 4000}, seeds=3, test_n=777, check_every=20, check_n=123,
             confirm_n=456, confirm_wrong=0.002, ablation=[{"length": 50}],
             table=[dict(task="temporal order"), dict(task="addition")])
    return {**p, **changes}


def adding(**changes) -> dict:
    """Made-up numbers of analysis/adding.py (its protocol table's part), with a pilot on validation data."""
    a = dict(labels={"irnn": "IRNN", "lstm": "LSTM"}, lengths=[150, 400], n_hidden=100, batch=32, optimizer="adam",
             clip=1.0, updates=4000, seeds=5, n_test=2000, n_validation=300, lr_grid=[1e-4, 1e-3], pilot_seeds=2,
             pilot_updates=500, lr={"irnn": 1e-4, "lstm": 1e-3}, lr_source="a test",
             lr_chosen={"irnn": {150: 1e-4, 400: 1e-3}, "lstm": {150: 1e-3, 400: 1e-3}})
    return {**a, **changes}


def by_setting(frame):
    return frame.set_index("setting")


def test_the_pathological_protocol_puts_the_papers_constants_beside_our_numbers():
    S, C = PASCANU_SETUP, PASCANU_CODE
    f = tables.pathological_protocol_frame(pathological())
    assert list(f.part) == ["setup"] * 7 + ["code"] * 5
    row = by_setting(f)
    assert row.loc["units, batch, learning rate", "paper"] == f"{S['units']}, {S['batch']}, {S['lr']:g}, no momentum"
    assert row.loc["units, batch, learning rate", "ours"] == "64, 8, 0.05, no momentum"
    assert row.loc[r"clipping threshold, $\Omega$ weight", "paper"] == f"{S['clip']}, {S['omega_weight']} (unverified)"
    assert row.loc[r"clipping threshold, $\Omega$ weight", "ours"] == "2, 3"
    assert row.loc["sequence lengths", "paper"] == ", ".join(map(str, S["lengths"]))
    assert row.loc["updates", "paper"] == f"up to {S['max_updates']}"
    assert row.loc["updates", "ours"] == "at most 200·L updates at length L (10000 at L = 50, 20000 at L = 100, 4000 at L = 20)"
    assert row.loc[["seeds", "test sequences", "tasks"], "ours"].tolist() == ["3", "777", "2 (temporal order, addition)"]
    assert f"\\alpha = {C['omega_alpha']}" in row.loc[r"$\Omega$", "paper"]
    assert "10^{10}" in row.loc["NaN, Inf or huge gradient norm", "paper"]
    assert row.loc["success check", "ours"].startswith("every 20 updates, no error on 123 fresh sequences and at most "
                                                      "0.2% wrong on 456 more")
    assert "not in this one" not in row.loc[r"$\Omega$", "ours"]
    # one update count at every length; the Ω ablation not run
    row = by_setting(tables.pathological_protocol_frame(pathological(updates_per_step=None, updates=[3000], ablation=[])))
    assert row.loc["updates", "ours"] == "at most 3000 updates at every length"
    assert row.loc[r"$\Omega$", "ours"].endswith("(run in the `full` profile, not in this one)")


def test_the_adding_protocol_describes_the_pilot_when_the_results_have_one():
    row = by_setting(tables.adding_protocol_frame(adding()))
    assert row.loc["hidden units", "paper"] == f"{LE_ADDING_SETUP['units']} (unverified)"
    assert row.loc["models", "paper"] == ", ".join(LE_ADDING_SETUP["models"])
    assert row.loc["updates", "paper"] == "not verified" and row.loc["updates", "ours"] == "4000"
    rates = row.loc["optimiser, learning rate", "ours"]
    assert rates.startswith("Adam; every model's rate chosen the same way: a pilot of 2 seeds at each of 0.0001, "
                            "0.001 for 500 updates, scored on 300 validation sequences")
    assert rates.endswith("IRNN: 0.0001 ($T = 150$), 0.001 ($T = 400$); LSTM: 0.001 ($T = 150$), 0.001 ($T = 400$)")
    # one seed, one T: no plural, no T per rate
    one = adding(lengths=[150], pilot_seeds=1, lr_chosen={"irnn": {150: 1e-4}, "lstm": {150: 1e-3}})
    rates = by_setting(tables.adding_protocol_frame(one)).loc["optimiser, learning rate", "ours"]
    assert "a pilot of 1 seed at" in rates and rates.endswith("IRNN: 0.0001; LSTM: 0.001")
    # no grid: the recorded rates and where they came from
    rates = by_setting(tables.adding_protocol_frame(adding(lr_grid=None))).loc["optimiser, learning rate", "ours"]
    assert rates == "Adam; recorded rates, IRNN: 0.0001; LSTM: 0.001 (source: a test)"


def test_environment_budgets_and_papers_frames():
    env = dict(device="cpu", cpu="Made-up CPU", cores=3, threads=1, python="3.x", torch="9.9", numpy="1.0",
               platform="Linux", commit="abc1234")
    f = tables.environment_frame("smoke", env)
    assert dict(zip(f.item, f.value))["CPU"] == "Made-up CPU" and f.value.iloc[0] == "smoke"
    exp = {"pathological": {"budget": "temporal order at L = 10, 15; 2 seeds; 4·L updates (40–60) at most, a run stops",
                            "seconds": 1.5}, "cliff": {"budget": "grid 80×80"}}
    b = tables.budgets_frame(exp)
    assert b.shown.tolist() == ["temporal order at L = 10, 15; 2 seeds; 4·L updates at length L at most, a run stops",
                                "grid 80×80"]
    assert b.budget[0] == exp["pathological"]["budget"]
    claims = [dict(id="C2", significant=True), dict(id="C7", significant=False)]
    exp = {"cliff": dict(clipped_solved=7, plain_solved=1, starts=9),
           "sequential_mnist": dict(datasets=["mnist"], accuracy={"irnn": {"mnist": 41.5}, "tanh_gauss": {"mnist": 12.0}},
                                    labels={"irnn": "IRNN", "tanh_gauss": "tanh"}, updates=800,
                                    paper={"irnn": {"mnist": 97.0}, "tanh_gauss": {"mnist": 35.0}})}
    p = tables.papers_frame(exp, claims)
    assert p.claim.tolist() == ["C2"] * 3 + ["C7"] * 3
    v = {(r.claim, r.quantity): r for r in p.itertuples()}
    assert (v["C2", "clipped"].ours, v["C2", "plain"].ours, v["C2", "paths"].ours) == (7, 1, 9)
    assert v["C2", "clipped"].significant and not v["C7", "irnn"].significant
    assert (v["C7", "irnn"].paper, v["C7", "irnn"].ours, v["C7", "updates"].ours) == (97.0, 41.5, 800)
    assert "C2,Pascanu et al. 2013,clipped,paths reaching the minimum with clipping,,7,True" in p.to_csv(index=False)
    # nothing to show: no frame (and no slide)
    assert "papers" not in tables.frames(dict(exp={}, claims=[], profile="smoke", env=env))


# ----------------------------------------------------------------------------- a smoke build: CSVs and documents

def rendered(context: dict, template: str, lang: str) -> str:
    with i18n.language(lang, set()):
        return documents.render(template, context)


@pytest.fixture(scope="module")
def smoke(smoke_build):
    """(the smoke build's folder, its results.json as the documents' context, the frames built from it)."""
    out = smoke_build[0]
    context = results_json.loads((out / "results.json").read_text())
    return out, context, tables.frames(context)


def saved(out, name) -> pd.DataFrame:
    return pd.read_csv(out / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)


def test_every_frame_is_saved_as_csv(smoke):
    out, _, frames = smoke
    assert {"pathological_protocol", "adding_protocol", "environment", "budgets", "papers"} <= set(frames)
    assert {p.stem for p in (out / "tables").glob("*.csv")} == set(frames)
    for name, frame in frames.items():   # results.json sorts mappings by key: the same rows, maybe in another order
        csv = saved(out, name)
        assert list(csv.columns) == list(frame.columns) and len(csv) == len(frame), name


def test_the_documents_show_the_csvs_values(smoke):
    """What the build wrote as tables/NAME.csv is what its documents show."""
    out = smoke[0]
    frames = {name: saved(out, name) for name in ("pathological_protocol", "adding_protocol", "environment",
                                                  "budgets", "papers")}
    report = (out / "build" / "report.tex").read_text()
    for name in ("pathological_protocol", "adding_protocol"):
        for r in frames[name].itertuples():
            assert f"{documents.tex_text(r.setting)} & {documents.tex_text(r.paper)} & {documents.tex_text(r.ours)} \\\\" in report, (name, r)
    for r in frames["environment"].itertuples():
        value = documents.escape_latex(r.value)
        shown = f"\\texttt{{{value}}}" if r.item in ("profile", "git commit") else value
        assert f"{r.item} & {shown} \\\\" in report
    for r in frames["budgets"].itertuples():
        assert f"\\texttt{{{documents.escape_latex(r.experiment)}}} & {documents.escape_latex(r.shown)} & " in report
    deck = (out / "build" / "deck.tex").read_text()
    v = {(r.claim, r.quantity): r.ours for r in frames["papers"].itertuples()}
    assert f"до дна дошли {v['C2', 'clipped']} из {v['C2', 'paths']} путей с клиппингом и {v['C2', 'plain']} без" in deck


def test_the_documents_render_from_the_frames_not_around_them(smoke):
    """Change a cell of a frame and the document changes with it: the templates read the frames' records."""
    _, context, frames = smoke
    records = {name: tables.records(frame) for name, frame in frames.items()}
    for name, key, made_up in [("pathological_protocol", "ours", "made-up 41 seeds"), ("adding_protocol", "ours", "made-up 42"),
                               ("environment", "value", "made-up CPU 43"), ("budgets", "shown", "made-up budget 44")]:
        records[name][-1][key] = made_up
    report = rendered({**context, "tables": records}, "report.tex", "en")
    for made_up in ("made-up 41 seeds", "made-up 42", "made-up CPU 43", "made-up budget 44"):
        assert made_up in report
    changed = {**records, "papers": [dict(r, ours=99) if r["claim"] == "C2" and r["quantity"] == "clipped" else r
                                     for r in records["papers"]]}
    assert "до дна дошли 99 из" in rendered({**context, "tables": changed}, "deck.tex", "ru")


def test_the_report_describes_the_pilot_when_the_results_have_one(smoke):
    _, context, _ = smoke
    a = context["exp"]["adding"]
    T = a["lengths"][0]
    exp = {**context["exp"], "adding": {**a, "lr_grid": [1e-4, 1e-3], "pilot_seeds": 2, "pilot_updates": 500,
                                        "n_validation": 300, "lr_chosen": {m: {T: 1e-3} for m in a["labels"]}}}
    context = {**context, "exp": exp}
    report = rendered({**context, "tables": {n: tables.records(f) for n, f in tables.frames(context).items()}},
                      "report.tex", "en")
    assert "a pilot of 2 seeds at each of 0.0001, 0.001 for 500 updates, scored on 300 validation sequences" in report
    assert "recorded rates" not in report.split("tab:irnn-setup")[0].split("\\subsection{The adding problem}")[1]
