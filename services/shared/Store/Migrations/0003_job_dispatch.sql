-- 0003: the dispatcher's view of the jobs moves to a table of its own, so that a job's result is a HOT update.
-- A row update is HOT (no new index entries, the new version on the same page) only when no index of the table has a
-- changed column among its columns or in its predicate. The partial index jobs_queued_enqueued_at_idx had status in its
-- predicate and enqueued_at as a column: every result wrote new entries in both of the jobs' other indexes. In load
-- runs (docs/load-history.md) the result UPDATE took 14 to 16 µs per job instead of 32 to 36, and PostgreSQL's statements a
-- third less time per job.
--
-- job_dispatch holds a row for each queued job (the rows the partial index held), with the time it was last sent to
-- Redis (null: not sent, the dispatcher's next round sends it). Every write that changes a job's status writes it in
-- the same transaction, after the job: inserted with the job and by a retry (sent again), deleted when the job runs or
-- ends; the submitter and the dispatcher change its mark.
-- No foreign key: its check would look up and lock each new job at submit, the cost this migration removes elsewhere.
-- The services never delete jobs; the dispatcher deletes a row it finds whose job is gone or not queued (deleted by
-- hand, or written by services older than this migration).
--
-- Stop the services of the previous version before it runs: they write enqueued_at, which it drops. The lock keeps
-- them from adding a queued job between the copy and the drop.
LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE job_dispatch (
    job_id      uuid        PRIMARY KEY,
    enqueued_at timestamptz NULL
);

-- The dispatcher's two ranges, oldest first: never sent, then sent longer ago than Dispatcher:StaleAfter. Job ids are
-- UUIDv7, so ties go in creation order (to the millisecond).
CREATE INDEX job_dispatch_enqueued_at_idx ON job_dispatch (enqueued_at NULLS FIRST, job_id);

INSERT INTO job_dispatch (job_id, enqueued_at)
SELECT id, enqueued_at FROM jobs WHERE status = 'queued';

DROP INDEX jobs_queued_enqueued_at_idx;
ALTER TABLE jobs DROP COLUMN enqueued_at;

-- Room on each page for a batch's results: a worker writes the results of up to a few dozen jobs, made together and so
-- side by side, in one transaction, and the old versions it leaves cannot be pruned before it commits. With a fifth of
-- the page free (80) half of the results were HOT in a load run, with two fifths (60) 81 and 83 %. New pages only.
ALTER TABLE jobs SET (fillfactor = 60);
