"""Gradient clipping over each member's whole gradient (Pascanu et al. 2013, Algorithm 1). The update rules
themselves (torch.optim's SGD, momentum, RMSprop and Adam with their default hyper-parameters, one learning rate
per member) are Ensemble._update, next to the state they keep."""
import torch

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")


def clip_by_global_norm(g, clip):
    """g: (K, P) flat gradients, clip: (K,) thresholds (inf = off). In place; returns the norms before.
    Pascanu et al. Alg. 1: if ||g|| >= threshold, g <- threshold * g / ||g||."""
    norm = torch.linalg.vector_norm(g, dim=1)
    scale = torch.where(norm >= clip, clip / norm, torch.ones_like(norm))
    g.mul_(scale[:, None])
    return norm
