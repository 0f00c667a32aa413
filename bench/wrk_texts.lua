-- wrk script for bench/wrk_load.py: one connection per thread (wrk -t N -c N), and thread i
-- sends the pre-signed texts of $WRK_TEXTS/<i>.req in order, each after the answer to the
-- one before, to port i mod n of $WRK_PORTS ("8001,8002"): one parent's texts stay in
-- order on one connection to one app process, as bench_webhook.py's drive_raw sends them.
-- A file holds "<length>\n<raw HTTP/1.1 request>" entries, encoded by the bench.

local threads = {}
local ports = {}
for port in string.gmatch(os.getenv("WRK_PORTS"), "%d+") do
   ports[#ports + 1] = port
end

function setup(thread)
   local n = #threads
   thread.addr = wrk.lookup("127.0.0.1", ports[n % #ports + 1])[1]
   thread:set("id", n)
   threads[n + 1] = thread
end

function init(args)
   requests, sent, exhausted = {}, 0, 0
   -- wrk asks thread 0 for one request before any connection, only to check it parses
   -- (script_verify_request): that call is not a text sent.
   verifying = id == 0
   local file = assert(io.open(os.getenv("WRK_TEXTS") .. "/" .. id .. ".req", "rb"))
   while true do
      local length = file:read("*n")
      if not length then break end
      file:read(1)
      requests[#requests + 1] = file:read(length)
   end
   file:close()
end

-- The next text, asked for by wrk once the answer to the one before came (or after a
-- reconnect, which skips the unanswered text: the run then reports a socket error). No
-- response() callback: with one, wrk builds a Lua table of each answer's headers and a string
-- of its body, ~10 us of its CPU a text. An answer other than 2xx/3xx is counted by wrk
-- itself (summary.errors.status); a "having trouble" text is a 200, which the bench counts
-- from the app's own error counters (GET /metrics) instead.
-- Past the last text: "" (nothing is written) and the thread stops.
function request()
   if verifying then
      verifying = false
      return requests[1]
   end
   sent = sent + 1
   if sent > #requests then
      exhausted = 1
      wrk.thread:stop()
      return ""
   end
   return requests[sent]
end

function done(summary, latency, _)
   local exhausted = 0
   for _, thread in ipairs(threads) do
      exhausted = exhausted + thread:get("exhausted")
   end
   local e = summary.errors
   io.write(string.format(
      "wrk-result requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d socket_errors=%d exhausted=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.status, e.connect + e.read + e.write + e.timeout, exhausted))
end
