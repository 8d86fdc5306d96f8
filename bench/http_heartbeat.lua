-- wrk script of bench/bench_http.py: POST /v1/heartbeat, every request with the next token of a file.
--   wrk -t1 -c64 -d4s -s bench/http_heartbeat.lua http://127.0.0.1:PORT -- TOKEN_FILE THREADS BODY
-- Thread i of THREADS takes every THREADS-th token from i on, so no two requests share a token until
-- a thread has used all of its own.

local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local threads = tonumber(args[2])
  tokens = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % threads == id then
      tokens[#tokens + 1] = line
    end
    i = i + 1
  end
  body = args[3]
  sent = 0
end

function request()
  sent = sent + 1
  local token = tokens[(sent - 1) % #tokens + 1]
  return wrk.format("POST", "/v1/heartbeat",
                    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
