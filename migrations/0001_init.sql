-- 0001_init: training jobs, their metric series, tuning jobs and trials.
-- Timestamps are epoch seconds (REAL). JSON columns hold validated request
-- documents or small arrays built by the daemon.

CREATE TABLE training_jobs (
	id			INTEGER PRIMARY KEY,
	name			TEXT NOT NULL UNIQUE,
	request			TEXT NOT NULL,		-- validated CreateTrainingJob JSON
	status			TEXT NOT NULL,		-- InProgress|Completed|Failed|Stopping|Stopped
	secondary_status	TEXT NOT NULL,
	transitions		TEXT NOT NULL DEFAULT '[]',
	failure_reason		TEXT,
	creation_time		REAL NOT NULL,
	last_modified		REAL NOT NULL,
	training_start		REAL,
	training_end		REAL,
	final_metrics		TEXT,			-- JSON [{MetricName, Value, Timestamp}]
	model_artifact		TEXT,			-- file:// URI
	-- Launch bookkeeping: queued -> launching (intent durable) -> running
	-- (pid durable) -> done (exit applied). See daemon/sched.c.
	launch_state		TEXT NOT NULL DEFAULT 'queued',
	worker_pid		INTEGER,
	events_seq		INTEGER NOT NULL DEFAULT 0,
	attempt			INTEGER NOT NULL DEFAULT 0,
	stop_requested		INTEGER NOT NULL DEFAULT 0,
	tuning_job_id		INTEGER REFERENCES tuning_jobs(id)
);
CREATE INDEX training_jobs_by_created ON training_jobs(creation_time, id);
CREATE INDEX training_jobs_by_status ON training_jobs(status, creation_time, id);
CREATE INDEX training_jobs_by_launch ON training_jobs(launch_state, id)
	WHERE launch_state <> 'done';

CREATE TABLE metrics (
	job_id		INTEGER NOT NULL REFERENCES training_jobs(id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	time		REAL NOT NULL,
	value		REAL NOT NULL
);
CREATE INDEX metrics_by_job ON metrics(job_id, name, time);

CREATE TABLE tuning_jobs (
	id			INTEGER PRIMARY KEY,
	name			TEXT NOT NULL UNIQUE,
	request			TEXT NOT NULL,		-- validated CreateHyperParameterTuningJob JSON
	status			TEXT NOT NULL,		-- InProgress|Completed|Failed|Stopping|Stopped
	failure_reason		TEXT,
	creation_time		REAL NOT NULL,
	last_modified		REAL NOT NULL,
	end_time		REAL,
	completion_reason	TEXT,			-- which criterion ended it
	next_trial_no		INTEGER NOT NULL DEFAULT 1,
	suggestions_issued	INTEGER NOT NULL DEFAULT 0,
	best_trial_id		INTEGER
);
CREATE INDEX tuning_jobs_by_created ON tuning_jobs(creation_time, id);
CREATE INDEX tuning_jobs_by_status ON tuning_jobs(status, creation_time, id);

-- One row per trial of a tuning job. A trial of a job with a
-- TrainingJobDefinition is a training job (training_job_id); an ask/tell
-- trial is evaluated by the caller and has none.
CREATE TABLE trials (
	id			INTEGER PRIMARY KEY,
	tuning_job_id		INTEGER NOT NULL REFERENCES tuning_jobs(id),
	trial_no		INTEGER NOT NULL,
	name			TEXT NOT NULL UNIQUE,
	params			TEXT NOT NULL,		-- JSON {name: "value"} of the tuned parameters
	status			TEXT NOT NULL,		-- Pending|InProgress|Completed|Failed|Stopped
	objective_status	TEXT NOT NULL DEFAULT 'Pending', -- Pending|Succeeded|Failed
	objective		REAL,			-- raw value as the program emitted it
	failure_reason		TEXT,
	training_job_id		INTEGER REFERENCES training_jobs(id),
	creation_time		REAL NOT NULL,
	start_time		REAL,
	end_time		REAL,
	UNIQUE (tuning_job_id, trial_no)
);
CREATE INDEX trials_by_job_objective ON trials(tuning_job_id, objective);
CREATE INDEX trials_by_training_job ON trials(training_job_id);
