-- wrk reporter: one machine-readable line with p50/p95/p99 (ms), requests/s and failures.
-- With BENCH_TOKEN set, every request carries it as a bearer token (a signed-in user).
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT p50=%.2f p95=%.2f p99=%.2f rps=%.1f requests=%d non2xx=%d socket_errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / seconds, summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
