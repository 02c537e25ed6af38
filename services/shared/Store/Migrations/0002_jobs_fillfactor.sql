-- 0002: room on each page of jobs for a row's next version. Every job is updated at least once after its insert (its
-- result). With full pages (fillfactor 100) each update had to put the new version on another page; with a fifth of
-- each page free it mostly stays on the same one. (Not HOT: status is in the dispatcher's partial index predicate, so
-- the index entries are still written; the gain is the page.) A guarded batch UPDATE of 35 jobs ran 1.3 to 1.45
-- times as fast in pgbench, and end to end made 1.2 and 1.5 times the jobs/s in two alternating load runs
-- (docs/load-history.md). It applies to pages written from now on; existing rows are not rewritten (that would lock the table).
ALTER TABLE jobs SET (fillfactor = 80);
