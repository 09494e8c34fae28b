"""Analysis: the numbers the documents quote, computed from the experiments' results, and the claims' verdicts.

    NAME.py      numbers(config, results) -> dict for experiments/NAME.py: pure, numpy only, no drawing
    claims.py    the papers' claims C1-C8, each with a criterion, and their verdicts from the numbers
    problems.py  the exercise's computational problems and their computed answers
    papers.py    the papers' own constants (their lengths, budgets, reported results), in one place
    labels.py    the names of models, methods and tasks shown to people (one table each)

Nothing here imports matplotlib, figures/ or pipeline/ (tests/test_layout.py checks it): figures/ draws from the
same results, and the pipeline puts these numbers into the documents' context as exp[NAME]."""
