#!/usr/bin/env python3
"""Script Mode training program for the Boston Housing example, in PyTorch.

A port of the SageMaker notebook's TensorFlow train.py: the same network
(model_def.py), plain mini-batch SGD on the mean squared error, data
reshuffled every epoch, the test set evaluated after each epoch. It reads
the channels and model directory from the SM_* environment like any Script
Mode program, takes --epochs --batch_size --learning_rate (--model_dir is
accepted and ignored in favour of SM_MODEL_DIR, as in the notebook) and
prints Keras-style progress lines, so the notebook's metric definitions
(loss: ..., val_loss: ...) work unchanged:

    Epoch 1/5
    404/404 [==============================] - 0s - loss: 505.1486 - val_loss: 374.2085

The trained weights go to $SM_MODEL_DIR/model.pth (torch.save of the
state_dict).
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_def import get_model  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser()
    # Hyperparameters arrive as command-line arguments (Script Mode).
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--batch_size', type=int, default=64)
    parser.add_argument('--learning_rate', type=float, default=0.1)
    parser.add_argument('--seed', type=int, default=0)
    # Data and model directories come from the environment.
    parser.add_argument('--train', type=str, default=os.environ.get('SM_CHANNEL_TRAIN'))
    parser.add_argument('--test', type=str, default=os.environ.get('SM_CHANNEL_TEST'))
    parser.add_argument('--model_dir', type=str, default=os.environ.get('SM_MODEL_DIR'))
    args, _ = parser.parse_known_args(argv)
    return args


def load_split(directory, name):
    x = np.load(os.path.join(directory, 'x_%s.npy' % name))
    y = np.load(os.path.join(directory, 'y_%s.npy' % name))
    print('x %s' % name, x.shape, 'y %s' % name, y.shape)
    return (torch.from_numpy(x.astype(np.float32)),
            torch.from_numpy(y.astype(np.float32)).reshape(len(y), -1))


def train(model, x_train, y_train, x_test, y_test, epochs, batch_size,
          learning_rate, out=sys.stdout):
    """Trains in place; returns the test loss after the last epoch."""
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    loss_fn = torch.nn.MSELoss()
    n = len(x_train)
    val_loss = float('nan')
    for epoch in range(1, epochs + 1):
        start = time.time()
        order = torch.randperm(n)
        total = 0.0
        model.train()
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            val_loss = loss_fn(model(x_test), y_test).item()
        out.write('Epoch %d/%d\n%d/%d [==============================] - %.0fs'
                  ' - loss: %.4f - val_loss: %.4f\n'
                  % (epoch, epochs, n, n, time.time() - start, total / n,
                     val_loss))
        out.flush()
    return val_loss


def main():
    args = parse_args()
    # One trainer per core, like the built-in algorithm.
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    print('Training data location: {}'.format(args.train))
    print('Test data location: {}'.format(args.test))
    x_train, y_train = load_split(args.train, 'train')
    x_test, y_test = load_split(args.test, 'test')
    print('batch_size = {}, epochs = {}, learning rate = {}'.format(
        args.batch_size, args.epochs, args.learning_rate))

    model = get_model(x_train.shape[1])
    score = train(model, x_train, y_train, x_test, y_test, args.epochs,
                  args.batch_size, args.learning_rate)
    print('\nTest MSE :', score)

    model_dir = os.environ.get('SM_MODEL_DIR') or args.model_dir
    os.makedirs(model_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(model_dir, 'model.pth'))


if __name__ == '__main__':
    main()
