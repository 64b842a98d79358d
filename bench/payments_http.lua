-- wrk script for bench/bench_payments_http.py: each request posts a payment for the next bill of
-- its thread, with an Idempotency-Key and provider transaction id of its own.
--
--   PAYMENTS_DIR=DIR wrk -t T -c C -d S -s bench/payments_http.lua URL -- TOKEN PAID_AT
--
-- DIR (an environment variable: `done` runs in a Lua state that sees no arguments) holds references-<n>.txt, one bill reference a line, for thread n (0, 1, …), so no two
-- threads pay the same bill; every reference is used at most once. When the run ends, `done`
-- writes DIR/acknowledged.txt: the provider transaction id of every 201 response, then
-- DIR/failures.txt: one line per response that was not 201 ("status body").

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   local dir, token, paid_at = os.getenv("PAYMENTS_DIR"), args[1], args[2]
   references = {}
   for line in io.lines(dir .. "/references-" .. id .. ".txt") do
      references[#references + 1] = line
   end
   next_reference = 0
   base_headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }
   body_format = '{"reference":"%s","amount":500,"channel":"bank",'
      .. '"provider_txn_id":"%s","paid_at":"' .. paid_at .. '"}'
   acknowledged = {}
   failures = {}
end

function request()
   next_reference = next_reference + 1
   -- Out of bills: a reference that cannot exist, so the run reports failures, not replays.
   local reference = references[next_reference] or "exhausted"
   local headers = {}
   for name, value in pairs(base_headers) do
      headers[name] = value
   end
   headers["Idempotency-Key"] = "wrk-" .. reference
   local body = string.format(body_format, reference, "T" .. reference)
   return wrk.format("POST", "/api/v1/payments/payments", headers, body)
end

function response(status, headers, body)
   if status == 201 then
      acknowledged[#acknowledged + 1] = body:match('"provider_txn_id":"([^"]+)"')
   else
      failures[#failures + 1] = status .. " " .. body
   end
end

function done(summary, latency, requests)
   local dir = os.getenv("PAYMENTS_DIR")
   local acked = io.open(dir .. "/acknowledged.txt", "w")
   local failed = io.open(dir .. "/failures.txt", "w")
   for _, thread in ipairs(threads) do
      for _, txn in ipairs(thread:get("acknowledged")) do
         acked:write(txn, "\n")
      end
      for _, failure in ipairs(thread:get("failures")) do
         failed:write(failure, "\n")
      end
   end
   acked:close()
   failed:close()
end
