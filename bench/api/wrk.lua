-- wrk.lua - wrk's side of bench/api/bench.py.
--
-- TD_TARGET (an X-Amz-Target, e.g. SageMaker.DescribeTrainingJob) and
-- TD_BODIES (a file, one JSON body per line, sent round robin) make each
-- request a POST /; without TD_TARGET each request is GET TD_PATH
-- (default /ping). done() prints one JSON line (latencies in
-- microseconds) after wrk's own report.

local target = os.getenv("TD_TARGET")
local path = os.getenv("TD_PATH") or "/ping"
local bodies = {}
local i = 0

if target ~= nil and target ~= "" then
	for line in io.lines(os.getenv("TD_BODIES")) do
		if line ~= "" then
			bodies[#bodies + 1] = line
		end
	end
end

request = function()
	if #bodies == 0 then
		return wrk.format("GET", path)
	end
	i = i % #bodies + 1
	return wrk.format("POST", "/", {
		["X-Amz-Target"] = target,
		["Content-Type"] = "application/x-amz-json-1.1",
	}, bodies[i])
end

done = function(summary, latency, requests)
	local errors = summary.errors.connect + summary.errors.read +
	    summary.errors.write + summary.errors.status + summary.errors.timeout
	io.write(string.format('TDJSON {"requests": %d, "errors": %d, ' ..
	    '"seconds": %.6f, "rps": %.1f, "p50_us": %d, "p90_us": %d, ' ..
	    '"p99_us": %d, "p999_us": %d, "max_us": %d}\n',
	    summary.requests, errors, summary.duration / 1e6,
	    summary.requests / (summary.duration / 1e6),
	    latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency:percentile(99.9), latency.max))
end
