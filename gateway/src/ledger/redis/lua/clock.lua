-- The one clock of every Easel script (ledger, admission limits, job queue),
-- prepended before each script's own prelude, so quotas, limits and the queue
-- read the same time. ARGV[1] is a time override in ms (test builds) or ''
-- for the server's clock.
local function clock(arg)
  if arg ~= nil and arg ~= '' then
    return tonumber(arg)
  end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

