-- wrk script: every request is a distinct, correctly signed Inkbox delivery of the same body, so each one is a
-- full verification + routing decision (no retry-cache hits). Signatures come from sign.py.
-- Usage: wrk -t THREADS -s requests.lua URL -- SIGNATURES_FILE BODY_FILE THREADS

local created = 0

function setup(thread)
  thread:set("id", created)
  created = created + 1
end

function init(args)
  nthreads = tonumber(args[3] or "1")
  local f = assert(io.open(args[2], "rb"))
  body = f:read("*all")
  f:close()
  ids, stamps, signatures = {}, {}, {}
  local n = 0
  for line in io.lines(args[1]) do
    n = n + 1
    -- Each thread takes every nthreads-th line, so threads never send the same request ID.
    if (n - 1) % nthreads == id then
      local request_id, stamp, signature = line:match("^(%S+) (%S+) (%S+)$")
      table.insert(ids, request_id)
      table.insert(stamps, stamp)
      table.insert(signatures, signature)
    end
  end
  cursor = 0
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  cursor = cursor % #ids + 1
  headers["X-Inkbox-Request-ID"] = ids[cursor]
  headers["X-Inkbox-Timestamp"] = stamps[cursor]
  headers["X-Inkbox-Signature"] = signatures[cursor]
  return wrk.format("POST", "/webhooks/incoming-call", headers, body)
end
