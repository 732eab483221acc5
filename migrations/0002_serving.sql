-- 0002_serving: models, endpoint configurations, endpoints and the model
-- servers behind them. Names are unique without regard to case, as
-- SageMaker's are (the case given at creation is kept).

CREATE TABLE models (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE COLLATE NOCASE,
	request		TEXT NOT NULL,		-- validated CreateModel JSON
	creation_time	REAL NOT NULL,
	last_modified	REAL NOT NULL
);
CREATE INDEX models_by_created ON models(creation_time, id);

CREATE TABLE endpoint_configs (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE COLLATE NOCASE,
	request		TEXT NOT NULL,		-- validated CreateEndpointConfig JSON
	creation_time	REAL NOT NULL,
	last_modified	REAL NOT NULL
);
CREATE INDEX endpoint_configs_by_created ON endpoint_configs(creation_time, id);

-- An endpoint serves one deployment (generation) and, while UpdateEndpoint
-- runs, starts a second one. A deployment is a JSON snapshot of what its
-- model servers run (variants, images, model paths, environment), taken
-- when it was requested, so deleting a model or a configuration later never
-- changes a running endpoint (daemon/serving.c reads it).
CREATE TABLE endpoints (
	id			INTEGER PRIMARY KEY,
	name			TEXT NOT NULL UNIQUE COLLATE NOCASE,
	request			TEXT NOT NULL,		-- validated CreateEndpoint JSON
	status			TEXT NOT NULL,		-- Creating|InService|Updating|Deleting|Failed
	failure_reason		TEXT,
	config_name		TEXT NOT NULL,
	deployment		TEXT NOT NULL,
	generation		INTEGER NOT NULL,
	pending_config_name	TEXT,			-- UpdateEndpoint in progress
	pending_deployment	TEXT,
	pending_generation	INTEGER NOT NULL DEFAULT 0,
	pending_start		REAL,
	last_generation		INTEGER NOT NULL,	-- the highest generation ever used
	creation_time		REAL NOT NULL,
	last_modified		REAL NOT NULL
);
CREATE INDEX endpoints_by_created ON endpoints(creation_time, id);
CREATE INDEX endpoints_by_status ON endpoints(status, creation_time, id);

-- One row per model-server process started and not yet known to be gone:
-- what a restarted tunerd needs to find it again (pid + start time tell a
-- reused pid apart) or to kill it.
CREATE TABLE endpoint_instances (
	endpoint_id	INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
	generation	INTEGER NOT NULL,
	variant		TEXT NOT NULL,
	idx		INTEGER NOT NULL,		-- 1-based instance number in the variant
	pid		INTEGER NOT NULL,
	start_ticks	INTEGER NOT NULL,		-- /proc/<pid>/stat starttime
	port		INTEGER NOT NULL,
	PRIMARY KEY (endpoint_id, generation, variant, idx)
);
