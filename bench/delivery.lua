-- wrk script for bench/delivery.sh's baseline: POST /hook with what a destination receives, one
-- event per request or (BENCH_EVENTS_PER_REQUEST > 1) a JSON array of that many events.
-- Usage: wrk ... -s bench/delivery.lua -- RUN_TAG
local common = dofile((os.getenv("BENCH_DIR") or "bench") .. "/common.lua")
local n = tonumber(os.getenv("BENCH_EVENTS_PER_REQUEST") or "1")

function init(args) common.init(args) end
function request()
  if n == 1 then return common.request("/hook", common.event_json('"type":"track",')) end
  local parts = {}
  for i = 1, n do parts[i] = common.event_json('"type":"track",') end
  return common.request("/hook", "[" .. table.concat(parts, ",") .. "]")
end
function response(status, headers, body) common.response(status) end
setup = common.setup
done = common.done
