-- 0004: the dispatcher's index of job_dispatch holds enqueued_at only, so that no lookup of a job by id can use it.
-- With job_id as its second column, it could serve `job_id = ANY(...)` as a scan of the whole index, and when the
-- table's statistics said it was empty (autovacuum analyzed it between a drained queue and the next backlog), the
-- planner costed that scan as cheaper than the primary key's lookups: every result batch's DELETE of its dispatch
-- rows read the whole index, 1.2 s per batch at 240,000 queued jobs, and the workers stored about 100 jobs/s for the
-- minute until the next analyze (docs/load-history.md). The dispatcher reads the oldest rows first, ties in the index's own
-- order (insertion, in practice the jobs' creation): it needs no job_id in the key.
CREATE INDEX job_dispatch_due_idx ON job_dispatch (enqueued_at NULLS FIRST);
DROP INDEX job_dispatch_enqueued_at_idx;
