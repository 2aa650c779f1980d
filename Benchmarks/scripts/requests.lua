-- wrk script: every request is a distinct, correctly signed Inkbox delivery (no retry-cache hits): an incoming_call
-- webhook or a call.ended event, with the call id of its line. Each thread reads its own file of lines from sign.py
-- (LINES.0, LINES.1, ...) as it goes, starting over at the end.
-- Usage: wrk -t THREADS -s requests.lua URL -- LINES INCOMING_FIXTURE CALL_ENDED_FIXTURE [close] [DELAY_MS]
-- With `close`, every request asks for its connection to be closed, so each one is a new connection (and, over
-- HTTPS, a new TLS handshake). With DELAY_MS, each connection waits that long before each request, so wrk sends
-- about connections * 1000 / (DELAY_MS + latency) requests/s.

local FIXTURE_CALL_ID = "3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f"
local created = 0

function setup(thread)
  thread:set("id", created)
  created = created + 1
end

-- The fixture split around every occurrence of its call id, so a body for another call is one concatenation.
local function template(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*all")
  f:close()
  local parts, from = {}, 1
  while true do
    local s, e = text:find(FIXTURE_CALL_ID, from, true)
    if not s then break end
    table.insert(parts, text:sub(from, s - 1))
    from = e + 1
  end
  table.insert(parts, text:sub(from))
  return parts
end

function init(args)
  lines = assert(io.open(args[1] .. "." .. id, "r"))
  templates = { c = template(args[2]), e = template(args[3]) }
  fixed = { c = table.concat(templates.c, FIXTURE_CALL_ID), e = table.concat(templates.e, FIXTURE_CALL_ID) }
  paths = { c = "/webhooks/incoming-call", e = "/webhooks/events" }
  headers = { ["Content-Type"] = "application/json" }
  if args[4] == "close" then headers["Connection"] = "close" end
  -- wrk asks thread 0's script for delay() and for one request to inspect, after init and before the run.
  local pause = tonumber(args[5] or "")
  if pause then
    function delay() return pause end
  end
  inspected = id ~= 0
end

function request()
  local line = lines:read("*l")
  if not line then
    lines:seek("set")
    line = lines:read("*l")
  end
  local kind, request_id, stamp, signature, call_id = line:match("^(%S+) (%S+) (%S+) (%S+) (%S+)$")
  headers["X-Inkbox-Request-ID"] = request_id
  headers["X-Inkbox-Timestamp"] = stamp
  headers["X-Inkbox-Signature"] = signature
  local body = call_id == FIXTURE_CALL_ID and fixed[kind] or table.concat(templates[kind], call_id)
  if not inspected then
    -- wrk's inspection request is never sent: send this line again.
    inspected = true
    lines:seek("set")
  end
  return wrk.format("POST", paths[kind], headers, body)
end
