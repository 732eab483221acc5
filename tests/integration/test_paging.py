"""ListTrainingJobs paging against an independent reference.

A store of a few thousand finished jobs is built through the daemon's own
store layer (td-bench-scale gen, the scale benchmark's generator); then a
real tunerd serves it, and every filter x sort x order x page size is walked
by following NextToken, as boto3's paginators and tuner do. The walk must
return exactly the rows a reference computed here in Python from the table
(read-only) would, in order, each once: whatever the page shapes (pages of
a filter that the sort's index does not serve may come back short, even
empty, with a NextToken), every page holds at most MaxResults rows and the
walk ends.
"""

import os
import sqlite3
import subprocess
import unittest

from harness import BUILD_DIR, Daemon, main

JOBS = 2500
GEN = os.path.join(BUILD_DIR, 'bench', 'td-bench-scale')


def reference(rows, flt, sort_by, order):
    """The ListTrainingJobs semantics, independently: filters, then order."""
    out = []
    for r in rows:
        if 'NameContains' in flt and \
                flt['NameContains'].lower() not in r['name'].lower():
            continue
        if 'StatusEquals' in flt and r['status'] != flt['StatusEquals']:
            continue
        if 'CreationTimeAfter' in flt and \
                not r['creation_time'] > flt['CreationTimeAfter']:
            continue
        if 'CreationTimeBefore' in flt and \
                not r['creation_time'] < flt['CreationTimeBefore']:
            continue
        if 'LastModifiedTimeAfter' in flt and \
                not r['last_modified'] > flt['LastModifiedTimeAfter']:
            continue
        if 'LastModifiedTimeBefore' in flt and \
                not r['last_modified'] < flt['LastModifiedTimeBefore']:
            continue
        out.append(r)
    if sort_by == 'Name':
        key = (lambda r: (r['name'], r['id']))
    elif sort_by == 'Status':
        key = (lambda r: (r['status'], r['creation_time'], r['id']))
    else:
        key = (lambda r: (r['creation_time'], r['id']))
    out.sort(key=key, reverse=(order == 'Descending'))
    return [r['name'] for r in out]


class PagingTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.access(GEN, os.X_OK):
            raise unittest.SkipTest('no %s (bench/ not built)' % GEN)
        cls.d = Daemon(start=False)
        db = os.path.join(cls.d.state, 'tunerd.db')
        subprocess.run([GEN, 'gen', db, '-n', str(JOBS), '-t', '3', '-k', '40'],
                       check=True, capture_output=True, timeout=120)
        con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
        con.row_factory = sqlite3.Row
        cls.rows = [dict(r) for r in con.execute(
            'SELECT id, name, status, creation_time, last_modified '
            'FROM training_jobs')]
        con.close()
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def walk(self, body, page):
        """Every name a NextToken walk returns, and how many calls it took."""
        names, calls, token = [], 0, None
        limit = JOBS // page + JOBS // 100 + 20
        while True:
            req = dict(body, MaxResults=page)
            if token is not None:
                req['NextToken'] = token
            st, r = self.d.call('ListTrainingJobs', req)
            self.assertEqual(st, 200, (req, r))
            calls += 1
            got = r['TrainingJobSummaries']
            self.assertLessEqual(len(got), page, req)
            names += [s['TrainingJobName'] for s in got]
            token = r.get('NextToken')
            if token is None:
                return names, calls
            self.assertLess(calls, limit, 'the walk does not end: %r' % body)

    def midpoint(self, field, frac):
        """A time between two rows' times, at about frac of the range."""
        v = sorted(r[field] for r in self.rows)
        i = int(frac * (len(v) - 1))
        return (v[i] + v[i + 1]) / 2

    def filters(self):
        some = self.rows[len(self.rows) // 2]['name']
        return [
            {},
            {'NameContains': 'boston'},             # common
            {'NameContains': 'BoStOn'},             # case folded
            {'NameContains': some[-8:]},            # rare: one job
            {'NameContains': 'no-such-job'},        # absent
            {'StatusEquals': 'Failed'},
            {'StatusEquals': 'Stopped'},
            {'StatusEquals': 'InProgress'},         # none in this store
            {'StatusEquals': 'Stopped', 'NameContains': 'mnist'},
            {'CreationTimeAfter': self.midpoint('creation_time', 0.8)},
            {'CreationTimeAfter': self.midpoint('creation_time', 0.25),
             'CreationTimeBefore': self.midpoint('creation_time', 0.4)},
            {'LastModifiedTimeAfter': self.midpoint('last_modified', 0.9)},
            {'LastModifiedTimeBefore': self.midpoint('last_modified', 0.1),
             'StatusEquals': 'Completed'},
        ]

    def test_every_walk_matches_the_reference(self):
        walks = short = 0
        for flt in self.filters():
            for sort_by in ('CreationTime', 'Name', 'Status'):
                for order in ('Ascending', 'Descending'):
                    want = reference(self.rows, flt, sort_by, order)
                    # Small pages only where the walk is short.
                    for page in ((100, 7) if len(want) < 400 else (100,)):
                        body = dict(flt, SortBy=sort_by, SortOrder=order)
                        got, calls = self.walk(body, page)
                        walks += 1
                        if calls > len(want) // page + 1:
                            short += 1
                        self.assertEqual(len(got), len(set(got)),
                                         'a row twice: %r' % body)
                        self.assertEqual(got, want, '%r, %d per page' %
                                         (body, page))
        print('%d walks over %d jobs matched the reference; %d had short '
              'pages' % (walks, JOBS, short))

    def test_bad_tokens_are_refused(self):
        st, r = self.d.call('ListTrainingJobs', {'MaxResults': 5,
                                                 'SortBy': 'Status'})
        self.assertEqual(st, 200, r)
        token = r['NextToken']
        # A token is bound to its sort and order: another's is an error,
        # not a silent restart or a skipped row.
        for body in ({'NextToken': 'garbage'},
                     {'NextToken': token, 'SortBy': 'Name'},
                     {'NextToken': token, 'SortBy': 'Status',
                      'SortOrder': 'Descending'},
                     {'NextToken': token},
                     {'NextToken': token[:-1] + 'x', 'SortBy': 'Status'},
                     {'NextToken': 'x' * 9000}):
            st, r = self.d.call('ListTrainingJobs', body)
            self.assertEqual(st, 400, (body, r))
            self.assertIn('NextToken', r.get('message', r.get('Message', '')),
                          body)


if __name__ == '__main__':
    main()
