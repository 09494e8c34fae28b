"""Numbers of experiments.cliff: the wall in the error surface, and where descents with and without clipping end."""
import numpy as np

from experiments.cliff import B_RANGE, CLIP, LEARNING_RATE, STARTS, STEPS, W_RANGE, budget

SOLVED = 0.01  # a path "reaches the valley" when its final E is below this (the minimum E = 0 lies on the wall)


def numbers(config, results):
    r = results[0]
    E, G = r["error"], r["grad_norm"]
    plain_jumps = [float(np.max(np.linalg.norm(np.diff(p["plain"]["path"], axis=0), axis=1))) for p in r["paths"]]
    clipped_jumps = [float(np.max(np.linalg.norm(np.diff(p["clipped"]["path"], axis=0), axis=1))) for p in r["paths"]]
    final = lambda kind: [float(p[kind]["error"][-1]) for p in r["paths"]]  # noqa: E731
    return {
        "grid": config["grid"], "steps": STEPS, "lr": LEARNING_RATE, "clip": CLIP, "starts": len(STARTS),
        "descent_steps": config["descent_steps"], "budget": budget(config),
        "w_range": list(W_RANGE), "b_range": list(B_RANGE),
        "max_grad": float(G.max()), "median_grad": float(np.median(G)),
        "plateau_error": float(E[0, 0]),
        "max_plain_jump": max(plain_jumps), "max_clipped_jump": max(clipped_jumps),
        "max_plain_grad": max(float(p["plain"]["grad_norm"].max()) for p in r["paths"]),
        "final_plain": final("plain"), "final_clipped": final("clipped"),
        "solved_threshold": SOLVED,
        "plain_solved": sum(e < SOLVED for e in final("plain")), "clipped_solved": sum(e < SOLVED for e in final("clipped")),
        "plain_final_median": float(np.median(final("plain"))), "clipped_final_median": float(np.median(final("clipped"))),
    }
