-- claim (redeem step 1, on the code's slot): take one use of a code for a user.
-- KEYS: 1 code hash, 2 code users set
-- ARGV: 1 now override, 2 user
-- Returns {'invalid'|'revoked'|'expired'|'used_up'} or
--         {'claimed'|'already', credits, plan or '', plan days}.
local now = clock(ARGV[1])
local v = redis.call('HMGET', KEYS[1], 'credits', 'plan', 'plan_days', 'max_uses', 'redeem_by', 'uses', 'revoked')
if not v[4] then
  return { 'invalid' }
end
if v[7] == '1' then
  return { 'revoked' }
end
if v[5] and v[5] ~= '' and tonumber(v[5]) < now then
  return { 'expired' }
end
local grant = { v[1] or '0', v[2] or '', v[3] or '0' }
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then
  return { 'already', grant[1], grant[2], grant[3] }
end
if (tonumber(v[6]) or 0) >= tonumber(v[4]) then
  return { 'used_up' }
end
redis.call('HINCRBY', KEYS[1], 'uses', 1)
redis.call('SADD', KEYS[2], ARGV[2])
return { 'claimed', grant[1], grant[2], grant[3] }
