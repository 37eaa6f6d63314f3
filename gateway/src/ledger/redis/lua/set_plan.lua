-- set_plan: assign (or extend) a plan, or clear the assigned plan.
-- KEYS: 1 meta
-- ARGV: 1 now override, 2 plan name ('' clears), 3 days (0: forever)
-- Returns {now, expiry (0: none)}.
local now = clock(ARGV[1])
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'plan', 'plan_until')
  return { now, 0 }
end
return { now, assign_plan(KEYS[1], now, ARGV[2], tonumber(ARGV[3])) }
