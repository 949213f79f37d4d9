-- wrk script: POST /v1/batch with BENCH_BATCH (default 100) track events per request, each with a
-- distinct messageId and userId. Only 200 counts as success; other statuses are counted and reported.
-- Usage: wrk ... -s bench/batch.lua -- RUN_TAG
local common = dofile((os.getenv("BENCH_DIR") or "bench") .. "/common.lua")
local n = tonumber(os.getenv("BENCH_BATCH") or "100")

function init(args) common.init(args) end
function request()
  local parts = {}
  for i = 1, n do parts[i] = common.event_json('"type":"track",') end
  return common.request("/v1/batch", '{"batch":[' .. table.concat(parts, ",") .. '],"sentAt":"2024-05-01T12:00:00.100Z"}')
end
function response(status, headers, body) common.response(status) end
setup = common.setup
done = common.done
