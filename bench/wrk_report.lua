-- wrk report: one machine-readable line with the figures bench/web.py and bench/load.py parse
-- (wrk's own --latency output has no 95th percentile). Latencies are in microseconds.
done = function(summary, latency, requests)
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
   io.write(string.format(
      "HASILA requests=%d duration_us=%d errors=%d status_errors=%d timeouts=%d p50=%d p95=%d p99=%d max=%d\n",
      summary.requests, summary.duration, errors, summary.errors.status, summary.errors.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
