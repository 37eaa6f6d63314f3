-- The clock of the admission limiter scripts (limits.rs): ARGV[1] is a time
-- override in ms (test builds) or '' for the server's clock, as in the
-- ledger's own scripts, so limits and quotas read the same time.
local function clock(arg)
  if arg ~= nil and arg ~= '' then
    return tonumber(arg)
  end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
