"""The Boston Housing regression network of the SageMaker Script Mode
notebook, in PyTorch: 13 inputs -> Dense(13, tanh) -> Dense(6, sigmoid)
-> Dense(1, linear), initialised as Keras does (Glorot-uniform weights,
zero biases). tunerd's built-in `mlp` algorithm trains the same network.
"""
import torch
from torch import nn


def get_model(n_inputs=13):
    model = nn.Sequential(
        nn.Linear(n_inputs, 13),
        nn.Tanh(),
        nn.Linear(13, 6),
        nn.Sigmoid(),
        nn.Linear(6, 1),
    )
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return model
