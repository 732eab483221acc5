#!/usr/bin/python3
"""bench/cli/bench.py - CLI latency: `tuner describe NAME` as a whole
process against the floor of a minimal libcurl program doing the same one
request (td-bench-curl1), with hyperfine.

    bench/cli/bench.py [--build-dir build] [--runs 300]

A private tunerd serves a small store (td-bench-scale, 1,000 jobs). Each
command runs RUNS times after 20 warm-up runs (hyperfine -N: no shell);
the figure is the median wall time. Also shown: `tuner describe -o json`,
td-bench-raw1 (the same request without libcurl: what a process that
loads no HTTP library costs) and /bin/true (the cost of any process).

Goal: tuner describe within 2 ms of the libcurl floor. Figures only.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'api'))
import tdbench  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build-dir')
    ap.add_argument('--runs', type=int, default=300)
    a = ap.parse_args()
    build = tdbench.build_dir(a.build_dir)
    if not shutil.which('hyperfine'):
        sys.exit('hyperfine not found: apt-get install -y hyperfine')
    print('cli: tuner describe vs one libcurl request, %d runs each' % a.runs)
    print(tdbench.provenance())
    tmp = tempfile.mkdtemp(prefix='tunerd-bench-cli-')
    state = os.path.join(tmp, 'state')
    os.makedirs(state)
    tdbench.run_json([tdbench.tool(build, 'td-bench-scale'), 'gen',
                      os.path.join(state, 'tunerd.db'), '-n', '1000', '-t', '0'])
    d = tdbench.Tunerd(build, state=state)
    try:
        name = d.ok('ListTrainingJobs', {'MaxResults': 1})['TrainingJobSummaries'][0][
            'TrainingJobName']
        tuner = os.path.join(build, 'client', 'tuner')
        cmds = [
            ('tuner describe', '%s --socket %s describe %s' % (tuner, d.socket, name)),
            ('tuner describe -o json', '%s --socket %s -o json describe %s'
             % (tuner, d.socket, name)),
            ('floor: libcurl, one request (td-bench-curl1)', '%s %s %s' % (
                tdbench.tool(build, 'td-bench-curl1'), d.socket, name)),
            ('no libcurl, one request (td-bench-raw1)', '%s %s %s' % (
                tdbench.tool(build, 'td-bench-raw1'), d.socket, name)),
            ('/bin/true', '/bin/true'),
        ]
        for _, c in cmds:
            r = subprocess.run(c.split(), capture_output=True)
            if r.returncode != 0:
                sys.exit('%s failed: %s' % (c, r.stderr.decode()))
        out = os.path.join(tmp, 'hf.json')
        subprocess.run(['hyperfine', '-N', '--warmup', '20', '--runs', str(a.runs),
                        '--export-json', out, '--style', 'none'] + [c for _, c in cmds],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            res = json.load(f)['results']
    finally:
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    med = {}
    rows = []
    for (label, _), r in zip(cmds, res):
        med[label] = r['median'] * 1e3
        rows.append([label, '%.2f' % (r['median'] * 1e3), '%.2f' % (r['mean'] * 1e3),
                     '%.2f' % (r['stddev'] * 1e3), '%.2f' % (r['user'] * 1e3),
                     '%.2f' % (r['system'] * 1e3)])
    tdbench.table(rows, ['command', 'median ms', 'mean ms', 'stddev ms', 'user ms',
                         'system ms'])
    print()
    floor = med['floor: libcurl, one request (td-bench-curl1)']
    print('tuner describe - libcurl floor: %+.2f ms (goal <= 2 ms); -o json: %+.2f ms'
          % (med['tuner describe'] - floor, med['tuner describe -o json'] - floor))
    print('libcurl floor - no-libcurl request: %+.2f ms (what loading libcurl costs)'
          % (floor - med['no libcurl, one request (td-bench-raw1)']))


if __name__ == '__main__':
    main()
