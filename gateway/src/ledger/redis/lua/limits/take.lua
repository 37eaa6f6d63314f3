-- Take one cell of a GCRA limiter (the algorithm: limits.rs).
-- KEYS[1]: the limiter's TAT (STRING, ms); KEYS[2] (optional): the request's pass.
-- ARGV[1]: now override or ''; ARGV[2]: emission interval T (ms);
-- ARGV[3]: burst B; ARGV[4]: the pass's lifetime (ms).
-- Reply: {1, now} granted (a pass already held grants without a cell),
-- or {0, retry_at}.
local now = clock(ARGV[1])
local pass = KEYS[2]
if pass and redis.call('EXISTS', pass) == 1 then
  return {1, now}
end
local t = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local next_tat = tat + t
local allow_at = next_tat - burst * t
if allow_at > now then
  return {0, allow_at}
end
-- Once next_tat has passed the limiter is fully rested: the key can go.
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', string.format('%d', next_tat - now))
if pass then
  redis.call('SET', pass, '0', 'PX', ARGV[4])
end
return {1, now}
