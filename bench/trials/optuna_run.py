"""optuna_run.py - the Optuna side of bench/trials/bench.py: one study of
a trivial objective, ask/tell in this process, timed per call.

    /usr/bin/python3 optuna_run.py SAMPLER STORAGE TRIALS SEED

SAMPLER: tpe | random. STORAGE: an SQLAlchemy URL (sqlite:///path) or
"memory". The objective and space are bench.py's: x1..x3 uniform in [0, 1],
sum of (x - 0.5)^2, minimised. Prints one JSON object: trials, seconds,
best, ask_us and tell_us per trial (the objective's evaluation, a few
microseconds, is in neither).
"""
import json
import sys
import time

import optuna


def main():
    sampler_name, storage, trials, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.TPESampler(seed=seed) if sampler_name == 'tpe'
               else optuna.samplers.RandomSampler(seed=seed))
    study = optuna.create_study(storage=None if storage == 'memory' else storage,
                                sampler=sampler, direction='minimize')
    ask_us, tell_us = [], []
    start = time.perf_counter()
    for _ in range(trials):
        t0 = time.perf_counter()
        trial = study.ask()
        x = [trial.suggest_float('x%d' % k, 0.0, 1.0) for k in (1, 2, 3)]
        t1 = time.perf_counter()
        y = sum((v - 0.5) ** 2 for v in x)
        t2 = time.perf_counter()
        study.tell(trial, y)
        t3 = time.perf_counter()
        # suggest_float belongs to asking: with TPE it is where sampling happens.
        ask_us.append((t1 - t0) * 1e6)
        tell_us.append((t3 - t2) * 1e6)
    print(json.dumps({'trials': trials, 'seconds': time.perf_counter() - start,
                      'best': study.best_value, 'ask_us': ask_us, 'tell_us': tell_us,
                      'optuna': optuna.__version__}))


if __name__ == '__main__':
    main()
