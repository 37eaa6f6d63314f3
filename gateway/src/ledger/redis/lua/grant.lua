-- grant (redeem step 2, on the user's slot): apply a code's grant once per grant id.
-- KEYS: 1 meta, 2 grants set
-- ARGV: 1 now override, 2 grant id, 3 credits (integer string), 4 plan ('' none), 5 plan days
-- Returns {'applied'|'already', now, plan expiry (0: none)}.
local now = clock(ARGV[1])
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then
  return { 'already', now, 0 }
end
if ARGV[3] ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'credits', ARGV[3])
end
local expiry = 0
if ARGV[4] ~= '' then
  expiry = assign_plan(KEYS[1], now, ARGV[4], tonumber(ARGV[5]))
end
return { 'applied', now, expiry }
