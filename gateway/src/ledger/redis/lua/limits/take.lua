-- Take one cell of a GCRA limiter (guards.lua).
-- KEYS[1]: the limiter's TAT (a STRING, or a HASH with ARGV[5]);
-- KEYS[2] (optional): the request's pass.
-- ARGV[1]: now override or ''; ARGV[2]: emission interval T (ms);
-- ARGV[3]: burst B; ARGV[4]: the pass's lifetime (ms); ARGV[5]: the TAT's
-- field in the hash KEYS[1], or '' for a string.
-- Reply: {1, now} granted (a pass already held grants without a cell),
-- or {0, retry_at}.
local now = clock(ARGV[1])
local pass = KEYS[2]
if pass and redis.call('EXISTS', pass) == 1 then
  return {1, now}
end
local field = ARGV[5]
if field == '' then
  field = nil
end
local retry_at = gcra_take(KEYS[1], field, now, tonumber(ARGV[2]), tonumber(ARGV[3]))
if retry_at then
  return {0, retry_at}
end
if pass then
  redis.call('SET', pass, '0', 'PX', ARGV[4])
end
return {1, now}
