-- wrk script: POST /v1/track, one event per request.
-- Every request carries a distinct messageId and userId (so the server's dedupe never
-- short-circuits a write). Responses are counted by status; only 200 counts as success.
-- Usage: wrk ... -s bench/track.lua -- RUN_TAG
local common = dofile((os.getenv("BENCH_DIR") or "bench") .. "/common.lua")

function init(args) common.init(args) end
function request() return common.request("/v1/track", common.event_json()) end
function response(status, headers, body) common.response(status) end
setup = common.setup
done = common.done
