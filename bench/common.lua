-- Shared by track.lua and batch.lua; loaded with dofile in wrk's main state and in every thread.
-- Counters are globals of each thread's Lua state so that done() can read them with thread:get().
local M = {}
local threads = {}
local counter = 0
local tag = "run"
ok, non200, statuses = 0, 0, {}

-- Main state: number the threads so that ids are unique across threads.
function M.setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function M.init(args)
  tag = (args and args[1]) or tostring(os.time())
end

-- One Segment track call (~330 bytes) with a unique messageId and userId.
function M.event_json(prefix)
  counter = counter + 1
  local id = tag .. "-" .. tostring(tid) .. "-" .. counter
  return string.format('{%s"userId":"user-%s","event":"Order Completed","properties":{"orderId":"o-%d",' ..
    '"revenue":42.5,"currency":"USD","products":[{"sku":"sku-1","price":19.99,"quantity":2}]},' ..
    '"context":{"library":{"name":"analytics-node","version":"6.2.0"},"page":{"path":"/checkout"}},' ..
    '"timestamp":"2024-05-01T12:00:00.000Z","messageId":"m-%s"}', prefix or "", id, counter, id)
end

-- wrk.format() uses the headers it is given instead of wrk.headers (the -H options): merge them.
local headers = nil
function M.request(path, body)
  if not headers then
    headers = {["Content-Type"] = "application/json"}
    for k, v in pairs(wrk.headers) do headers[k] = v end
  end
  return wrk.format("POST", path, headers, body)
end

function M.response(status)
  if status == 200 then
    ok = ok + 1
  else
    non200 = non200 + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

-- Main state, after the run: one machine-readable line for bench/run.sh.
function M.done(summary, latency, requests)
  local total_ok, total_bad, by_status = 0, 0, {}
  for _, t in ipairs(threads) do
    total_ok = total_ok + (t:get("ok") or 0)
    total_bad = total_bad + (t:get("non200") or 0)
    for s, n in pairs(t:get("statuses") or {}) do by_status[s] = (by_status[s] or 0) + n end
  end
  local detail = {}
  for s, n in pairs(by_status) do table.insert(detail, s .. ":" .. n) end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH ok=%d non200=%d statuses=%s completed=%d duration_s=%.3f ok_per_s=%.1f " ..
    "conn_err=%d read_err=%d write_err=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    total_ok, total_bad, #detail > 0 and table.concat(detail, ",") or "-", summary.requests, secs,
    total_ok / secs, e.connect, e.read, e.write, e.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max))
end

return M
